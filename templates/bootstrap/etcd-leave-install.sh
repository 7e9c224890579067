
# --- k8sup-etcd-leave: at shutdown, a control plane whose Node was deleted (rolling-update) removes its own etcd
# member, so that its replacement joins an etcd that counts only live members. See docs/rolling-update.md.
write_file "${ROOT}/usr/local/sbin/k8sup-etcd-leave" 0755 <<'K8SUP_EOF_ETCD_LEAVE'
{{{etcdLeaveScript}}}
K8SUP_EOF_ETCD_LEAVE
leave_changed="${WROTE}"
write_file "${ROOT}/etc/systemd/system/k8sup-etcd-leave.service" 0644 <<'K8SUP_EOF_ETCD_LEAVE_UNIT'
{{{etcdLeaveUnit}}}
K8SUP_EOF_ETCD_LEAVE_UNIT
if [ "${WROTE}" = 1 ]; then leave_changed=1; fi
# Started now (ExecStart does nothing) so that its ExecStop runs at the next shutdown.
enable_when_written etcd-leave "${leave_changed}" k8sup-etcd-leave.service
