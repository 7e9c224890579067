
# store_create KEY FILE: uploads FILE to <prefix>/<cluster>/KEY only if no object has that name (GCS precondition
# ifGenerationMatch=0). 0: created; 1: the object exists (another writer was first); 2: the store cannot tell — a
# reply lost after GCS applied the write looks like this, so the caller reads the object back.
store_create() {
  local key="$1" file="$2" config code
  config="$(gcs_curl_credentials)" || return 2
  code="$(curl -sS --connect-timeout 10 --config - -X POST -H 'Content-Type: application/json' --data-binary "@${file}" \
    -o /dev/null -w '%{http_code}' \
    "https://storage.googleapis.com/upload/storage/v1/b/${STATE_BUCKET}/o?uploadType=media&ifGenerationMatch=0&name=$(gcs_object "${key}")" <<<"${config}")" || return 2
  case "${code}" in
    200) return 0 ;;
    412) return 1 ;;
    *) log "the state store answered HTTP ${code} creating ${key}"; return 2 ;;
  esac
}
