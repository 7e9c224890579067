
# store_create KEY FILE: uploads FILE to <prefix>/<cluster>/KEY only if no object has that key (an S3 conditional
# write, If-None-Match: *). 0: created; 1: the key exists (another writer was first); 2: the store cannot tell — a
# reply lost after S3 applied the write looks like this, so the caller reads the key back.
store_create() {
  local path="${S3_BUCKET_PATH}/${STATE_PREFIX}$1" file="$2" config code
  config="$(s3_config PUT "${path}" '' "$(sha256_hex <"${file}")" 1)" || return 2
  config+=$'\nheader = "If-None-Match: *"'
  code="$(curl -sS --connect-timeout 10 --config - -X PUT --upload-file "${file}" -o /dev/null -w '%{http_code}' \
    "https://${S3_HOST}${path}" <<<"${config}")" || return 2
  case "${code}" in
    200) return 0 ;;
    412) return 1 ;;
    *) log "the state store answered HTTP ${code} creating $1"; return 2 ;;
  esac
}
