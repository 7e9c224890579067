
# --- kubeadm upgrade (docs/upgrades.md, "Clouds"): `k8sup upgrade cluster` launches a control plane of the new
# version beside the running ones; it joined the cluster above with the cluster's own ClusterConfiguration, so it
# runs the old control-plane version until the cluster is upgraded. The first control plane of the new version to
# get here finds the ClusterConfiguration older than itself and runs kubeadm's procedure: an etcd snapshot, then
# `kubeadm upgrade plan` and `kubeadm upgrade apply`. The control planes that follow find it current and skip it.
cluster_kubernetes_version() {
  kubectl --kubeconfig "${ROOT}/etc/kubernetes/admin.conf" --request-timeout=30s -n kube-system \
    get configmap kubeadm-config -o jsonpath='{.data.ClusterConfiguration}' | sed -n 's/^kubernetesVersion: *//p'
}
if ! is_done "kubeadm-upgraded-${K8S_VERSION}"; then
  cluster_version=""
  n=0
  until cluster_version="$(cluster_kubernetes_version)" && [ -n "${cluster_version}" ]; do
    n=$((n + 1))
    [ "${n}" -lt 30 ] || die "cannot read the cluster's ClusterConfiguration (kube-system/kubeadm-config)"
    sleep 10
  done
  if [ "${cluster_version}" != "v${K8S_VERSION}" ]; then
    step kubeadm-upgrade "kubeadm upgrade apply v${K8S_VERSION} (the cluster runs ${cluster_version})"
{{#if etcdBackups}}
    # A snapshot in the state store right before the cluster's configuration moves (docs/backups.md); installed
    # above in /usr/local/sbin, which systemd's PATH for the bootstrap unit includes.
    k8sup-etcd-backup --force || die "etcd snapshot before the upgrade failed; not upgrading"
{{else}}
    log "warning: etcd backups are off (spec.etcd.backups): kubeadm upgrade apply keeps its own copy under /etc/kubernetes/tmp only"
{{/if}}
    kubeadm upgrade plan "v${K8S_VERSION}"
    kubeadm upgrade apply "v${K8S_VERSION}" --yes
  fi
  mark_done "kubeadm-upgraded-${K8S_VERSION}"
fi
