
FORCE=0
# --command ID: the backup answers control command ID (k8sup-etcd-control): taken on this member whether it leads or
# not, its manifest names the command, and it stays out of the timer's retention (the CLI keeps manual backups).
COMMAND_ID=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    --force) FORCE=1 ;;
    --command)
      COMMAND_ID="${2:-}"
      [[ "${COMMAND_ID}" =~ ^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$ ]] || { log "--command needs a command id"; exit 2; }
      FORCE=1
      shift
      ;;
    *) log "usage: k8sup-etcd-backup [--force] [--command ID]"; exit 2 ;;
  esac
  shift
done
umask 077
DATA_DIR="$(etcd_flag data-dir)"
DATA_DIR="${DATA_DIR:-/var/lib/etcd}"
MEMBER="$(etcd_flag name)"

status="$(etcdctl_tls endpoint status -w json)" || { log "etcd does not answer at $(etcd_endpoint): no backup"; exit 1; }
member_id="$(json_number member_id <<<"${status}")"
leader_id="$(json_number leader <<<"${status}")"
etcd_version="$(json_text version <<<"${status}")"
if [ "${FORCE}" = 0 ] && [ "${member_id}" != "${leader_id}" ]; then
  log "member ${MEMBER:-${member_id}} is not the etcd leader: the leader takes the scheduled backups"
  exit 0
fi

BACKUP_ID="$(date -u +%Y%m%dT%H%M%SZ)"
# A command's backup carries the command's random part: a timer backup taken in the same second on another control
# plane has its own id (the second first, so ids still sort by time).
if [ -n "${COMMAND_ID}" ]; then BACKUP_ID="${BACKUP_ID}-${COMMAND_ID##*-}"; fi
# The snapshot is written inside the data dir: a path the etcd container and this host both see.
snapshot="${DATA_DIR}/k8sup-backup-${BACKUP_ID}.db"
manifest="$(mktemp)"
trap 'rm -f "${snapshot}" "${snapshot}.part" "${manifest}"' EXIT
etcdctl_tls snapshot save "${snapshot}" >/dev/null
# A snapshot etcd cannot read back is no backup: status opens it and counts its keys.
snapshot_status="$(etcd_tool etcdutl snapshot status -w json "${snapshot}" 2>/dev/null || etcd_tool etcdctl snapshot status -w json "${snapshot}")"
revision="$(json_number revision <<<"${snapshot_status}")"
[ -n "${revision}" ] || { log "etcd could not read the snapshot back: ${snapshot_status}"; exit 1; }
sha256="$(sha256sum "${snapshot}" | cut -d ' ' -f 1)"
size="$(stat -c %s "${snapshot}")"
trigger=schedule
if [ "${FORCE}" = 1 ]; then trigger=manual; fi
command_field=""
if [ -n "${COMMAND_ID}" ]; then command_field=",\"command\":\"${COMMAND_ID}\""; fi
printf '{"v":1,"id":"%s","cluster":"%s","node":"%s","member":"%s","time":"%s","etcdVersion":"%s","revision":%s,"size":%s,"sha256":"%s","trigger":"%s"%s}\n' \
  "${BACKUP_ID}" "${CLUSTER_NAME}" "$(hostname)" "${MEMBER}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${etcd_version}" "${revision}" "${size}" "${sha256}" "${trigger}" "${command_field}" >"${manifest}"

{{#if cloud}}
# The snapshot first, its manifest last: a backup without a manifest is incomplete, and never restored.
store_put_retry "backups/etcd/${BACKUP_ID}/snapshot.db" "${snapshot}"
store_put_retry "backups/etcd/${BACKUP_ID}/manifest.json" "${manifest}"
log "uploaded backup ${BACKUP_ID} (revision ${revision}, ${size} bytes, sha256 ${sha256})"
if [ -n "${COMMAND_ID}" ]; then
  printf 'backup=%s\n' "${BACKUP_ID}"
  exit 0
fi

# Retention: the index lists the backups this cluster's control planes uploaded, oldest first. Listing the bucket is
# not needed (GCS prefix conditions do not allow it); backups taken by the CLI are kept by the CLI's own retention.
index="$(mktemp)"
kept="$(mktemp)"
trap 'rm -f "${snapshot}" "${snapshot}.part" "${manifest}" "${index}" "${kept}"' EXIT
found=0
store_has backups/etcd/index || found=$?
case "${found}" in
  0) store_get backups/etcd/index "${index}" ;;
  1) : >"${index}" ;;
  *) log "cannot read the backup index: retention skipped this time"; printf 'backup=%s\n' "${BACKUP_ID}"; exit 0 ;;
esac
grep -E '^[0-9]{8}T[0-9]{6}Z$' "${index}" | grep -vxF "${BACKUP_ID}" >"${kept}" || true
printf '%s\n' "${BACKUP_ID}" >>"${kept}"
total="$(wc -l <"${kept}")"
: >"${index}"
if [ "${total}" -gt "${RETAIN}" ]; then
  while read -r old; do
    # The manifest goes first, so a half-deleted backup shows as incomplete, never as restorable.
    if store_delete "backups/etcd/${old}/manifest.json" && store_delete "backups/etcd/${old}/snapshot.db"; then
      log "deleted backup ${old} (retain ${RETAIN})"
    else
      log "could not delete backup ${old}: kept in the index for the next run"
      printf '%s\n' "${old}" >>"${index}"
    fi
  done < <(head -n "$((total - RETAIN))" "${kept}")
fi
tail -n "${RETAIN}" "${kept}" >>"${index}"
store_put backups/etcd/index "${index}"
{{else}}
BACKUP_DIR="${ROOT}/var/lib/k8sup/etcd-backups"
mkdir -p "${BACKUP_DIR}"
chmod 0700 "${BACKUP_DIR}"
# One run at a time writes here (the timer and `k8sup backup cluster` over SSH may meet), so a folder without
# manifest.json that this run finds is one a killed run left behind: empty, or a snapshot never completed. It is no
# backup and goes, rather than sitting among the newest `retain` and pushing a whole backup out.
exec 9>"${BACKUP_DIR}.lock"
flock -w 600 9 || { log "another k8sup-etcd-backup has held ${BACKUP_DIR}.lock for 10 minutes: no backup"; exit 1; }
for interrupted in "${BACKUP_DIR}"/*/; do
  if [ -d "${interrupted}" ] && [ ! -f "${interrupted}manifest.json" ]; then
    rm -rf -- "${interrupted}"
    log "removed interrupted backup $(basename "${interrupted}") (no manifest.json)"
  fi
done
mkdir -p "${BACKUP_DIR}/${BACKUP_ID}"
chmod 0700 "${BACKUP_DIR}/${BACKUP_ID}"
# The snapshot first, its manifest last, as in the store: a folder without manifest.json is incomplete. Each lands
# under a hidden name in its folder first (the data dir may be another file system: that move is a copy) and is then
# renamed, so a kill never leaves a manifest beside a missing or half-copied snapshot.
mv -f "${snapshot}" "${BACKUP_DIR}/${BACKUP_ID}/.snapshot.db.part"
mv -f "${BACKUP_DIR}/${BACKUP_ID}/.snapshot.db.part" "${BACKUP_DIR}/${BACKUP_ID}/snapshot.db"
atomic_write "${BACKUP_DIR}/${BACKUP_ID}/manifest.json" <"${manifest}" || { log "cannot write the manifest of backup ${BACKUP_ID}"; exit 1; }
log "kept backup ${BACKUP_ID} in ${BACKUP_DIR} (revision ${revision}, ${size} bytes, sha256 ${sha256})"
# Retention on this host: the newest RETAIN backups stay.
find "${BACKUP_DIR}" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended -regex '.*/[0-9]{8}T[0-9]{6}Z' -printf '%f\n' | sort | head -n "-${RETAIN}" |
  while read -r old; do rm -rf -- "${BACKUP_DIR:?}/${old}"; log "deleted backup ${old} (retain ${RETAIN})"; done
{{/if}}
printf 'backup=%s\n' "${BACKUP_ID}"
