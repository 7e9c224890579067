
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

# The members etcd lists now, as NAME=PEER_URL,…: kubeadm names members after their nodes.
current_members() {
  etcdctl_tls member list -w simple 2>/dev/null | awk -F ', ' '$3 != "" && $4 != "" { printf "%s%s=%s", sep, $3, $4; sep="," }'
}

restore_snapshot() {
  local snapshot="$1" sha="$2" initial="${3:-}" name peer actual parked_at
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
    --initial-advertise-peer-urls "${peer}" --data-dir "${STAGED_DATA}")
  etcd_tool etcdutl "${restore[@]}" >/dev/null 2>&1 || etcd_tool etcdctl "${restore[@]}" >/dev/null
  [ -d "${STAGED_DATA}/member" ] || die "the restore left no member directory in ${STAGED_DATA}"

  mkdir -p "${PARKED}"
  for pod in kube-apiserver etcd; do
    if [ -f "${MANIFESTS}/${pod}.yaml" ]; then mv -f "${MANIFESTS}/${pod}.yaml" "${PARKED}/${pod}.yaml"; fi
  done
  ETCD_MANIFEST="${PARKED}/etcd.yaml"
  wait_for "etcd to stop" 180 endpoint_closed
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

{{#if cloud}}
fetch_backup() {
  local id="$1" manifest sha
  [[ "${id}" =~ ^[0-9]{8}T[0-9]{6}Z$ ]] || die "not a backup id: ${id} (k8sup get backups lists them)"
  manifest="$(mktemp)"
  store_get "backups/etcd/${id}/manifest.json" "${manifest}" || die "cannot read the manifest of backup ${id}"
  sha="$(json_text sha256 <"${manifest}")"
  rm -f "${manifest}"
  mkdir -p "${DATA_DIR}"
  store_get "backups/etcd/${id}/snapshot.db" "${STAGED_SNAPSHOT}" || die "cannot download backup ${id}"
  [ "$(sha256sum "${STAGED_SNAPSHOT}" | cut -d ' ' -f 1)" = "${sha}" ] || die "backup ${id} does not match its manifest's sha256"
  printf 'snapshot=%s\nsha256=%s\n' "${STAGED_SNAPSHOT}" "${sha}"
}

{{/if}}
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
  stop) restore_snapshot "${2:?snapshot path}" "${3:?sha256}" "${4:-}" ;;
  start) start_pods ;;
  health)
    wait_for "etcd to answer through quorum" "${2:-300}" healthy
    log "etcd is healthy"
    ;;
{{#if cloud}}
  fetch) fetch_backup "${2:?backup id}" ;;
{{/if}}
  *) die "usage: k8sup-etcd-restore member | stop SNAPSHOT SHA256 [INITIAL_CLUSTER] | start | health{{#if cloud}} | fetch ID{{/if}}" ;;
esac
