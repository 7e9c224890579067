#!/usr/bin/env bash
# k8sup-etcd-backup for demo.k8s.local: snapshots this control plane's etcd member with etcdctl and the etcd
# client certificate, checks the snapshot, and keeps it with its sha256 in a manifest (docs/backups.md).
# Uploads to <prefix>/<cluster>/backups/etcd/<id>/ in the state store with this instance's identity. Only the etcd
# leader uploads on the schedule, so an HA cluster keeps one series of backups; --force uploads from any member.
# Run by k8sup-etcd-backup.timer (schedule hourly), or by hand: k8sup-etcd-backup [--force]
set -euo pipefail

STATE_BUCKET='k8sup-state'
STATE_PREFIX='demo.k8s.local/'
CLUSTER_NAME='demo.k8s.local'
RETAIN='24'
ROOT="${K8SUP_ROOT:-}"

log() { printf '[k8sup-etcd-backup] %s\n' "$*" >&2; }

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

# --- etcd as kubeadm runs it: a static pod whose flags are in /etc/kubernetes/manifests/etcd.yaml, data under
# /var/lib/etcd (mounted into the pod at the same path), certificates under /etc/kubernetes/pki/etcd.
ETCD_MANIFEST="${ROOT}/etc/kubernetes/manifests/etcd.yaml"
ETCD_PKI="${ROOT}/etc/kubernetes/pki/etcd"

# etcd_flag NAME: the value of --NAME=VALUE in the etcd static pod manifest (empty when absent).
etcd_flag() {
  [ -f "${ETCD_MANIFEST}" ] || return 0
  sed -n "s/^[[:space:]]*-[[:space:]]*--$1=\(.*\)$/\1/p" "${ETCD_MANIFEST}" 2>/dev/null | head -n 1 | tr -d '"'"'"
}

# The member's client endpoint on loopback, the first of its listen URLs (kubeadm: https://127.0.0.1:2379).
etcd_endpoint() {
  local urls
  urls="$(etcd_flag listen-client-urls)"
  urls="${urls%%,*}"
  printf '%s' "${urls:-https://127.0.0.1:2379}"
}

# etcd_tool etcdctl|etcdutl ARGS: the tool from the running etcd container (kubeadm hosts have no etcd binaries,
# and the container's match the server's version), else the host's own.
etcd_tool() {
  local tool="$1" id=""
  shift
  if command -v crictl >/dev/null 2>&1; then
    id="$(crictl ps --name '^etcd$' --state running -q 2>/dev/null | head -n 1 || true)"
  fi
  if [ -n "${id}" ]; then
    crictl exec "${id}" "${tool}" "$@"
  elif command -v "${tool}" >/dev/null 2>&1; then
    "${tool}" "$@"
  else
    log "neither a running etcd container nor ${tool} on this host"
    return 127
  fi
}

# etcdctl with the etcd CA and kubeadm's healthcheck client certificate (any certificate of the etcd CA is a client).
etcdctl_tls() {
  etcd_tool etcdctl --endpoints "$(etcd_endpoint)" --cacert "${ETCD_PKI}/ca.crt" \
    --cert "${ETCD_PKI}/healthcheck-client.crt" --key "${ETCD_PKI}/healthcheck-client.key" --command-timeout=60s "$@"
}

# atomic_write PATH < content: the content goes into a temporary file beside PATH (same file system, a dot-name that
# nothing reads: kubelet skips hidden files in its manifest folder), which is then renamed over PATH, mode kept. A kill
# at any moment leaves the old file or the new one, never a part of one that the next run would trust.
atomic_write() {
  local tmp
  tmp="$(mktemp "$(dirname "$1")/.$(basename "$1").XXXXXX")" || return 1
  if [ -f "$1" ]; then chmod --reference="$1" "${tmp}"; fi
  if cat >"${tmp}" && mv -f "${tmp}" "$1"; then return 0; fi
  rm -f "${tmp}"
  return 1
}

json_number() { sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\).*/\1/p" | head -n 1; }
json_text() { sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" | head -n 1; }

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
printf 'backup=%s\n' "${BACKUP_ID}"
