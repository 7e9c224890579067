#!/usr/bin/env bash
# k8sup-etcd-restore for demo.k8s.local: restores this control plane's etcd member from a snapshot
# (docs/backups.md). Run on every control plane, in two passes: first `stop` on all of them, then `start` on all.
#   k8sup-etcd-restore stop SNAPSHOT SHA256 [INITIAL_CLUSTER]   verify, restore into a fresh data dir, stop the
#       etcd and kube-apiserver static pods, swap the data dir (the old one is kept next to it)
#   k8sup-etcd-restore member    print this member as NAME=PEER_URL (for INITIAL_CLUSTER)
#   k8sup-etcd-restore start     put the static pods back
#   k8sup-etcd-restore health    wait (bounded) until etcd answers through quorum
# INITIAL_CLUSTER is every member as NAME=PEER_URL,… (default: the members etcd lists now; this member alone only
# when the cluster has a single control plane).
set -euo pipefail

# How many control planes (etcd members) the cluster spec has: a restore alone is right only for one.
CONTROL_PLANES='3'
ROOT="${K8SUP_ROOT:-}"

log() { printf '[k8sup-etcd-restore] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

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
  *) die "usage: k8sup-etcd-restore member | stop SNAPSHOT SHA256 [INITIAL_CLUSTER] | start | health" ;;
esac
