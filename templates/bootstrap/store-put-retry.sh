# store_put_retry KEY FILE: store_put, repeated (bounded) when it fails — writing the same bytes again after a reply
# was lost is harmless, where giving up would leave a backup or a command's answer half written.
store_put_retry() {
  local i
  for i in 1 2 3; do
    if store_put "$1" "$2"; then return 0; fi
    log "upload of $1 failed (attempt ${i} of 3)"
    sleep "${i}"
  done
  return 1
}
