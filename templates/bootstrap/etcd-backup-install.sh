
# --- etcd backups (spec.etcd.backups): a timer snapshots etcd on the spec's schedule{{#if cloud}} into the state
# store with this instance's identity{{else}} into /var/lib/k8sup/etcd-backups{{/if}}; k8sup-etcd-restore restores one.
write_file "${ROOT}/usr/local/sbin/k8sup-etcd-backup" 0755 <<'K8SUP_EOF_ETCD_BACKUP'
{{{etcdBackupScript}}}
K8SUP_EOF_ETCD_BACKUP
backup_changed="${WROTE}"
write_file "${ROOT}/usr/local/sbin/k8sup-etcd-restore" 0755 <<'K8SUP_EOF_ETCD_RESTORE'
{{{etcdRestoreScript}}}
K8SUP_EOF_ETCD_RESTORE
write_file "${ROOT}/etc/systemd/system/k8sup-etcd-backup.service" 0644 <<'K8SUP_EOF_ETCD_BACKUP_SERVICE'
{{{etcdBackupService}}}
K8SUP_EOF_ETCD_BACKUP_SERVICE
if [ "${WROTE}" = 1 ]; then backup_changed=1; fi
{{#if etcdBackupTimer}}
write_file "${ROOT}/etc/systemd/system/k8sup-etcd-backup.timer" 0644 <<'K8SUP_EOF_ETCD_BACKUP_TIMER'
{{{etcdBackupTimer}}}
K8SUP_EOF_ETCD_BACKUP_TIMER
if [ "${WROTE}" = 1 ]; then backup_changed=1; fi
enable_when_written etcd-backup "${backup_changed}" k8sup-etcd-backup.timer
{{else}}
# Scheduled backups are off (schedule: off): no timer; `k8sup backup cluster` still takes one on demand.
if [ -f "${ROOT}/etc/systemd/system/k8sup-etcd-backup.timer" ]; then
  systemctl disable --now k8sup-etcd-backup.timer || true
  rm -f "${ROOT}/etc/systemd/system/k8sup-etcd-backup.timer"
  backup_changed=1
fi
if [ "${backup_changed}" = 1 ]; then systemctl daemon-reload; fi
{{/if}}
{{#if etcdControlScript}}
# The control poller (docs/backups.md, "The control folder"): every minute, whatever the schedule, it carries out a
# backup or restore command k8sup left in the state store.
write_file "${ROOT}/usr/local/sbin/k8sup-etcd-control" 0755 <<'K8SUP_EOF_ETCD_CONTROL'
{{{etcdControlScript}}}
K8SUP_EOF_ETCD_CONTROL
control_changed="${WROTE}"
write_file "${ROOT}/etc/systemd/system/k8sup-etcd-control.service" 0644 <<'K8SUP_EOF_ETCD_CONTROL_SERVICE'
{{{etcdControlService}}}
K8SUP_EOF_ETCD_CONTROL_SERVICE
if [ "${WROTE}" = 1 ]; then control_changed=1; fi
write_file "${ROOT}/etc/systemd/system/k8sup-etcd-control.timer" 0644 <<'K8SUP_EOF_ETCD_CONTROL_TIMER'
{{{etcdControlTimer}}}
K8SUP_EOF_ETCD_CONTROL_TIMER
if [ "${WROTE}" = 1 ]; then control_changed=1; fi
enable_when_written etcd-control "${control_changed}" k8sup-etcd-control.timer
{{/if}}
