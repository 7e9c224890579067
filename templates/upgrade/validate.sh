# Between steps: the node is Ready again before the next node is touched.
kubectl --kubeconfig "${ROOT}/etc/kubernetes/admin.conf" wait --for=condition=Ready node/{{node}} --timeout=5m
