kubectl --kubeconfig "${ROOT}/etc/kubernetes/admin.conf" uncordon {{node}}
