
# --- kubelet, kubeadm and kubectl from the Kubernetes rpm repository of this minor version (RHEL family: dnf),
# pinned; the repository excludes them from `dnf upgrade` so only k8sup moves them (kubeadm's install guide).
log "kubelet, kubeadm, kubectl ${K8S_VERSION} (dnf)"
if ! is_done "kube-packages-${K8S_PACKAGE_VERSION}"; then
  # No curl package: RHEL 9 ships curl-minimal, which it would conflict with.
  dnf install -y -q ca-certificates conntrack-tools socat
  write_file "${ROOT}/etc/yum.repos.d/k8sup-kubernetes.repo" 0644 <<K8SUP_EOF_REPO
[kubernetes]
name=Kubernetes (k8sup)
baseurl=${K8S_RPM_URL}
enabled=1
gpgcheck=1
gpgkey=${K8S_RPM_URL}repodata/repomd.xml.key
exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni
K8SUP_EOF_REPO
  dnf install -y -q --disableexcludes=kubernetes \
    "kubelet-${K8S_VERSION}" "kubeadm-${K8S_VERSION}" "kubectl-${K8S_VERSION}"
  systemctl enable kubelet
  mark_done "kube-packages-${K8S_PACKAGE_VERSION}"
fi
