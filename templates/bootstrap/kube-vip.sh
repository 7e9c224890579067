
# --- kube-vip serves the API virtual IP {{{vip}}} (the controlPlaneEndpoint) from a static pod on every control plane.
# Its manifest goes into /etc/kubernetes/manifests before kubeadm runs: the kubelet kubeadm starts brings the VIP up
# next to the API server, so the endpoint answers while kubeadm still needs it.
KUBE_VIP_DIR="${ROOT}/etc/k8sup/kube-vip"
KUBE_VIP_POD="${ROOT}/etc/kubernetes/manifests/kube-vip.yaml"

# install_kube_vip_pod SRC: the kubelet reads every file in the manifests folder whose name does not start with '.',
# so the copy goes through a hidden name and lands with one rename.
install_kube_vip_pod() {
  local src="$1" dir="${ROOT}/etc/kubernetes/manifests"
  if [ -f "${KUBE_VIP_POD}" ] && cmp -s "${src}" "${KUBE_VIP_POD}"; then return 0; fi
  mkdir -p "${dir}"
  install -m 0600 "${src}" "${dir}/.kube-vip.yaml.k8sup"
  mv -f "${dir}/.kube-vip.yaml.k8sup" "${KUBE_VIP_POD}"
}

if [ ! -f "${ROOT}/etc/kubernetes/kubelet.conf" ]; then
  VIP={{vip}}
  # The interface that carries the VIP: the one in /etc/k8sup/vip-interface when an operator wrote it, else the
  # interface of this host's route to the VIP (a free address on the network the control planes share).
  if [ -s "${ROOT}/etc/k8sup/vip-interface" ]; then
    VIP_INTERFACE="$(head -n 1 "${ROOT}/etc/k8sup/vip-interface")"
  else
    VIP_INTERFACE="$(ip -o route get "${VIP}" | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n 1)" || VIP_INTERFACE=""
  fi
  if ! [[ "${VIP_INTERFACE}" =~ ^[A-Za-z0-9_.-]{1,15}$ ]] || [ "${VIP_INTERFACE}" = lo ]; then
    die "cannot tell which interface should carry the API VIP ${VIP} (got '${VIP_INTERFACE}'): write its name to /etc/k8sup/vip-interface and run again"
  fi
  log "kube-vip {{{kubeVipVersion}}}: API VIP ${VIP} on ${VIP_INTERFACE}"
  # kube-vip reaches the API server on this host as https://kubernetes:6443 (the VIP is not up yet when it starts).
  printf '127.0.0.1 localhost kubernetes\n::1 localhost\n' | write_file "${KUBE_VIP_DIR}/hosts" 0644
  sed -e "s/@@K8SUP_VIP_INTERFACE@@/${VIP_INTERFACE}/" <<'K8SUP_EOF_KUBE_VIP' | write_file "${KUBE_VIP_DIR}/kube-vip.yaml" 0600
{{{kubeVipManifest}}}
K8SUP_EOF_KUBE_VIP
{{#if init}}
  # kubeadm (>= 1.29) gives admin.conf its rights (cluster-admin through a ClusterRoleBinding) only late in init,
  # but the VIP must answer before that: during init kube-vip uses super-admin.conf (system:masters), which only the
  # init node has, and goes back to admin.conf right after kubeadm init (below).
  sed -e 's|path: /etc/kubernetes/admin.conf|path: /etc/kubernetes/super-admin.conf|' "${KUBE_VIP_DIR}/kube-vip.yaml" |
    write_file "${KUBE_VIP_DIR}/kube-vip-init.yaml" 0600
  install_kube_vip_pod "${KUBE_VIP_DIR}/kube-vip-init.yaml"
{{else}}
  install_kube_vip_pod "${KUBE_VIP_DIR}/kube-vip.yaml"
{{/if}}
fi
