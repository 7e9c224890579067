
# --- Kubernetes' version skew policy: a kubelet is never newer than any kube-apiserver, and kubeadm joins a cluster
# of its own version. `k8sup upgrade cluster` writes this bundle before it replaces the control planes of the old
# version (K8S_FROM_VERSION), so a worker launched meanwhile (cluster-autoscaler, a health replacement) would join
# control planes still on it. It waits until bootstrap/upgrade says every control plane runs its version (the CLI
# adds control-planes=… once they do, and deletes the object when the upgrade is done).
K8S_FROM_VERSION={{fromVersion}}
if ! is_done kubeadm-succeeded; then
  upgrade_file="$(mktemp)"
  attempt=0
  while :; do
    # A read of bootstrap/token that works shows the store answers this instance's bootstrap/* reads, so a
    # bootstrap/upgrade that cannot be read right after it is gone (S3 answers a missing key to a GET without list
    # rights with 403, like a denied one).
    if ! store_get bootstrap/upgrade "${upgrade_file}" && fetch_join_token && ! store_get bootstrap/upgrade "${upgrade_file}"; then
      log "no upgrade of ${CLUSTER_NAME} in progress (no bootstrap/upgrade): joining with ${K8S_VERSION}"
      break
    fi
    if grep -qx "control-planes=${K8S_VERSION}" "${upgrade_file}"; then
      log "every control plane runs ${K8S_VERSION} (bootstrap/upgrade): joining"
      break
    fi
    if ! grep -qx "to=${K8S_VERSION}" "${upgrade_file}"; then
      log "ERROR: bootstrap/upgrade names an upgrade to $(sed -n 's/^to=//p' "${upgrade_file}"), and this worker's bundle is of ${K8S_VERSION}:"
      log "ERROR: a kubelet newer than kube-apiserver, or kubeadm of another version than the cluster, is not supported."
      die "not joining a cluster upgraded to another version (docs/upgrades.md, \"Version skew\")"
    fi
    attempt=$((attempt + 1))
    [ "${attempt}" -lt 120 ] || die "the control planes of ${CLUSTER_NAME} do not all run ${K8S_VERSION} after 60 minutes: not joining (a kubelet must not be newer than kube-apiserver); this script runs again"
    log "waiting for the control planes' upgrade from ${K8S_FROM_VERSION} to ${K8S_VERSION}: a kubelet must not be newer than kube-apiserver (${attempt}/120)"
    sleep 30
  done
  rm -f "${upgrade_file}"
fi
