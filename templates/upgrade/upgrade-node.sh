# kubeadm's procedure on the other nodes: a control plane's static pods (and every node's kubelet configuration)
# follow the ClusterConfiguration that upgrade apply moved.
kubeadm upgrade node
