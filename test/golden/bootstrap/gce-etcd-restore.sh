#!/usr/bin/env bash
# k8sup-etcd-restore for demo.k8s.local: restores this control plane's etcd member from a snapshot
# (docs/backups.md). Run on every control plane, in two passes: first `stop` on all of them, then `start` on all.
#   k8sup-etcd-restore stop SNAPSHOT SHA256 [INITIAL_CLUSTER]   verify, restore into a fresh data dir, stop the
#       etcd and kube-apiserver static pods, swap the data dir (the old one is kept next to it)
#   k8sup-etcd-restore member    print this member as NAME=PEER_URL (for INITIAL_CLUSTER)
#   k8sup-etcd-restore start     put the static pods back
#   k8sup-etcd-restore health    wait (bounded) until etcd answers through quorum
#   k8sup-etcd-restore fetch ID  download backup ID from the state store, checked against its manifest
#   k8sup-etcd-restore seed SNAPSHOT SHA256 RESTORE_ID    HA restore, first step: this member alone from the snapshot
#   k8sup-etcd-restore rejoin SEED_CLIENT_URL RESTORE_ID  HA restore, next steps: this member joins the seed anew
# INITIAL_CLUSTER is every member as NAME=PEER_URL,… (default: the members etcd lists now; this member alone only
# when the cluster has a single control plane).
set -euo pipefail

STATE_BUCKET='k8sup-state'
STATE_PREFIX='demo.k8s.local/'
# How many control planes (etcd members) the cluster spec has: a restore alone is right only for one.
CONTROL_PLANES='3'
ROOT="${K8SUP_ROOT:-}"

log() { printf '[k8sup-etcd-restore] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

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

MANIFESTS="${ROOT}/etc/kubernetes/manifests"
# Where the static pods wait while etcd is swapped: kubelet stops a pod whose manifest leaves its folder.
PARKED="${ROOT}/etc/kubernetes/k8sup-restore-manifests"
# Between `stop` and `start` the etcd manifest (and the flags read from it) is parked.
if [ ! -f "${ETCD_MANIFEST}" ] && [ -f "${PARKED}/etcd.yaml" ]; then ETCD_MANIFEST="${PARKED}/etcd.yaml"; fi
DATA_DIR="$(etcd_flag data-dir)"
DATA_DIR="${DATA_DIR:-/var/lib/etcd}"
# Inside the data dir: the etcd container (whose etcdutl may do the restore) sees the same path.
STAGED_SNAPSHOT="${DATA_DIR}/k8sup-restore.db"
STAGED_DATA="${DATA_DIR}/k8sup-restore"
umask 077

endpoint_open() {
  local hostport host port
  hostport="$(etcd_endpoint)"
  hostport="${hostport#*://}"
  host="${hostport%:*}"
  port="${hostport##*:}"
  (exec 3<>"/dev/tcp/${host}/${port}") 2>/dev/null
}

# wait_for WHAT SECONDS COMMAND…: polls COMMAND once a second, at most SECONDS times.
wait_for() {
  local what="$1" seconds="$2" i
  shift 2
  for ((i = 0; i < seconds; i++)); do
    if "$@"; then return 0; fi
    sleep 1
  done
  die "timed out after ${seconds}s waiting for ${what}"
}
endpoint_closed() { ! endpoint_open; }

# park_pods: the etcd and kube-apiserver manifests out of kubelet's folder (it stops their pods), until etcd is down.
park_pods() {
  mkdir -p "${PARKED}"
  for pod in kube-apiserver etcd; do
    if [ -f "${MANIFESTS}/${pod}.yaml" ]; then mv -f "${MANIFESTS}/${pod}.yaml" "${PARKED}/${pod}.yaml"; fi
  done
  ETCD_MANIFEST="${PARKED}/etcd.yaml"
  wait_for "etcd to stop" 180 endpoint_closed
}

# The members etcd lists now, as NAME=PEER_URL,…: kubeadm names members after their nodes.
current_members() {
  etcdctl_tls member list -w simple 2>/dev/null | awk -F ', ' '$3 != "" && $4 != "" { printf "%s%s=%s", sep, $3, $4; sep="," }'
}

# restore_snapshot SNAPSHOT SHA256 INITIAL_CLUSTER TOKEN: the restored cluster's --initial-cluster-token. etcd derives
# member ids and the cluster id from the peer URLs and this token only: restored again with the same token on the same
# hosts, a cluster gets the very ids of the cluster it replaces, and a member still running the old data (a rejoin not
# yet done) would take the restored cluster for its own. The token is unique per restore.
restore_snapshot() {
  local snapshot="$1" sha="$2" initial="${3:-}" token="$4" name peer actual parked_at
  [ -f "${snapshot}" ] || die "no snapshot at ${snapshot}"
  [[ "${sha}" =~ ^[0-9a-f]{64}$ ]] || die "not a sha256: ${sha}"
  actual="$(sha256sum "${snapshot}" | cut -d ' ' -f 1)"
  [ "${actual}" = "${sha}" ] || die "snapshot ${snapshot} has sha256 ${actual}, its manifest says ${sha}: refusing to restore it"
  [ -f "${ETCD_MANIFEST}" ] || die "no etcd static pod manifest: is this a control plane?"
  name="$(etcd_flag name)"
  peer="$(etcd_flag initial-advertise-peer-urls)"
  if [ -z "${name}" ] || [ -z "${peer}" ]; then die "the etcd manifest names no --name / --initial-advertise-peer-urls"; fi
  if [ -z "${initial}" ] && endpoint_open; then initial="$(current_members || true)"; fi
  if [ -z "${initial}" ]; then
    # Members of an HA cluster restored each on its own come back as separate one-member clusters, each with an API
    # server serving its own copy: without a member list to go by, an HA member is never restored alone.
    if [ "${CONTROL_PLANES}" -gt 1 ]; then
      die "cannot read etcd's member list here (etcd down or without quorum) and the cluster has ${CONTROL_PLANES} control planes: pass INITIAL_CLUSTER, the same on every control plane (k8sup-etcd-restore member on each prints its NAME=PEER_URL)"
    fi
    initial="${name}=${peer}"
  fi
  case ",${initial}," in *",${name}=${peer},"*) ;; *) die "INITIAL_CLUSTER ${initial} does not list this member (${name}=${peer})" ;; esac

  mkdir -p "${DATA_DIR}"
  if [ "${snapshot}" != "${STAGED_SNAPSHOT}" ]; then cp -f "${snapshot}" "${STAGED_SNAPSHOT}"; fi
  rm -rf "${STAGED_DATA}"
  log "restoring ${snapshot} as member ${name} of ${initial}"
  local restore=(snapshot restore "${STAGED_SNAPSHOT}" --name "${name}" --initial-cluster "${initial}"
    --initial-advertise-peer-urls "${peer}" --initial-cluster-token "${token}" --data-dir "${STAGED_DATA}")
  etcd_tool etcdutl "${restore[@]}" >/dev/null 2>&1 || etcd_tool etcdctl "${restore[@]}" >/dev/null
  [ -d "${STAGED_DATA}/member" ] || die "the restore left no member directory in ${STAGED_DATA}"

  park_pods
  if [ -d "${DATA_DIR}/member" ]; then
    parked_at="${DATA_DIR}/k8sup-before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
    mkdir -p "${parked_at}"
    mv "${DATA_DIR}/member" "${parked_at}/member"
    log "the data etcd had is kept in ${parked_at}"
  fi
  mv "${STAGED_DATA}/member" "${DATA_DIR}/member"
  rm -rf "${STAGED_DATA}" "${STAGED_SNAPSHOT}"
  log "member ${name} restored; run \`k8sup-etcd-restore start\` once every control plane is restored"
}

start_pods() {
  for pod in etcd kube-apiserver; do
    if [ -f "${PARKED}/${pod}.yaml" ]; then mv -f "${PARKED}/${pod}.yaml" "${MANIFESTS}/${pod}.yaml"; fi
  done
  log "static pods are back; etcd starts once kubelet sees its manifest"
}

healthy() { etcdctl_tls endpoint health >/dev/null 2>&1; }

fetch_backup() {
  local id="$1" manifest sha
  [[ "${id}" =~ ^[0-9]{8}T[0-9]{6}Z(-[0-9a-f]{8})?$ ]] || die "not a backup id: ${id} (k8sup get backups lists them)"
  manifest="$(mktemp)"
  store_get "backups/etcd/${id}/manifest.json" "${manifest}" || die "cannot read the manifest of backup ${id}"
  sha="$(json_text sha256 <"${manifest}")"
  rm -f "${manifest}"
  mkdir -p "${DATA_DIR}"
  store_get "backups/etcd/${id}/snapshot.db" "${STAGED_SNAPSHOT}" || die "cannot download backup ${id}"
  [ "$(sha256sum "${STAGED_SNAPSHOT}" | cut -d ' ' -f 1)" = "${sha}" ] || die "backup ${id} does not match its manifest's sha256"
  printf 'snapshot=%s\nsha256=%s\n' "${STAGED_SNAPSHOT}" "${sha}"
}

# --- An HA control plane restored through the control folder (docs/backups.md, "Restoring an HA control plane"), the
# way etcd's own recovery goes: one member (the seed) restores the snapshot as a ONE-member cluster, then every other
# member joins it as a new member, one at a time (etcd runtime reconfiguration: `member add`, then start with
# --initial-cluster-state=existing). Each step is idempotent for one restore id, kept in markers in the data dir, so a
# repeated command (lost reply, killed CLI) never restores the seed twice nor moves a joined member's data aside.
SEED_MARKER="${DATA_DIR}/k8sup-restore-seed"
REJOIN_MARKER="${DATA_DIR}/k8sup-restore-rejoin"
REJOIN_INITIAL="${DATA_DIR}/k8sup-restore-rejoin-initial"

etcdctl_at() {
  local url="$1"
  shift
  etcd_tool etcdctl --endpoints "${url}" --cacert "${ETCD_PKI}/ca.crt" \
    --cert "${ETCD_PKI}/healthcheck-client.crt" --key "${ETCD_PKI}/healthcheck-client.key" --command-timeout=60s "$@"
}

check_restore_id() { [[ "$1" =~ ^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$ ]] || die "not a restore id: $1"; }

# This member's identity, read before its manifest moves: NAME, PEER_URL and the client URL other members reach.
read_identity() {
  MEMBER_NAME="$(etcd_flag name)"
  MEMBER_PEER="$(etcd_flag initial-advertise-peer-urls)"
  MEMBER_CLIENT="$(etcd_flag advertise-client-urls)"
  MEMBER_CLIENT="${MEMBER_CLIENT%%,*}"
  if [ -z "${MEMBER_NAME}" ] || [ -z "${MEMBER_PEER}" ] || [ -z "${MEMBER_CLIENT}" ]; then
    die "the etcd manifest names no --name / --initial-advertise-peer-urls / --advertise-client-urls: is this a control plane?"
  fi
}

start_and_wait() {
  start_pods
  ETCD_MANIFEST="${MANIFESTS}/etcd.yaml"
  wait_for "member ${MEMBER_NAME} to answer through quorum" "${1:-300}" healthy
}

cluster_id_at() { etcdctl_at "$1" endpoint status -w json 2>/dev/null | json_number cluster_id; }

# retire_old_members: every other member removed from the old cluster while this one is still in it. Otherwise, once
# the seed leaves, the members still on the old data keep a quorum of the old cluster (two of three) until they rejoin:
# their API servers serve and take writes on the old data beside the restored seed, with a controller-manager and a
# scheduler leader of their own. A removed member's etcd stops itself (its API server then fails its health checks).
# A removal needs the old cluster's quorum: where that is already gone nothing can be removed, and members that come
# back before they rejoin could form it again (docs/backups.md, "Restoring an HA control plane").
retire_old_members() {
  local members line id name peer
  members="$(etcdctl_at "${MEMBER_CLIENT}" member list -w simple 2>/dev/null)" ||
    { log "warning: the old cluster does not answer here: no member removed from it"; return 0; }
  while IFS= read -r line; do
    id="${line%%,*}"
    name="$(cut -d , -f 3 <<<"${line}" | tr -d ' ')"
    peer="$(cut -d , -f 4 <<<"${line}" | tr -d ' ')"
    if [ -z "${id}" ] || [ "${peer}" = "${MEMBER_PEER}" ]; then continue; fi
    if etcdctl_at "${MEMBER_CLIENT}" member remove "${id}" >/dev/null 2>&1; then
      log "removed member ${name} (${peer}) from the old cluster: it cannot serve the old data beside the restored one"
    else
      log "warning: could not remove member ${name} (${peer}) from the old cluster (no quorum?): it rejoins the restored one later"
    fi
  done <<<"${members}"
}

# seed SNAPSHOT SHA256 RESTORE_ID: this member alone, from the snapshot (its own name and peer URL), started.
seed_member() {
  local snapshot="$1" sha="$2" rid="$3"
  check_restore_id "${rid}"
  read_identity
  if [ "$(cat "${SEED_MARKER}" 2>/dev/null)" = "${rid}" ] && [ -d "${DATA_DIR}/member" ]; then
    # Restored for this restore already: other members may have joined it since, restoring again would drop them.
    log "member ${MEMBER_NAME} is already the seed of restore ${rid}: not restored again"
    rm -f "${STAGED_SNAPSHOT}"
  else
    retire_old_members
    restore_snapshot "${snapshot}" "${sha}" "${MEMBER_NAME}=${MEMBER_PEER}" "k8sup-restore-${rid}"
    atomic_write "${SEED_MARKER}" <<<"${rid}" || die "cannot write ${SEED_MARKER}"
  fi
  start_and_wait 300
  printf 'member=%s=%s\nclient=%s\n' "${MEMBER_NAME}" "${MEMBER_PEER}" "${MEMBER_CLIENT}"
}

# The parked etcd manifest, rewritten to join an existing cluster: --initial-cluster as `member add` returned it.
rewrite_for_join() {
  local initial="$1" rewritten
  rewritten="$(awk -v ic="${initial}" '
    /^[[:space:]]*-[[:space:]]*--initial-cluster-state=/ { next }
    match($0, /^[[:space:]]*-[[:space:]]*--initial-cluster=/) {
      p = substr($0, 1, RLENGTH - length("--initial-cluster="))
      print p "--initial-cluster=" ic
      print p "--initial-cluster-state=existing"
      next
    }
    { print }' "${PARKED}/etcd.yaml")"
  grep -q -- "--initial-cluster-state=existing" <<<"${rewritten}" || die "the etcd manifest has no --initial-cluster to rewrite"
  atomic_write "${PARKED}/etcd.yaml" <<<"${rewritten}" || die "cannot write ${PARKED}/etcd.yaml"
}

# rejoin SEED_CLIENT_URL RESTORE_ID: this member's old data aside, added to the seed's cluster, started, healthy.
rejoin_member() {
  local seed="$1" rid="$2" seed_cid local_cid members line id state initial parked_at added
  check_restore_id "${rid}"
  [[ "${seed}" =~ ^https?://[][0-9A-Za-z.:-]+$ ]] || die "not a client URL of the seed: ${seed}"
  read_identity
  seed_cid="$(cluster_id_at "${seed}" || true)"
  [ -n "${seed_cid}" ] || die "the seed at ${seed} does not answer: not rejoined"
  # Joined in this restore already: it took this restore's marker before `member add`, and its etcd runs in the seed's
  # cluster (the cluster id is the restore's own: restore_snapshot's token).
  if [ "$(cat "${REJOIN_MARKER}" 2>/dev/null)" = "${rid}" ] && [ -f "${MANIFESTS}/etcd.yaml" ] && endpoint_open; then
    local_cid="$(cluster_id_at "$(etcd_endpoint)" || true)"
    if [ "${local_cid}" = "${seed_cid}" ]; then
      log "member ${MEMBER_NAME} is already a member of the restored cluster ${seed_cid}"
      start_and_wait 300
      printf 'member=%s=%s\n' "${MEMBER_NAME}" "${MEMBER_PEER}"
      return 0
    fi
  fi
  park_pods
  if [ "$(cat "${REJOIN_MARKER}" 2>/dev/null)" != "${rid}" ]; then
    if [ -d "${DATA_DIR}/member" ]; then
      parked_at="${DATA_DIR}/k8sup-before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
      mkdir -p "${parked_at}"
      mv "${DATA_DIR}/member" "${parked_at}/member"
      log "the data etcd had is kept in ${parked_at}"
    fi
    rm -f "${REJOIN_INITIAL}"
    atomic_write "${REJOIN_MARKER}" <<<"${rid}" || die "cannot write ${REJOIN_MARKER}"
  fi
  initial="$(sed -n "s/^${rid} //p" "${REJOIN_INITIAL}" 2>/dev/null || true)"
  if [ -z "${initial}" ]; then
    members="$(etcdctl_at "${seed}" member list -w simple)" || die "cannot list the members of the seed at ${seed}"
    line="$(awk -F ', ' -v p="${MEMBER_PEER}" '$4 == p' <<<"${members}")"
    if [ -n "${line}" ]; then
      id="${line%%,*}"
      state="$(cut -d , -f 2 <<<"${line}" | tr -d ' ')"
      if [ "${state}" = started ] && [ ! -d "${DATA_DIR}/member" ]; then
        log "removing member ${id} (${MEMBER_PEER}) from the seed: it started before, but this host has none of its data"
        etcdctl_at "${seed}" member remove "${id}" >/dev/null || die "cannot remove member ${id} at ${seed}"
        line=""
      fi
    fi
    if [ -z "${line}" ]; then
      # etcd refuses a new member while the seed is not yet connected to its cluster for a few seconds ("unhealthy
      # cluster", its strict reconfiguration check), as just after it started: try again, bounded. An add whose reply
      # was lost shows in the member list.
      for attempt in $(seq 1 30); do
        if added="$(etcdctl_at "${seed}" member add "${MEMBER_NAME}" --peer-urls="${MEMBER_PEER}" 2>"${DATA_DIR}/k8sup-restore-add.err")"; then
          initial="$(sed -n 's/^ETCD_INITIAL_CLUSTER="\(.*\)"$/\1/p' <<<"${added}")"
          break
        fi
        members="$(etcdctl_at "${seed}" member list -w simple 2>/dev/null || true)"
        if [ -n "$(awk -F ', ' -v p="${MEMBER_PEER}" '$4 == p' <<<"${members}")" ]; then
          initial="$(awk -F ', ' -v n="${MEMBER_NAME}" -v p="${MEMBER_PEER}" '{ nm = ($4 == p) ? n : $3; if (nm != "") { printf "%s%s=%s", sep, nm, $4; sep = "," } }' <<<"${members}")"
          break
        fi
        log "etcdctl member add ${MEMBER_NAME} at ${seed} failed (attempt ${attempt} of 30): $(grep -v '^{' "${DATA_DIR}/k8sup-restore-add.err" | tail -n 1)"
        sleep 2
      done
      rm -f "${DATA_DIR}/k8sup-restore-add.err"
    else
      # Added by an earlier run that died before it noted the answer: the seed's list says who is in the cluster.
      initial="$(awk -F ', ' -v n="${MEMBER_NAME}" -v p="${MEMBER_PEER}" '{ nm = ($4 == p) ? n : $3; if (nm != "") { printf "%s%s=%s", sep, nm, $4; sep = "," } }' <<<"${members}")"
    fi
    [ -n "${initial}" ] || die "the seed named no initial cluster for ${MEMBER_NAME}"
    atomic_write "${REJOIN_INITIAL}" <<<"${rid} ${initial}" || die "cannot write ${REJOIN_INITIAL}"
  fi
  log "joining ${MEMBER_NAME} to the restored cluster as a member of ${initial}"
  rewrite_for_join "${initial}"
  start_and_wait 300
  printf 'member=%s=%s\n' "${MEMBER_NAME}" "${MEMBER_PEER}"
}

# This member as NAME=PEER_URL, from its manifest: `k8sup restore cluster` joins every control plane's answer into
# the INITIAL_CLUSTER it passes to `stop`.
print_member() {
  local name peer
  name="$(etcd_flag name)"
  peer="$(etcd_flag initial-advertise-peer-urls)"
  if [ -z "${name}" ] || [ -z "${peer}" ]; then die "no etcd static pod manifest with --name and --initial-advertise-peer-urls: is this a control plane?"; fi
  printf 'member=%s=%s\n' "${name}" "${peer}"
}

case "${1:-}" in
  member) print_member ;;
  # Every member restores with the same token: the first 16 hex digits of the snapshot's sha256 (all members are restored
  # in this one pass, so none keeps the replaced cluster running beside the restored one).
  stop) restore_snapshot "${2:?snapshot path}" "${3:?sha256}" "${4:-}" "k8sup-restore-${3:0:16}" ;;
  start) start_pods ;;
  health)
    wait_for "etcd to answer through quorum" "${2:-300}" healthy
    log "etcd is healthy"
    ;;
  fetch) fetch_backup "${2:?backup id}" ;;
  seed) seed_member "${2:?snapshot path}" "${3:?sha256}" "${4:?restore id}" ;;
  rejoin) rejoin_member "${2:?client URL of the seed}" "${3:?restore id}" ;;
  *) die "usage: k8sup-etcd-restore member | stop SNAPSHOT SHA256 [INITIAL_CLUSTER] | start | health | fetch ID | seed SNAPSHOT SHA256 RESTORE_ID | rejoin SEED_CLIENT_URL RESTORE_ID" ;;
esac
