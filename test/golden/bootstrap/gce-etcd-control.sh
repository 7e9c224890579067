#!/usr/bin/env bash
# k8sup-etcd-control for demo.k8s.local: carries out the etcd commands k8sup leaves in the state store
# (docs/backups.md, "The control folder"), like kops' etcd-manager watches its control folder. Every minute
# (k8sup-etcd-control.timer, whether or not scheduled backups are on) it reads
#   <prefix>/<cluster>/backups/etcd/control/command.json      the one current command, written by the CLI
# and, if that command is still open, claims it with a create-only write of
#   <prefix>/<cluster>/backups/etcd/control/<command id>/claim.json
# (the first writer wins: one control plane of an HA cluster, or the CLI cancelling it), carries it out and writes
#   <prefix>/<cluster>/backups/etcd/control/<command id>/result.json
# Commands: backup (k8sup-etcd-backup --command ID), restore (k8sup-etcd-restore fetch/stop/start/health, single
# control plane only), and an HA restore's restore-seed (fetch, then k8sup-etcd-restore seed: this member alone from
# the snapshot) and rejoin (k8sup-etcd-restore rejoin: this member joins the seed anew). A command may name its
# target, or the control planes it excludes. An expired, cancelled, claimed or answered command is never carried out.
set -euo pipefail

STATE_BUCKET='k8sup-state'
STATE_PREFIX='demo.k8s.local/'
# How many control planes (etcd members) the cluster spec has: restore commands are for one only.
CONTROL_PLANES='3'
ROOT="${K8SUP_ROOT:-}"

log() { printf '[k8sup-etcd-control] %s\n' "$*" >&2; }

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

CONTROL=backups/etcd/control
BACKUP_SCRIPT="${ROOT}/usr/local/sbin/k8sup-etcd-backup"
RESTORE_SCRIPT="${ROOT}/usr/local/sbin/k8sup-etcd-restore"
umask 077
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

json_num() { sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\).*/\1/p" | head -n 1; }
# Text that goes into result.json: one line, no quotes or backslashes, bounded.
json_safe() { tr -d '"[:cntrl:]\134' | cut -c 1-300; }

# One look at the control folder, carrying out the command there if it is this host's. A subshell, so its `exit`s end
# only this look; it leaves ${work}/fast when an HA restore is under way (see the loop below).
poll_once() (
  set -e
  found=0
  store_has "${CONTROL}/command.json" || found=$?
  case "${found}" in
    0) ;;
    1) exit 0 ;;
    *) log "cannot read the control folder of the state store: trying again on the next run"; exit 1 ;;
  esac
  store_get "${CONTROL}/command.json" "${work}/command.json" || { log "cannot download ${CONTROL}/command.json"; exit 1; }
  id="$(json_field id <"${work}/command.json")"
  action="$(json_field action <"${work}/command.json")"
  not_after="$(json_num notAfter <"${work}/command.json")"
  if ! [[ "${id}" =~ ^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$ ]] || [ -z "${not_after}" ]; then
    log "the current command is not one k8sup wrote (id ${id:-none}): ignored"
    exit 0
  fi
  # The CLI stops waiting at notAfter: a command nobody waits for any more is never carried out (a late restore of an
  # old snapshot would throw away everything written since).
  if [ "$(date -u +%s)" -gt "${not_after}" ]; then exit 0; fi
  # The steps of an HA restore follow each other within seconds: look again soon (the loop below).
  case "${action}" in restore-seed | rejoin) : >"${work}/fast" ;; esac
  answered=0
  store_has "${CONTROL}/${id}/result.json" || answered=$?
  case "${answered}" in
    0) exit 0 ;;
    1) ;;
    *) log "cannot tell whether command ${id} was answered: trying again on the next run"; exit 1 ;;
  esac

  # The claim: a create-only write, so exactly one writer gets the command — one control plane, or the CLI that
  # cancels it. The nonce tells this run's own claim (whose reply may have been lost) from anyone else's.
  node="$(instance_node_name 2>/dev/null || hostname)"
  # A command may be for one control plane only (target) or for any but some (exclude, comma-separated node names):
  # the others leave it alone, without claiming it.
  target="$(json_field target <"${work}/command.json")"
  exclude="$(json_field exclude <"${work}/command.json")"
  if [ -n "${target}" ] && [ "${target}" != "${node}" ]; then
    [ "${ROUND}" != 1 ] || log "command ${id} (${action}) is for ${target}"
    exit 0
  fi
  case ",${exclude}," in
    *",${node},"*)
      [ "${ROUND}" != 1 ] || log "command ${id} (${action}) is not for ${node}"
      exit 0
      ;;
  esac
  nonce="$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  printf '{"v":1,"command":"%s","node":"%s","nonce":"%s","time":"%s"}\n' "${id}" "${node}" "${nonce}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"${work}/claim.json"
  claimed=0
  for attempt in 1 2 3; do
    created=0
    store_create "${CONTROL}/${id}/claim.json" "${work}/claim.json" || created=$?
    if [ "${created}" = 0 ]; then claimed=1; break; fi
    # Taken, or unknown: whoever holds the claim now says who has the command.
    if store_get "${CONTROL}/${id}/claim.json" "${work}/claimed.json"; then
      if [ "$(json_field nonce <"${work}/claimed.json")" = "${nonce}" ]; then claimed=1; break; fi
      if [ "${ROUND}" != 1 ]; then exit 0; fi
      if grep -q '"cancelled":true' "${work}/claimed.json"; then
        log "command ${id} was cancelled"
      else
        log "command ${id} is claimed by $(json_field node <"${work}/claimed.json")"
      fi
      exit 0
    fi
    if [ "${created}" = 1 ]; then log "command ${id} is claimed, but its claim cannot be read"; exit 1; fi
    sleep "${attempt}"
  done
  [ "${claimed}" = 1 ] || { log "cannot claim command ${id}: trying again on the next run"; exit 1; }
  log "claimed command ${id} (${action})"

  status="done"
  backup=""
  message=""
  # restore-seed / rejoin: the member this control plane runs (NAME=PEER_URL) and the seed's client URL.
  member=""
  client=""
  run_step() {
    if "$@" >"${work}/out" 2>"${work}/err"; then
      cat "${work}/err" >&2
      return 0
    fi
    cat "${work}/err" >&2
    status=failed
    message="$(tail -n 1 "${work}/err" | json_safe)"
    return 1
  }
  case "${action}" in
    backup)
      if run_step "${BACKUP_SCRIPT}" --command "${id}"; then
        backup="$(sed -n 's/^backup=//p' "${work}/out" | head -n 1)"
        [ -n "${backup}" ] || { status=failed; message="the backup script named no backup"; }
      fi
      ;;
    restore)
      backup="$(json_field backup <"${work}/command.json")"
      sha256="$(json_field sha256 <"${work}/command.json")"
      if [ "${CONTROL_PLANES}" -ne 1 ]; then
        # Every member of an HA cluster must restore the same snapshot with the same initial cluster at once: that is
        # the operator's procedure (docs/backups.md), not one control plane's.
        status=failed
        message="restore commands restore a single control plane; this cluster has ${CONTROL_PLANES}: k8sup restores it with restore-seed and rejoin commands (docs/backups.md, Restoring an HA control plane)"
      elif run_step "${RESTORE_SCRIPT}" fetch "${backup}"; then
        snapshot="$(sed -n 's/^snapshot=//p' "${work}/out")"
        if [ "$(sed -n 's/^sha256=//p' "${work}/out")" != "${sha256}" ]; then
          status=failed
          message="backup ${backup} in the store no longer has sha256 ${sha256}: not restored"
        elif run_step "${RESTORE_SCRIPT}" stop "${snapshot}" "${sha256}" && run_step "${RESTORE_SCRIPT}" start; then
          run_step "${RESTORE_SCRIPT}" health 300 || true
        fi
      fi
      ;;
    restore-seed)
      # HA restore, step 1: this control plane restores the snapshot as a one-member cluster (the seed).
      backup="$(json_field backup <"${work}/command.json")"
      sha256="$(json_field sha256 <"${work}/command.json")"
      restore_id="$(json_field restore <"${work}/command.json")"
      if run_step "${RESTORE_SCRIPT}" fetch "${backup}"; then
        snapshot="$(sed -n 's/^snapshot=//p' "${work}/out")"
        if [ "$(sed -n 's/^sha256=//p' "${work}/out")" != "${sha256}" ]; then
          status=failed
          message="backup ${backup} in the store no longer has sha256 ${sha256}: not restored"
        elif run_step "${RESTORE_SCRIPT}" seed "${snapshot}" "${sha256}" "${restore_id}"; then
          member="$(sed -n 's/^member=//p' "${work}/out" | json_safe)"
          client="$(sed -n 's/^client=//p' "${work}/out" | json_safe)"
        fi
      fi
      ;;
    rejoin)
      # HA restore, the next steps: this control plane joins the seed's cluster as a new member.
      backup="$(json_field backup <"${work}/command.json")"
      restore_id="$(json_field restore <"${work}/command.json")"
      if run_step "${RESTORE_SCRIPT}" rejoin "$(json_field seed <"${work}/command.json")" "${restore_id}"; then
        member="$(sed -n 's/^member=//p' "${work}/out" | json_safe)"
      fi
      ;;
    *)
      status=failed
      message="unknown command action ${action}"
      ;;
  esac

  printf '{"v":1,"command":"%s","action":"%s","status":"%s","backup":"%s","node":"%s","time":"%s","message":"%s","member":"%s","client":"%s"}\n' \
    "${id}" "${action}" "${status}" "${backup}" "${node}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${message}" "${member}" "${client}" >"${work}/result.json"
  store_put_retry "${CONTROL}/${id}/result.json" "${work}/result.json" || { log "cannot write the result of command ${id}"; exit 1; }
  log "command ${id} ${status}${backup:+ (backup ${backup})}${message:+: ${message}}"
  [ "${status}" = "done" ]
)

# An HA restore is a sequence of commands (restore-seed, then one rejoin per other member), each waiting for the one
# before: while such a command is open, look again every few seconds instead of once a minute — bounded by
# K8SUP_CONTROL_FAST_SECONDS (default 50 s, within the timer's minute; systemd never runs two pollers at once).
FAST_SECONDS="${K8SUP_CONTROL_FAST_SECONDS:-50}"
started="$(date -u +%s)"
ROUND=1
while :; do
  rm -f "${work}/fast"
  set +e
  poll_once
  rc=$?
  set -e
  [ -f "${work}/fast" ] || exit "${rc}"
  [ "$(($(date -u +%s) - started + 3))" -le "${FAST_SECONDS}" ] || exit "${rc}"
  ROUND=$((ROUND + 1))
  sleep 3
done
