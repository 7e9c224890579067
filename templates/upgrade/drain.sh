# From the first control plane (admin.conf): no new pods on {{node}}, its pods evicted (disruption budgets honoured).
kubectl --kubeconfig "${ROOT}/etc/kubernetes/admin.conf" drain {{node}} --ignore-daemonsets --delete-emptydir-data --timeout=10m
