
ADMIN_CONF="${ROOT}/etc/kubernetes/admin.conf"
if [ ! -f "${ADMIN_CONF}" ]; then
  log "no ${ADMIN_CONF}: not a control plane yet, nothing to publish"
  exit 0
fi
token="$(kubeadm token create --kubeconfig "${ADMIN_CONF}" --ttl 24h --description 'k8sup: for joining nodes, refreshed every 12h')"
[[ "${token}" =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || { log "kubeadm returned an unexpected token format"; exit 1; }
token_file="$(mktemp)"
trap 'rm -f "${token_file}"' EXIT
printf 'token=%s\nexpires=%s\nissuer=%s\n' "${token}" "$(date -u -d '+24 hours' +%Y-%m-%dT%H:%M:%SZ)" "$(hostname)" >"${token_file}"
store_put bootstrap/token "${token_file}"
log "published a new bootstrap token (valid 24h)"
