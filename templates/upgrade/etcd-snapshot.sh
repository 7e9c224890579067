# etcd snapshot before anything changes: the rendered backup command when the host has it (etcd backups,
# docs/backups.md), else etcdctl with kubeadm's etcd client certificate into /var/lib/k8sup/backups.
if command -v k8sup-etcd-backup >/dev/null 2>&1; then
  k8sup-etcd-backup
elif command -v etcdctl >/dev/null 2>&1; then
  mkdir -p "${ROOT}/var/lib/k8sup/backups"
  ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 \
    --cacert "${ROOT}/etc/kubernetes/pki/etcd/ca.crt" \
    --cert "${ROOT}/etc/kubernetes/pki/etcd/healthcheck-client.crt" \
    --key "${ROOT}/etc/kubernetes/pki/etcd/healthcheck-client.key" \
    snapshot save "${ROOT}/var/lib/k8sup/backups/etcd-before-v{{{to}}}.db"
else
  echo "warning: neither k8sup-etcd-backup nor etcdctl is installed: no snapshot taken; kubeadm upgrade apply keeps its own copy of the etcd data under /etc/kubernetes/tmp" >&2
fi
