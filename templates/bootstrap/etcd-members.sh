
# --- etcd membership, through a running etcd pod: the etcd image carries etcdctl, the node does not, and the API
# (kubectl exec) is reachable wherever kubeadm is, so no etcd port has to be open to this node.
# etcdctl_via KUBECONFIG POD ENDPOINT ARGS...: etcdctl in POD against ENDPOINT, bounded by ETCD_CALL_TIMEOUT seconds.
etcdctl_via() {
  local kubeconfig="$1" pod="$2" endpoint="$3"
  shift 3
  timeout "${ETCD_CALL_TIMEOUT}" kubectl --kubeconfig "${kubeconfig}" --request-timeout="${ETCD_CALL_TIMEOUT}s" -n kube-system \
    exec "${pod}" -- etcdctl --endpoints "${endpoint}" --cacert /etc/kubernetes/pki/etcd/ca.crt \
    --cert /etc/kubernetes/pki/etcd/server.crt --key /etc/kubernetes/pki/etcd/server.key --dial-timeout=5s --command-timeout=8s "$@"
}

# etcd_members KUBECONFIG SKIP_NODE: sets ETCD_POD to a running etcd pod (not SKIP_NODE's) that answers, and
# ETCD_MEMBERS to its `member list` ("id, status, name, peer URL, client URL, is learner" per line).
etcd_members() {
  local kubeconfig="$1" pods pod
  pods="$(timeout "${ETCD_CALL_TIMEOUT}" kubectl --kubeconfig "${kubeconfig}" --request-timeout="${ETCD_CALL_TIMEOUT}s" -n kube-system \
    get pods -l component=etcd --field-selector=status.phase=Running -o jsonpath='{.items[*].metadata.name}')" || return 1
  read -r -a pods <<<"${pods}"
  for pod in "${pods[@]}"; do
    [ "${pod}" != "etcd-$2" ] || continue
    if ETCD_MEMBERS="$(etcdctl_via "${kubeconfig}" "${pod}" https://127.0.0.1:2379 member list)"; then
      ETCD_POD="${pod}"
      return 0
    fi
  done
  log "no running etcd pod answered 'etcdctl member list'"
  return 1
}
