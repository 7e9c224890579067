
# store_delete KEY: deletes <prefix>/<cluster>/KEY (a missing object counts as deleted).
store_delete() {
  local config code
  config="$(gcs_curl_credentials)" || return 1
  code="$(curl -sS --retry 3 --connect-timeout 10 --config - -X DELETE -o /dev/null -w '%{http_code}' \
    "https://storage.googleapis.com/storage/v1/b/${STATE_BUCKET}/o/$(gcs_object "$1")" <<<"${config}")" || return 1
  case "${code}" in
    204 | 200 | 404) return 0 ;;
    *) log "the state store answered HTTP ${code} deleting $1"; return 1 ;;
  esac
}
