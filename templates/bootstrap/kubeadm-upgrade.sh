
# --- kubeadm upgrade (docs/upgrades.md, "Clouds"): kube-packages-upgrade above chose the packages this control plane
# joined with. Joined with the old version (it found the cluster's ClusterConfiguration still at it: the first control
# plane of the new version), it now runs kubeadm's own procedure on a real control plane of the cluster: kubeadm of
# the new version, an etcd snapshot, `kubeadm upgrade plan` and `kubeadm upgrade apply`, then kubelet and kubectl of
# the new version with a drain before the kubelet restart and an uncordon after. Each part leaves its stamp, so a reboot anywhere continues where it stopped.
# Joined with the new version (the cluster runs it already), there is nothing to do.
cluster_kubernetes_version() {
  kubectl --kubeconfig "${ROOT}/etc/kubernetes/admin.conf" --request-timeout=30s -n kube-system \
    get configmap kubeadm-config -o jsonpath='{.data.ClusterConfiguration}' | sed -n 's/^kubernetesVersion: *//p'
}
# kube_packages_from URL PACKAGE_VERSION NAME...: the packages NAME... at PACKAGE_VERSION from the pkgs.k8s.io
# repository URL (one per minor, signed with its own Release.key, trusted as served: see kube-packages), held again.
kube_packages_from() {
  local url="$1" version="$2" name pins=()
  shift 2
  for name in "$@"; do pins+=("${name}=${version}"); done
  export DEBIAN_FRONTEND=noninteractive
  curl -fsSL --retry 5 "${url}Release.key" | gpg --batch --yes --dearmor -o "${ROOT}/etc/apt/keyrings/k8sup-kubernetes.gpg"
  printf 'deb [signed-by=/etc/apt/keyrings/k8sup-kubernetes.gpg] %s /\n' "${url}" |
    write_file "${ROOT}/etc/apt/sources.list.d/k8sup-kubernetes.list" 0644
  apt_get update -q
  apt-mark unhold "$@" >/dev/null 2>&1 || true
  apt_get install -y -q --allow-downgrades --allow-change-held-packages "${pins[@]}"
  apt-mark hold "$@"
}
if [ "${JOIN_VERSION}" != "${K8S_VERSION}" ]; then
  if ! is_done "kubeadm-upgraded-${K8S_VERSION}"; then
    # kubeadm upgrade apply vX needs kubeadm X; the kubelet stays at the old version until the cluster runs X.
    if ! is_done "kubeadm-package-${K8S_TARGET_PACKAGE_VERSION}"; then
      step kubeadm-upgrade "kubeadm ${K8S_TARGET_PACKAGE_VERSION}: this control plane joined with ${JOIN_VERSION}"
      kube_packages_from "${K8S_TARGET_APT_URL}" "${K8S_TARGET_PACKAGE_VERSION}" kubeadm
      mark_done "kubeadm-package-${K8S_TARGET_PACKAGE_VERSION}"
    fi
    # Read again after the join (admin.conf): a run resumed after `kubeadm upgrade apply` finds the cluster at X.
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
  # The cluster runs X: the kubelet may be X now (never newer than kube-apiserver), and kubectl with it. A stamp of its
  # own: kube-packages-X may be left from a run that installed X before it found the cluster at A.
  if ! is_done "kubelet-upgraded-${K8S_TARGET_PACKAGE_VERSION}"; then
    step packages "kubelet, kubectl ${K8S_TARGET_PACKAGE_VERSION}: the cluster runs v${K8S_VERSION}"
    # kubeadm's procedure for a control plane: drain it before its kubelet moves, uncordon it after. Since it joined,
    # pods that tolerate control planes (CoreDNS, addons) may have been scheduled here. The drain is bounded; one that
    # cannot finish (a PodDisruptionBudget) is logged and the upgrade goes on: restarting the kubelet leaves running
    # containers alone, so the drain is a precaution here, not a condition.
    node_name="$(cat "${ROOT}/etc/k8sup/node-name")"
    kubectl --kubeconfig "${ROOT}/etc/kubernetes/admin.conf" --request-timeout=30s drain "${node_name}" \
      --ignore-daemonsets --delete-emptydir-data --timeout=300s ||
      log "warning: could not drain ${node_name} before its kubelet restart (see above): upgrading its kubelet all the same"
    kube_packages_from "${K8S_TARGET_APT_URL}" "${K8S_TARGET_PACKAGE_VERSION}" kubelet kubectl
    systemctl daemon-reload
    systemctl restart kubelet
    retry 10 "kubectl uncordon ${node_name}" kubectl --kubeconfig "${ROOT}/etc/kubernetes/admin.conf" --request-timeout=30s \
      uncordon "${node_name}" || die "cannot uncordon ${node_name} after its kubelet restart"
    mark_done "kubelet-upgraded-${K8S_TARGET_PACKAGE_VERSION}"
  fi
fi
