#!/usr/bin/env bash
# k8sup-etcd-leave for demo.k8s.local: the ExecStop of k8sup-etcd-leave.service, so it runs when the instance
# shuts down. It removes this control plane's etcd member, so that its replacement joins a healthy etcd, but only
# when the node left the cluster first: its Node object is gone (rolling-update deletes it before it replaces the
# instance) or /etc/k8sup/leave-etcd exists. A reboot or a stop keeps the member. It never fails the shutdown: every
# outcome exits 0 and every call is bounded. What it could not do, the next joining control plane cleans up.
set -uo pipefail

ROOT="${K8SUP_ROOT:-}"
ETCD_CALL_TIMEOUT=10

log() { printf '[k8sup-etcd-leave] %s\n' "$*" >&2; }

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

ADMIN_CONF="${ROOT}/etc/kubernetes/admin.conf"
NODE_NAME="$(cat "${ROOT}/etc/k8sup/node-name" 2>/dev/null)"
if [ ! -f "${ADMIN_CONF}" ] || [ -z "${NODE_NAME}" ]; then
  log "not a joined control plane (no admin.conf or node name): nothing to do"
  exit 0
fi
if [ -f "${ROOT}/etc/k8sup/leave-etcd" ]; then
  log "${ROOT}/etc/k8sup/leave-etcd exists: leaving etcd"
else
  answer="$(timeout "${ETCD_CALL_TIMEOUT}" kubectl --kubeconfig "${ADMIN_CONF}" --request-timeout="${ETCD_CALL_TIMEOUT}s" \
    get node "${NODE_NAME}" -o name 2>&1)" && {
    log "node ${NODE_NAME} is still registered (a reboot or a stop): keeping its etcd member"
    exit 0
  }
  case "${answer}" in
    *NotFound* | *"not found"*) log "node ${NODE_NAME} was deleted from the cluster: leaving etcd" ;;
    *)
      log "cannot tell whether node ${NODE_NAME} was deleted (${answer}): keeping its etcd member"
      exit 0
      ;;
  esac
fi
etcd_members "${ADMIN_CONF}" "${NODE_NAME}" || { log "etcd unreachable: the member stays for the next joiner to remove"; exit 0; }
id="$(awk -F', ' -v name="${NODE_NAME}" '$3 == name { print $1 }' <<<"${ETCD_MEMBERS}" | head -n 1)"
if [[ ! "${id}" =~ ^[0-9a-f]{1,16}$ ]]; then
  log "no etcd member is named ${NODE_NAME}: already removed"
  exit 0
fi
if etcdctl_via "${ADMIN_CONF}" "${ETCD_POD}" https://127.0.0.1:2379 member remove "${id}"; then
  log "removed etcd member ${NODE_NAME} (${id})"
else
  log "could not remove etcd member ${NODE_NAME} (${id}): the next joining control plane removes it"
fi
exit 0
