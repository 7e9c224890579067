#!/usr/bin/env bash
# k8sup-etcd-backup for demo.k8s.local: snapshots this control plane's etcd member with etcdctl and the etcd
# client certificate, checks the snapshot, and keeps it with its sha256 in a manifest (docs/backups.md).
# Keeps them on this host under /var/lib/k8sup/etcd-backups/<id>/; `k8sup backup cluster` runs it over SSH with
# --force and copies the result into the state store.
# Run by k8sup-etcd-backup.timer (schedule hourly), or by hand: k8sup-etcd-backup [--force]
set -euo pipefail

CLUSTER_NAME='demo.k8s.local'
RETAIN='24'
ROOT="${K8SUP_ROOT:-}"

log() { printf '[k8sup-etcd-backup] %s\n' "$*" >&2; }

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
printf 'backup=%s\n' "${BACKUP_ID}"
