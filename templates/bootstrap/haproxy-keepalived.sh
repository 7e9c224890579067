
# --- HAProxy and keepalived serve the API VIP {{{apiVip}}}:{{{haproxyPort}}} (the controlPlaneEndpoint): keepalived holds the VIP
# on one control plane, HAProxy on each control plane balances to every API server (docs/metal.md).
log "HAProxy and keepalived for the API VIP {{{apiVip}}}"
if ! is_done api-front-end-packages; then
{{#if dnf}}
  dnf install -y -q haproxy keepalived
{{else}}
  # Like every apt-get here (apt_get above): unattended-upgrades may hold the dpkg lock, at first boot or on its daily run.
  DEBIAN_FRONTEND=noninteractive apt_get install -y -q haproxy keepalived
{{/if}}
  mark_done api-front-end-packages
fi
VIP={{apiVip}}
# The interface that carries the VIP: /etc/k8sup/vip-interface when an operator wrote it, else the interface of this
# host's route to the VIP (a free address on the network the control planes share).
if [ -s "${ROOT}/etc/k8sup/vip-interface" ]; then
  VIP_INTERFACE="$(head -n 1 "${ROOT}/etc/k8sup/vip-interface")"
else
  VIP_INTERFACE="$(ip -o route get "${VIP}" | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n 1)" || VIP_INTERFACE=""
fi
if ! [[ "${VIP_INTERFACE}" =~ ^[A-Za-z0-9_.-]{1,15}$ ]] || [ "${VIP_INTERFACE}" = lo ]; then
  die "cannot tell which interface should carry the API VIP ${VIP} (got '${VIP_INTERFACE}'): write its name to /etc/k8sup/vip-interface and run again"
fi
write_file "${ROOT}/etc/haproxy/haproxy.cfg" 0644 <<'K8SUP_EOF_HAPROXY'
{{{haproxyCfg}}}
K8SUP_EOF_HAPROXY
HAPROXY_CHANGED="${WROTE}"
haproxy -c -q -f "${ROOT}/etc/haproxy/haproxy.cfg" || die "the rendered ${ROOT}/etc/haproxy/haproxy.cfg does not pass haproxy -c"
write_file "${ROOT}/etc/keepalived/check_apiserver.sh" 0755 <<'K8SUP_EOF_CHECK'
{{{keepalivedCheck}}}
K8SUP_EOF_CHECK
KEEPALIVED_CHANGED="${WROTE}"
sed -e "s/@@K8SUP_VIP_INTERFACE@@/${VIP_INTERFACE}/" <<'K8SUP_EOF_KEEPALIVED' | write_file "${ROOT}/etc/keepalived/keepalived.conf" 0644
{{{keepalivedConf}}}
K8SUP_EOF_KEEPALIVED
[ "${WROTE}" = 1 ] && KEEPALIVED_CHANGED=1
# A restart is owed until done: the package starts HAProxy on its own default configuration, and a run stopped
# before the restart (an interrupted SSH session, a failed restart) would otherwise find the files up to date and only
# `start` the HAProxy already running without the API frontend.
if [ "${HAPROXY_CHANGED}" = 1 ]; then mark_done haproxy-restart-pending; fi
if [ "${KEEPALIVED_CHANGED}" = 1 ]; then mark_done keepalived-restart-pending; fi
systemctl enable haproxy keepalived
# Started (or restarted with a changed configuration) before kubeadm: the VIP must answer while kubeadm still needs it.
for unit in haproxy keepalived; do
  if is_done "${unit}-restart-pending"; then
    systemctl restart "${unit}"
    rm -f "${STAMP_DIR}/${unit}-restart-pending"
  else
    systemctl start "${unit}"
  fi
done
