
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
