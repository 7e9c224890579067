
# --- SELinux permissive, as kubeadm's install guide asks on RHEL-family hosts (containers must read the host
# paths kubeadm mounts): now, and after a reboot.
log "SELinux permissive"
if command -v getenforce >/dev/null 2>&1 && [ "$(getenforce)" = Enforcing ]; then
  setenforce 0
fi
if [ -f "${ROOT}/etc/selinux/config" ]; then
  sed -i 's/^SELINUX=enforcing$/SELINUX=permissive/' "${ROOT}/etc/selinux/config"
fi
