
# --- kube-vip back on admin.conf now that kubeadm init has bound it to cluster-admin (super-admin.conf bypasses
# RBAC and is meant for emergencies only). Checked on every run, so an interrupted first run still switches.
if [ -f "${KUBE_VIP_POD}" ] && [ -f "${ROOT}/etc/kubernetes/admin.conf" ] &&
  grep -q 'path: /etc/kubernetes/super-admin.conf' "${KUBE_VIP_POD}"; then
  log "kube-vip: from super-admin.conf back to admin.conf"
  install_kube_vip_pod "${KUBE_VIP_DIR}/kube-vip.yaml"
fi
