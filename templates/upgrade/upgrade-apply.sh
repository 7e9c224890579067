# kubeadm's procedure on the first control plane: check the plan, then move the control plane (API server,
# controller manager, scheduler, etcd, kube-proxy, CoreDNS, ClusterConfiguration) to the new version.
kubeadm upgrade plan v{{{to}}} --kubeconfig "${ROOT}/etc/kubernetes/admin.conf"
kubeadm upgrade apply v{{{to}}} --yes --kubeconfig "${ROOT}/etc/kubernetes/admin.conf"
