
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

{{#if guardInit}}
# store_has KEY: 0 when <prefix>/<cluster>/KEY exists, 1 when GCS says it does not (404), 2 when it cannot tell.
store_has() {
  local config code
  config="$(gcs_curl_credentials)" || return 2
  code="$(curl -sS --retry 3 --connect-timeout 10 --config - -o /dev/null -w '%{http_code}' \
    "https://storage.googleapis.com/storage/v1/b/${STATE_BUCKET}/o/$(gcs_object "$1")" <<<"${config}")" || return 2
  case "${code}" in
    200) return 0 ;;
    404) return 1 ;;
    *) log "the state store answered HTTP ${code} for $1"; return 2 ;;
  esac
}

{{/if}}
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
