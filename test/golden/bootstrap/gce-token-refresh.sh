#!/usr/bin/env bash
# k8sup-token-refresh for demo.k8s.local: creates a bootstrap token valid 24h and publishes it to the state store
# as <prefix>/<cluster>/bootstrap/token, where joining nodes read it with their own instance identity.
# Run every 12h by k8sup-token-refresh.timer, so a published token always has at least 12h left.
set -euo pipefail

STATE_BUCKET='k8sup-state'
STATE_PREFIX='demo.k8s.local/'
ROOT="${K8SUP_ROOT:-}"

log() { printf '[k8sup-token-refresh] %s\n' "$*" >&2; }

# --- State store access with the instance's own identity: the metadata server hands out an OAuth token for the
# instance's service account; GCS JSON API media download/upload. No static keys exist anywhere in this script. The
# token reaches curl on stdin (--config -), never on its command line, so other processes cannot read it from /proc.
METADATA=http://metadata.google.internal/computeMetadata/v1

metadata_get() { curl -fsS --retry 5 --connect-timeout 5 -H 'Metadata-Flavor: Google' "${METADATA}/$1"; }

json_field() { sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" | head -n 1; }

# Prints a curl config carrying the service account's bearer token.
gcs_curl_credentials() {
  local token
  token="$(metadata_get instance/service-accounts/default/token | json_field access_token)" || return 1
  [ -n "${token}" ] || { log "the metadata server returned no access token"; return 1; }
  printf 'header = "Authorization: Bearer %s"\n' "${token}"
}

# Object names are URL path segments in the JSON API: '/' must be escaped.
gcs_object() { local name="${STATE_PREFIX}$1"; printf '%s' "${name//\//%2F}"; }

# store_get KEY DEST: downloads <prefix>/<cluster>/KEY from the state bucket, private to root (umask) from the start.
store_get() {
  local key="$1" dest="$2" config
  config="$(gcs_curl_credentials)" || return 1
  mkdir -p "$(dirname "${dest}")"
  (umask 077 && curl -fsS --retry 3 --connect-timeout 10 --config - -o "${dest}.part" \
    "https://storage.googleapis.com/storage/v1/b/${STATE_BUCKET}/o/$(gcs_object "${key}")?alt=media" <<<"${config}") || return 1
  mv -f "${dest}.part" "${dest}"
}

# store_put KEY FILE: uploads FILE to <prefix>/<cluster>/KEY (GCS encrypts every object at rest).
store_put() {
  local key="$1" file="$2" config
  config="$(gcs_curl_credentials)" || return 1
  curl -fsS --retry 3 --connect-timeout 10 --config - -X POST -H 'Content-Type: text/plain' --data-binary "@${file}" \
    -o /dev/null "https://storage.googleapis.com/upload/storage/v1/b/${STATE_BUCKET}/o?uploadType=media&name=$(gcs_object "${key}")" <<<"${config}"
}

# The node name on GCE: the instance name.
instance_node_name() { metadata_get instance/name; }
# What names this instance in its progress report.
instance_id() { metadata_get instance/name; }

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
