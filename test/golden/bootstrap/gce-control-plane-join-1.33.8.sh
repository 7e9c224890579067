#!/usr/bin/env bash
# k8sup node bootstrap for demo.k8s.local: role control-plane-join, provider gce, Kubernetes 1.33.8.
# Rendered by k8sup from templates/bootstrap; do not edit on the node. Safe to run again: every step checks first.
# It contains no private key material: control planes fetch theirs with the instance's own identity (cloud) or
# receive them over SSH before this runs (metal); workers join with a short-lived bootstrap token.
set -euo pipefail

# Values rendered by k8sup (single-quoted, so the shell never expands them).
CLUSTER_NAME='demo.k8s.local'
ROLE='control-plane-join'
K8S_VERSION='1.33.8'
K8S_PACKAGE_VERSION='1.33.8-1.1'
K8S_APT_URL='https://pkgs.k8s.io/core:/stable:/v1.33/deb/'
CONTAINERD_VERSION='2.2.1'
RUNC_VERSION='1.3.4'
NODE_GROUP='control-plane'
STATE_BUCKET='k8sup-state'
STATE_PREFIX='demo.k8s.local/'

# K8SUP_ROOT prefixes every file path, so tests can run this script against a temporary root. Empty on real nodes.
ROOT="${K8SUP_ROOT:-}"
if [ -z "${ROOT}" ] && [ "$(id -u)" -ne 0 ]; then
  echo "k8sup bootstrap must run as root" >&2
  exit 1
fi

log() { printf '[k8sup] %s\n' "$*" >&2; }
# LAST_ERROR is what the node's progress report says when the script stops (docs/bootstrap.md, "Progress reports").
LAST_ERROR=""
die() { LAST_ERROR="$*"; log "ERROR: $*"; exit 1; }

# step NAME MESSAGE: logs the start of a step and reports it to the state store.
STEP=start
step() {
  STEP="$1"
  log "$2"
  report running
}

# retry ATTEMPTS WHAT COMMAND...: runs COMMAND until it succeeds, at most ATTEMPTS times, 5, 10, 20, 40, then 60 s
# apart. For what needs time at first boot: IAM propagation, the API server, apt mirrors.
retry() {
  local attempts="$1" what="$2" n=1 delay=5
  shift 2
  until "$@"; do
    if [ "${n}" -ge "${attempts}" ]; then
      LAST_ERROR="${what} failed ${attempts} times"
      return 1
    fi
    log "${what} failed (attempt ${n}/${attempts}), again in ${delay}s"
    sleep "${delay}"
    n=$((n + 1))
    delay=$((delay < 30 ? delay * 2 : 60))
  done
}

# write_file PATH MODE < content: replaces PATH only when the content differs, so a second run changes nothing.
# Sets WROTE=1 when it wrote, WROTE=0 when the file was already up to date.
WROTE=0
write_file() {
  local path="$1" mode="$2" tmp
  mkdir -p "$(dirname "${path}")"
  tmp="$(mktemp "${path}.k8sup.XXXXXX")"
  cat >"${tmp}"
  chmod "${mode}" "${tmp}"
  if [ -f "${path}" ] && cmp -s "${tmp}" "${path}"; then
    rm -f "${tmp}"
    WROTE=0
  else
    mv -f "${tmp}" "${path}"
    WROTE=1
  fi
}

# Steps that install something leave a stamp named after what they installed (and its version).
STAMP_DIR="${ROOT}/var/lib/k8sup/done"
is_done() { [ -f "${STAMP_DIR}/$1" ]; }
mark_done() { mkdir -p "${STAMP_DIR}"; : >"${STAMP_DIR}/$1"; }

# enable_when_written NAME CHANGED UNIT: enables and starts UNIT once its files were written (CHANGED=1), and owes it
# (a stamp) until that is done: a run stopped between the write and the enable (a reboot, a kill) would otherwise find
# the files up to date for good and never enable the unit.
enable_when_written() {
  local name="$1" changed="$2" unit="$3"
  if [ "${changed}" = 1 ]; then mark_done "${name}-enable-pending"; fi
  if is_done "${name}-enable-pending"; then
    systemctl daemon-reload
    systemctl enable --now "${unit}"
    rm -f "${STAMP_DIR}/${name}-enable-pending"
  fi
}

# download URL DEST SHA256: fetch into a temporary file, verify the pinned checksum, then move it into place.
download() {
  local url="$1" dest="$2" sum="$3"
  [ -n "${sum}" ] || die "no pinned sha256 for ${url}; refusing an unverified download"
  mkdir -p "$(dirname "${dest}")"
  curl -fsSL --retry 5 --retry-delay 3 --connect-timeout 10 -o "${dest}.part" "${url}"
  printf '%s  %s\n' "${sum}" "${dest}.part" | sha256sum -c --quiet - || die "checksum mismatch for ${url}"
  mv -f "${dest}.part" "${dest}"
}

case "$(uname -m)" in
  x86_64 | amd64) ARCH=amd64 ;;
  aarch64 | arm64) ARCH=arm64 ;;
  *) die "unsupported CPU architecture $(uname -m)" ;;
esac

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

# --- Progress reports. The node writes <prefix>/<cluster>/nodes/status/<instance>.json with its own identity when a
# step starts, when the script fails and when it is done, so `k8sup get instances` and `validate cluster` can say
# where a bootstrap is stuck. Reporting is best effort: a report that cannot be written never stops the bootstrap.
# k8sup-bootstrap.service runs this script again until it succeeds; FAILURES_FILE counts the runs that failed.
FAILURES_FILE="${ROOT}/var/lib/k8sup/bootstrap-failures"
FAILURES="$(cat "${FAILURES_FILE}" 2>/dev/null || true)"
[[ "${FAILURES}" =~ ^[0-9]{1,6}$ ]] || FAILURES=0
ATTEMPT=$((FAILURES + 1))
# A node that finished once reports failures only: a rerun that changes nothing writes nothing.
REPORTING=1
if is_done bootstrap-complete; then REPORTING=0; fi
INSTANCE_ID=""

json_string() {
  local s="${1//\\/\\\\}"
  s="${s//\"/\\\"}"
  printf '"%s"' "${s//[$'\001'-$'\037']/ }"
}

report() {
  local state="$1" file
  [ "${state}" = failed ] || [ "${REPORTING}" = 1 ] || return 0
  if [ -z "${INSTANCE_ID}" ]; then
    INSTANCE_ID="$(instance_id)" || INSTANCE_ID=""
    [[ "${INSTANCE_ID}" =~ ^[A-Za-z0-9._-]{1,128}$ ]] || { log "no usable instance id for the progress report"; INSTANCE_ID=""; return 0; }
  fi
  file="$(mktemp)"
  printf '{"v":1,"instance":%s,"cluster":%s,"role":%s,"group":%s,"step":%s,"state":%s,"attempt":%d,"error":%s,"time":%s}\n' \
    "$(json_string "${INSTANCE_ID}")" "$(json_string "${CLUSTER_NAME}")" "$(json_string "${ROLE}")" "$(json_string "${NODE_GROUP}")" \
    "$(json_string "${STEP}")" "$(json_string "${state}")" "${ATTEMPT}" "$(json_string "${LAST_ERROR}")" \
    "$(json_string "$(date -u +%Y-%m-%dT%H:%M:%SZ)")" >"${file}"
  store_put "nodes/status/${INSTANCE_ID}.json" "${file}" || log "could not write the progress report (continuing)"
  rm -f "${file}"
}

# On failure: count it, say what failed (the die message, or the command set -e stopped at) and report it.
on_exit() {
  local status=$?
  [ "${status}" -ne 0 ] || return 0
  mkdir -p "$(dirname "${FAILURES_FILE}")"
  printf '%s\n' "${ATTEMPT}" >"${FAILURES_FILE}"
  rm -f "${STAMP_DIR}/bootstrap-complete"
  [ -n "${LAST_ERROR}" ] || LAST_ERROR="'${FAILED_COMMAND:-bootstrap}' exited with status ${status}"
  REPORTING=1
  report failed
}
# systemd stops a run with SIGTERM (the unit's TimeoutStartSec, `systemctl stop`, a shutdown). bash then runs the EXIT
# trap with the status of the last command that finished, often 0: without this the run would count as neither
# failed nor done, and its report would stay "running" at the step that hung.
on_term() {
  LAST_ERROR="stopped by SIGTERM during step ${STEP} (the unit's TimeoutStartSec, a stop or a shutdown)"
  exit 143
}
FAILED_COMMAND=""
set -o errtrace
trap 'FAILED_COMMAND="${BASH_COMMAND}"' ERR
trap on_term TERM
trap on_exit EXIT

# Backoff between runs: the unit restarts the script 10 s after a failure; wait longer the more runs failed.
if [ "${FAILURES}" -gt 0 ]; then
  BACKOFF=300
  if [ "${FAILURES}" -lt 6 ]; then BACKOFF=$((5 << FAILURES)); fi
  log "attempt ${ATTEMPT}: ${FAILURES} earlier run(s) failed, waiting ${BACKOFF}s"
  sleep "${BACKOFF}"
fi

# --- supported images: Ubuntu 22.04 or later, Debian 12 or later, with apt and systemd (docs/bootstrap.md). Anything
# else stops here, with the reason in the node's report, rather than half-way through with a puzzling error.
step image "checking the image"
OS_RELEASE="${ROOT}/etc/os-release"
[ -f "${OS_RELEASE}" ] || OS_RELEASE=/etc/os-release
OS_ID="$(sed -n 's/^ID=//p' "${OS_RELEASE}" 2>/dev/null | tr -d '"')" || OS_ID=""
OS_VERSION="$(sed -n 's/^VERSION_ID=//p' "${OS_RELEASE}" 2>/dev/null | tr -d '"')" || OS_VERSION=""
case "${OS_ID}:${OS_VERSION%%.*}" in
  ubuntu:2[2-9] | ubuntu:[3-9][0-9] | debian:1[2-9]) ;;
  *) die "unsupported image ${OS_ID:-unknown} ${OS_VERSION:-?}: k8sup nodes need Ubuntu 22.04 or later, or Debian 12 or later" ;;
esac
for tool in apt-get systemctl curl sha256sum; do
  command -v "${tool}" >/dev/null || die "unsupported image: ${tool} is missing (k8sup nodes need apt, systemd and curl)"
done

# --- the clock, before anything is downloaded or signed: TLS checks certificate dates, S3 refuses a signature more
# than 15 minutes off, apt refuses a Release file "not valid yet". At first boot chrony or systemd-timesyncd may not
# have set the time yet: while one is active and not synchronised, wait up to 2 minutes, then go on with a warning (a
# host with no NTP server in reach is told, not stopped). Once per node.
if ! is_done clock-checked && command -v timedatectl >/dev/null 2>&1 && [ "$(timedatectl show -p NTP --value 2>/dev/null)" = yes ]; then
  attempt=0
  until [ "$(timedatectl show -p NTPSynchronized --value 2>/dev/null)" = yes ]; do
    attempt=$((attempt + 1))
    if [ "${attempt}" -gt 24 ]; then
      log "warning: the clock is still not synchronised after 2 minutes (timedatectl): TLS and signed requests may fail"
      break
    fi
    log "waiting for the clock to be synchronised (${attempt}/24)"
    sleep 5
  done
  mark_done clock-checked
fi

# --- swap off. The kubelet refuses to start with swap enabled (its default), now and after a reboot.
step prepare "swap off"
swapoff -a
if [ -f "${ROOT}/etc/fstab" ] && grep -Eq '^[^#].*[[:space:]]swap[[:space:]]' "${ROOT}/etc/fstab"; then
  sed -i -E 's/^([^#].*[[:space:]]swap[[:space:]].*)$/# \1 # disabled by k8sup/' "${ROOT}/etc/fstab"
fi

# --- kernel modules. overlay for containerd's snapshotter, br_netfilter so bridged pod traffic hits iptables.
log "kernel modules"
write_file "${ROOT}/etc/modules-load.d/k8sup.conf" 0644 <<'K8SUP_EOF_MODULES'
# Loaded at boot for Kubernetes (written by k8sup).
overlay
br_netfilter
K8SUP_EOF_MODULES
for module in overlay br_netfilter; do
  modprobe "${module}"
done

# --- sysctls. Needs br_netfilter loaded first (the net.bridge keys only exist then).
log "sysctls"
write_file "${ROOT}/etc/sysctl.d/99-k8sup.conf" 0644 <<'K8SUP_EOF_SYSCTL'
# Kubernetes networking needs these (written by k8sup).
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
net.ipv4.ip_forward = 1
K8SUP_EOF_SYSCTL
# Applied until it once succeeded, like containerd's restart: a run stopped before it (a failed `sysctl --system`, a
# kill) finds the file up to date, and without a reboot ip_forward would stay 0, failing kubeadm's preflight for good.
if [ "${WROTE}" = 1 ]; then mark_done sysctl-apply-pending; fi
if is_done sysctl-apply-pending; then
  sysctl --system >/dev/null
  rm -f "${STAMP_DIR}/sysctl-apply-pending"
fi

# --- containerd and runc, pinned and checksum-verified, configured for the systemd cgroup driver.
step containerd "containerd ${CONTAINERD_VERSION}"
case "${ARCH}" in
  amd64)
    CONTAINERD_URL='https://github.com/containerd/containerd/releases/download/v2.2.1/containerd-2.2.1-linux-amd64.tar.gz'
    CONTAINERD_SHA256='f5d8e90ecb6c1c7e33ecddf8cc268a93b9e5b54e0e850320d765511d76624f41'
    RUNC_URL='https://github.com/opencontainers/runc/releases/download/v1.3.4/runc.amd64'
    RUNC_SHA256='5966ca40b6187b30e33bfc299c5f1fe72e8c1aa01cf3fefdadf391668f47f103'
    ;;
  arm64)
    CONTAINERD_URL='https://github.com/containerd/containerd/releases/download/v2.2.1/containerd-2.2.1-linux-arm64.tar.gz'
    CONTAINERD_SHA256='dac15a0d412a24be8bfe6a40cec8f51829062725169f1e72ac7d120a891ef5b6'
    RUNC_URL='https://github.com/opencontainers/runc/releases/download/v1.3.4/runc.arm64'
    RUNC_SHA256='d6dcab36d1b6af1b72c7f0662e5fcf446a291271ba6006532b95c4144e19d428'
    ;;
esac
if ! is_done "containerd-${CONTAINERD_VERSION}-runc-${RUNC_VERSION}"; then
  download_dir="$(mktemp -d)"
  download "${CONTAINERD_URL}" "${download_dir}/containerd.tar.gz" "${CONTAINERD_SHA256}"
  download "${RUNC_URL}" "${download_dir}/runc" "${RUNC_SHA256}"
  mkdir -p "${ROOT}/usr/local/bin" "${ROOT}/usr/local/sbin"
  tar -C "${ROOT}/usr/local" -xzf "${download_dir}/containerd.tar.gz"
  install -m 0755 "${download_dir}/runc" "${ROOT}/usr/local/sbin/runc"
  rm -rf "${download_dir}"
  # A running containerd keeps executing its old binary until it is restarted (a version bump, same configuration).
  mark_done containerd-restart-pending
  mark_done "containerd-${CONTAINERD_VERSION}-runc-${RUNC_VERSION}"
fi

containerd_changed=0
write_file "${ROOT}/etc/systemd/system/containerd.service" 0644 <<'K8SUP_EOF_CONTAINERD_UNIT'
# containerd, installed by k8sup from the upstream release archive.
[Unit]
Description=containerd container runtime
Documentation=https://containerd.io
After=network.target local-fs.target

[Service]
ExecStartPre=-/sbin/modprobe overlay
ExecStart=/usr/local/bin/containerd
Type=notify
Delegate=yes
KillMode=process
Restart=always
RestartSec=5
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
OOMScoreAdjust=-999

[Install]
WantedBy=multi-user.target
K8SUP_EOF_CONTAINERD_UNIT
if [ "${WROTE}" = 1 ]; then containerd_changed=1; fi
write_file "${ROOT}/etc/containerd/config.toml" 0644 <<'K8SUP_EOF_CONTAINERD_CONFIG'
# containerd configuration written by k8sup (containerd 2.x: configuration version 3).
version = 3

[plugins.'io.containerd.cri.v1.images'.pinned_images]
  # The pause image kubeadm 1.33 expects, so the kubelet and containerd agree on the sandbox
  # (pinned: the image garbage collector never removes it).
  sandbox = "registry.k8s.io/pause:3.10"

[plugins.'io.containerd.cri.v1.images'.registry]
  # Per-registry mirrors live in /etc/containerd/certs.d/<registry>/hosts.toml.
  config_path = '/etc/containerd/certs.d'

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
  runtime_type = 'io.containerd.runc.v2'

  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
    # The kubelet uses the systemd cgroup driver (kubeadm's default); the runtime must match.
    SystemdCgroup = true
    BinaryName = '/usr/local/sbin/runc'
K8SUP_EOF_CONTAINERD_CONFIG
if [ "${WROTE}" = 1 ]; then containerd_changed=1; fi
# The restart is owed until it happened: a run that stops between writing the files and restarting containerd (a
# reboot, a kill, a failed systemctl) finds the files up to date next time, and containerd would stay down or on its
# old configuration for good. The stamp carries the debt over to the next run.
if [ "${containerd_changed}" = 1 ]; then mark_done containerd-restart-pending; fi
if is_done containerd-restart-pending; then
  systemctl daemon-reload
  systemctl enable containerd
  systemctl restart containerd
  rm -f "${STAMP_DIR}/containerd-restart-pending"
fi

# --- The bootstrap token of nodes that join. Defined before the packages: a cloud control plane reads the cluster's
# version with it first (kube-packages-upgrade), a worker of an upgrade checks the store with it (worker-upgrade-wait),
# and kubeadm joins with it.

# fetch_join_token: sets BOOTSTRAP_TOKEN to a bootstrap token (valid 24h, refreshed every 12h by the control planes;
# see docs/bootstrap.md) after checking its format, so it can be written into the kubeadm config safely.
TOKEN_FILE="${ROOT}/etc/k8sup/bootstrap-token"
fetch_join_token() {
  local attempt=0 expires expires_at
  while :; do
    if store_get bootstrap/token "${TOKEN_FILE}"; then
      # A token past its expiry is gone from the cluster, and kubeadm join would only fail discovery minutes later
      # ("token id not found"): wait for the control planes' next refresh instead (a minute of margin for clocks).
      expires="$(sed -n 's/^expires=//p' "${TOKEN_FILE}" | head -n 1)"
      if [ -z "${expires}" ] || ! expires_at="$(date -u -d "${expires}" +%s 2>/dev/null)" || [ "${expires_at}" -gt $(($(date -u +%s) + 60)) ]; then
        break
      fi
      log "the bootstrap token in the state store expired at ${expires}: waiting for a control plane to refresh it (docs/bootstrap.md, \"Tokens for nodes that join later\")"
    fi
    attempt=$((attempt + 1))
    [ "${attempt}" -lt 90 ] || die "no unexpired bootstrap token in the state store after 15 minutes"
    log "waiting for the control plane to publish a bootstrap token (${attempt}/90)"
    sleep 10
  done
  BOOTSTRAP_TOKEN="$(sed -n 's/^token=//p' "${TOKEN_FILE}" | head -n 1)"
  [[ "${BOOTSTRAP_TOKEN}" =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || die "malformed bootstrap token in ${TOKEN_FILE}"
}

# --- Which packages this control plane joins with (docs/upgrades.md, "Clouds"). kubeadm's rule: the kubeadm binary
# a node joins with must match the version the cluster was created (`kubeadm init`) or last upgraded (`kubeadm
# upgrade`) with; and a kubelet must not be newer than kube-apiserver. A control plane that joins reads the cluster's
# version with the bootstrap token of the join: kubeadm lets the token's group
# (system:bootstrappers:kubeadm:default-node-token) get kube-system/kubeadm-config (Role kubeadm:nodes-kubeadm-config),
# which is how kubeadm's own join reads it too.
# This bundle was not rendered for an upgrade: it carries the packages of its own version only, so it joins a cluster
# at that version only (refuse_other_cluster_version, which kubeadm below calls right before it joins).
API_ENDPOINT='api.demo.example.com:6443'

# cluster_version_for_join: sets CLUSTER_VERSION to the ClusterConfiguration's kubernetesVersion ('v1.34.4') as the
# API load balancer answers it to the bootstrap token. The token comes from fetch_join_token (join-token), which waits
# out an expired one, as the join does; each retry fetches it again, so a refresh during the retries is used. The token
# reaches curl on stdin only, never its command line.
cluster_version_for_join() {
  local work answer attempt=0
  work="$(mktemp -d)"
  retry 10 "fetching pki/ca.crt" store_get pki/ca.crt "${work}/ca.crt" ||
    { rm -rf "${work}"; die "cannot fetch pki/ca.crt from the state store with this instance's identity"; }
  fetch_join_token
  until answer="$(curl -fsS --connect-timeout 10 --max-time 30 --cacert "${work}/ca.crt" --config - \
    "https://${API_ENDPOINT}/api/v1/namespaces/kube-system/configmaps/kubeadm-config" <<<"header = \"Authorization: Bearer ${BOOTSTRAP_TOKEN}\"")"; do
    attempt=$((attempt + 1))
    [ "${attempt}" -lt 30 ] || { rm -rf "${work}"; die "cannot read the cluster's ClusterConfiguration (kube-system/kubeadm-config) with the bootstrap token"; }
    sleep 10
    fetch_join_token
  done
  rm -rf "${work}"
  CLUSTER_VERSION="$(grep -o 'kubernetesVersion: *v[0-9]*\.[0-9]*\.[0-9]*' <<<"${answer}" | head -n 1 | sed 's/^kubernetesVersion: *//')" || true
  [ -n "${CLUSTER_VERSION}" ] || die "kube-system/kubeadm-config names no kubernetesVersion"
}

# refuse_other_cluster_version: stops this control plane before it joins a cluster of another version.
refuse_other_cluster_version() {
  cluster_version_for_join
  if [ "${CLUSTER_VERSION}" != "v${K8S_VERSION}" ]; then
    log "ERROR: the cluster runs ${CLUSTER_VERSION} and this control plane's bundle is of v${K8S_VERSION}, not rendered for an"
    log "ERROR: upgrade: joining with kubeadm ${K8S_VERSION} would break kubeadm's skew rule, so this control plane stops here."
    log "ERROR: A cluster moves to another version with \`k8sup upgrade cluster\` (docs/upgrades.md, \"Failure modes and recovery (AWS, GCE)\")."
    die "the cluster runs ${CLUSTER_VERSION}: this control plane joins a cluster at v${K8S_VERSION} only; not joining"
  fi
  log "the cluster runs ${CLUSTER_VERSION}: joining with kubeadm ${K8S_VERSION}"
}

# --- kubelet, kubeadm and kubectl from the Kubernetes apt repository of this minor version, pinned and held
# so an unattended upgrade never moves them (k8sup upgrades them on purpose).
step packages "kubelet, kubeadm, kubectl ${K8S_PACKAGE_VERSION}"
# apt_get ARGS...: at first boot unattended-upgrades holds the dpkg lock for minutes; apt waits up to 10 minutes for
# it (DPkg::Lock::Timeout) instead of failing at once, and a run that still fails (a mirror hiccup) is retried.
# That timeout covers the dpkg lock only: `apt-get update` also takes the lists lock (/var/lib/apt/lists/lock), which
# apt-daily's own update holds at first boot and apt never waits for, so update is tried 10 times (about 6 minutes).
apt_get() {
  local attempts=3
  if [ "$1" = update ]; then attempts=10; fi
  retry "${attempts}" "apt-get $1" apt-get -o DPkg::Lock::Timeout=600 "$@"
}
if ! is_done "kube-packages-${K8S_PACKAGE_VERSION}"; then
  export DEBIAN_FRONTEND=noninteractive
  apt_get update -q
  apt_get install -y -q ca-certificates curl gpg conntrack socat
  mkdir -p "${ROOT}/etc/apt/keyrings"
  # The repository key is trusted as the Kubernetes repository (or the mirror) serves it over HTTPS: it has no published
  # fingerprint (none in the kubeadm install guide or release notes; docs/bootstrap.md), so there is none to pin and
  # check. apt then verifies the repository's signature with it, and the versions installed are pinned.
  curl -fsSL --retry 5 "${K8S_APT_URL}Release.key" | gpg --batch --yes --dearmor -o "${ROOT}/etc/apt/keyrings/k8sup-kubernetes.gpg"
  printf 'deb [signed-by=/etc/apt/keyrings/k8sup-kubernetes.gpg] %s /\n' "${K8S_APT_URL}" |
    write_file "${ROOT}/etc/apt/sources.list.d/k8sup-kubernetes.list" 0644
  apt_get update -q
  # An upgrade re-runs this step with a new version: lift the hold, install, hold again.
  apt-mark unhold kubelet kubeadm kubectl >/dev/null 2>&1 || true
  apt_get install -y -q --allow-downgrades --allow-change-held-packages \
    "kubelet=${K8S_PACKAGE_VERSION}" "kubeadm=${K8S_PACKAGE_VERSION}" "kubectl=${K8S_PACKAGE_VERSION}"
  apt-mark hold kubelet kubeadm kubectl
  systemctl enable kubelet
  mark_done "kube-packages-${K8S_PACKAGE_VERSION}"
fi

# --- kubeadm's real outcome decides whether this node is part of the cluster, never the existence of kubelet.conf:
# kubeadm writes it early (init's kubeconfig phase, a control-plane join before etcd), so a failed run leaves one
# behind. Stamps record that kubeadm started and that it succeeded; a run that started and never succeeded is undone
# with `kubeadm reset -f` before the steps below run kubeadm again.
if is_done kubeadm-started && ! is_done kubeadm-succeeded; then
  step kubeadm-reset "an earlier kubeadm run did not succeed: kubeadm reset -f, then again"
  # reset empties /etc/kubernetes/pki; the cluster's CAs and service-account keys are kept, modes included.
  PKI_KEEP="$(mktemp -d)"
  for pki_file in ca.crt ca.key front-proxy-ca.crt front-proxy-ca.key etcd/ca.crt etcd/ca.key sa.key sa.pub; do
    if [ -s "${ROOT}/etc/kubernetes/pki/${pki_file}" ]; then
      mkdir -p "$(dirname "${PKI_KEEP}/${pki_file}")"
      cp -p "${ROOT}/etc/kubernetes/pki/${pki_file}" "${PKI_KEEP}/${pki_file}"
    fi
  done
  kubeadm reset -f
  for pki_file in ca.crt ca.key front-proxy-ca.crt front-proxy-ca.key etcd/ca.crt etcd/ca.key sa.key sa.pub; do
    if [ -s "${PKI_KEEP}/${pki_file}" ]; then
      mkdir -p "$(dirname "${ROOT}/etc/kubernetes/pki/${pki_file}")"
      cp -p "${PKI_KEEP}/${pki_file}" "${ROOT}/etc/kubernetes/pki/${pki_file}"
    fi
  done
  rm -rf "${PKI_KEEP}"
  rm -f "${STAMP_DIR}/kubeadm-started"
fi

# --- the cluster's pre-generated PKI (CAs and service-account keys) goes to /etc/kubernetes/pki BEFORE
# kubeadm runs: kubeadm keeps existing CAs and signs this node's certificates with them, so no --upload-certs.
step pki "control-plane PKI"
PKI_DIR="${ROOT}/etc/kubernetes/pki"
mkdir -p "${PKI_DIR}/etcd"
chmod 0700 "${PKI_DIR}" "${PKI_DIR}/etcd"
for pki_file in ca.crt ca.key front-proxy-ca.crt front-proxy-ca.key etcd/ca.crt etcd/ca.key sa.key sa.pub; do
  if [ ! -s "${PKI_DIR}/${pki_file}" ]; then
    # Right after create the instance role may not be usable yet (IAM propagation): 403/404 clear within minutes.
    retry 10 "fetching pki/${pki_file}" store_get "pki/${pki_file}" "${PKI_DIR}/${pki_file}" ||
      die "cannot fetch pki/${pki_file} from the state store with this instance's identity"
    chmod 0600 "${PKI_DIR}/${pki_file}"
  fi
done

# --- etcd membership, through a running etcd pod: the etcd image carries etcdctl, the node does not, and the API
# (kubectl exec) is reachable wherever kubeadm is, so no etcd port has to be open to this node.
# etcdctl_via KUBECONFIG POD ENDPOINT ARGS...: etcdctl in POD against ENDPOINT, bounded by ETCD_CALL_TIMEOUT seconds.
etcdctl_via() {
  local kubeconfig="$1" pod="$2" endpoint="$3"
  shift 3
  timeout "${ETCD_CALL_TIMEOUT}" kubectl --kubeconfig "${kubeconfig}" --request-timeout="${ETCD_CALL_TIMEOUT}s" -n kube-system \
    exec "${pod}" -- etcdctl --endpoints "${endpoint}" --cacert /etc/kubernetes/pki/etcd/ca.crt \
    --cert /etc/kubernetes/pki/etcd/server.crt --key /etc/kubernetes/pki/etcd/server.key --dial-timeout=5s --command-timeout=8s "$@"
}

# etcd_members KUBECONFIG SKIP_NODE: sets ETCD_POD to a running etcd pod (not SKIP_NODE's) that answers, and
# ETCD_MEMBERS to its `member list` ("id, status, name, peer URL, client URL, is learner" per line).
etcd_members() {
  local kubeconfig="$1" pods pod
  pods="$(timeout "${ETCD_CALL_TIMEOUT}" kubectl --kubeconfig "${kubeconfig}" --request-timeout="${ETCD_CALL_TIMEOUT}s" -n kube-system \
    get pods -l component=etcd --field-selector=status.phase=Running -o jsonpath='{.items[*].metadata.name}')" || return 1
  read -r -a pods <<<"${pods}"
  for pod in "${pods[@]}"; do
    [ "${pod}" != "etcd-$2" ] || continue
    if ETCD_MEMBERS="$(etcdctl_via "${kubeconfig}" "${pod}" https://127.0.0.1:2379 member list)"; then
      ETCD_POD="${pod}"
      return 0
    fi
  done
  log "no running etcd pod answered 'etcdctl member list'"
  return 1
}

# remove_stale_etcd_members: before this control plane joins, removes the etcd members of control planes that are
# gone (a replaced instance whose k8sup-etcd-leave did not run: hard kill, API down at its shutdown). A member is stale
# when it has started before, its name is this node's own (GCE recreates instances under the same name) or no Node's,
# AND its endpoint does not answer: a member whose control plane is still joining or rebooting is never removed, nor
# one that was never started (another control plane joining right now). Removing a dead member cannot cost quorum.
# It never stops the join: without it the cluster only has one dead member more, which the log says loudly.
# Joining has time: the API and etcd calls may take up to 30 s each (the shutdown path allows itself less).
ETCD_CALL_TIMEOUT=30
remove_stale_etcd_members() {
  local kubeconfig="${ROOT}/etc/k8sup/etcd-cleanup.conf" status=0
  log "etcd: looking for members of control planes that are gone"
  (
    umask 077
    printf 'apiVersion: kubeadm.k8s.io/%s\nkind: ClusterConfiguration\nclusterName: %s\ncontrolPlaneEndpoint: %s\nkubernetesVersion: v%s\ncertificatesDir: %s\n' \
      'v1beta4' "${CLUSTER_NAME}" 'api.demo.example.com:6443' "${K8S_VERSION}" "${ROOT}/etc/kubernetes/pki" >"${kubeconfig}.yaml"
    # A 1-hour admin credential signed by the cluster CA this control plane already holds (the bootstrap token may not exec).
    kubeadm kubeconfig user --config "${kubeconfig}.yaml" --client-name "k8sup:etcd-cleanup:${NODE_NAME}" \
      --org kubeadm:cluster-admins --validity-period 1h >"${kubeconfig}"
  ) && remove_stale_etcd_members_with "${kubeconfig}" || status=$?
  rm -f "${kubeconfig}" "${kubeconfig}.yaml"
  if [ "${status}" -ne 0 ]; then
    log "WARNING: could not check etcd for members of replaced control planes; joining anyway. If one is left, remove it"
    log "WARNING: by hand ('etcdctl member list' / 'member remove' in an etcd pod; see docs/rolling-update.md)"
  fi
}

remove_stale_etcd_members_with() {
  local kubeconfig="$1" nodes id state name peer client _
  nodes="$(timeout "${ETCD_CALL_TIMEOUT}" kubectl --kubeconfig "${kubeconfig}" --request-timeout="${ETCD_CALL_TIMEOUT}s" \
    get nodes -o jsonpath='{.items[*].metadata.name}')" || return 1
  etcd_members "${kubeconfig}" "${NODE_NAME}" || return 1
  while IFS=, read -r id state name peer client _; do
    id="${id// /}" state="${state// /}" name="${name// /}" peer="${peer// /}" client="${client// /}"
    [[ "${id}" =~ ^[0-9a-f]{1,16}$ ]] || continue
    if [ "${state}" != started ]; then
      log "etcd: member ${id} (${peer}) has not started yet: another control plane joining? Left alone"
      continue
    fi
    if [ "${name}" != "${NODE_NAME}" ] && [[ " ${nodes} " == *" ${name} "* ]]; then continue; fi
    if [[ ! "${client}" =~ ^https://[][0-9A-Za-z.:-]+$ ]]; then
      log "etcd: member ${name} (${id}) has no usable client URL '${client}': left alone"
      continue
    fi
    if etcdctl_via "${kubeconfig}" "${ETCD_POD}" "${client}" endpoint health >/dev/null 2>&1; then
      log "etcd: member ${name} (${id}) has no node but answers: left alone"
      continue
    fi
    log "etcd: removing member ${name} (${id}, ${peer}): its node is gone and it does not answer"
    etcdctl_via "${kubeconfig}" "${ETCD_POD}" https://127.0.0.1:2379 member remove "${id}" || return 1
  done <<<"${ETCD_MEMBERS}"
}

# --- kubeadm, until it succeeds on this node (see kubeadm-reset above); again after someone ran `kubeadm reset` (no
# kubelet.conf any more). A node with kubelet.conf and no record of a kubeadm run was set up by an older k8sup, which
# kept none: it is taken as joined, as that version did.
if is_done kubeadm-succeeded && [ -f "${ROOT}/etc/kubernetes/kubelet.conf" ]; then
  log "already part of the cluster (kubeadm succeeded before), kubeadm skipped"
elif [ -f "${ROOT}/etc/kubernetes/kubelet.conf" ] && ! is_done kubeadm-started; then
  log "already part of the cluster (set up by an earlier k8sup), kubeadm skipped"
  mark_done kubeadm-succeeded
else
  NODE_NAME="$(instance_node_name)" || die "cannot read this instance's name from the metadata service"
  [[ "${NODE_NAME}" =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ ]] || die "unusable node name '${NODE_NAME}'"
  # k8sup-etcd-leave (below) finds its etcd member by this name at shutdown.
  write_file "${ROOT}/etc/k8sup/node-name" 0644 <<<"${NODE_NAME}"
  KUBEADM_ACTION='join'
  step kubeadm "kubeadm ${KUBEADM_ACTION}"
  write_file "${ROOT}/etc/k8sup/kubeadm-join.yaml.template" 0600 <<'K8SUP_EOF_KUBEADM_JOIN'
apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
nodeRegistration:
  name: "@@K8SUP_NODE_NAME@@"
  criSocket: unix:///run/containerd/containerd.sock
  kubeletExtraArgs:
    - name: "cloud-provider"
      value: "external"
    - name: "node-labels"
      value: "k8sup.io/node-group=control-plane"
discovery:
  bootstrapToken:
    apiServerEndpoint: "api.demo.example.com:6443"
    token: "@@K8SUP_BOOTSTRAP_TOKEN@@"
    caCertHashes:
      - "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
controlPlane: {}
K8SUP_EOF_KUBEADM_JOIN
  BOOTSTRAP_TOKEN=""
  if [ "${KUBEADM_ACTION}" = join ]; then refuse_other_cluster_version; fi
  if [ "${KUBEADM_ACTION}" = join ]; then fetch_join_token; fi
  # Fill in what only the node knows. Both values were checked against strict patterns above, so sed is safe.
  (
    umask 077
    sed -e "s/@@K8SUP_NODE_NAME@@/${NODE_NAME}/g" -e "s/@@K8SUP_BOOTSTRAP_TOKEN@@/${BOOTSTRAP_TOKEN}/g" \
      "${ROOT}/etc/k8sup/kubeadm-${KUBEADM_ACTION}.yaml.template" >"${ROOT}/etc/k8sup/kubeadm.yaml"
  )
  if grep -q '@@K8SUP_' "${ROOT}/etc/k8sup/kubeadm.yaml"; then die "unfilled placeholder in ${ROOT}/etc/k8sup/kubeadm.yaml"; fi
  kubeadm config validate --config "${ROOT}/etc/k8sup/kubeadm.yaml"
  rm -f "${STAMP_DIR}/kubeadm-succeeded"
  mark_done kubeadm-started
  remove_stale_etcd_members
  kubeadm join --config "${ROOT}/etc/k8sup/kubeadm.yaml"
  rm -f "${TOKEN_FILE}"
  mark_done kubeadm-succeeded
fi

# --- Control planes keep a fresh bootstrap token in the state store for nodes that join later (an autoscaler may add
# workers months from now): a timer creates a 24h token every 12h and uploads it with this instance's identity.
write_file "${ROOT}/usr/local/sbin/k8sup-token-refresh" 0755 <<'K8SUP_EOF_TOKEN_REFRESH'
#!/usr/bin/env bash
# k8sup-token-refresh for demo.k8s.local: creates a bootstrap token valid 24h and publishes it to the state store
# as <prefix>/<cluster>/bootstrap/token, where joining nodes read it with their own instance identity.
# Run every 12h by k8sup-token-refresh.timer, so a published token always has at least 12h left.
set -euo pipefail

STATE_BUCKET='k8sup-state'
STATE_PREFIX='demo.k8s.local/'
ROOT="${K8SUP_ROOT:-}"

log() { printf '[k8sup-token-refresh] %s\n' "$*" >&2; }

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

ADMIN_CONF="${ROOT}/etc/kubernetes/admin.conf"
if [ ! -f "${ADMIN_CONF}" ]; then
  log "no ${ADMIN_CONF}: not a control plane yet, nothing to publish"
  exit 0
fi
token="$(kubeadm token create --kubeconfig "${ADMIN_CONF}" --ttl 24h --description 'k8sup: for joining nodes, refreshed every 12h')"
[[ "${token}" =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || { log "kubeadm returned an unexpected token format"; exit 1; }
token_file="$(mktemp)"
trap 'rm -f "${token_file}"' EXIT
printf 'token=%s\nexpires=%s\nissuer=%s\n' "${token}" "$(date -u -d '+24 hours' +%Y-%m-%dT%H:%M:%SZ)" "$(hostname)" >"${token_file}"
store_put bootstrap/token "${token_file}"
log "published a new bootstrap token (valid 24h)"
K8SUP_EOF_TOKEN_REFRESH
timer_changed="${WROTE}"
write_file "${ROOT}/etc/systemd/system/k8sup-token-refresh.service" 0644 <<'K8SUP_EOF_TOKEN_SERVICE'
[Unit]
Description=k8sup: publish a fresh bootstrap token for joining nodes
After=network-online.target kubelet.service
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/k8sup-token-refresh
K8SUP_EOF_TOKEN_SERVICE
if [ "${WROTE}" = 1 ]; then timer_changed=1; fi
write_file "${ROOT}/etc/systemd/system/k8sup-token-refresh.timer" 0644 <<'K8SUP_EOF_TOKEN_TIMER'
[Unit]
Description=k8sup: refresh the bootstrap token every 12 hours (tokens live 24 hours)

[Timer]
OnBootSec=5min
OnUnitActiveSec=12h
RandomizedDelaySec=10min
Persistent=true

[Install]
WantedBy=timers.target
K8SUP_EOF_TOKEN_TIMER
if [ "${WROTE}" = 1 ]; then timer_changed=1; fi
# Owed until done: a timer never started would leave nodes joining after the first token's 24 h without a token.
enable_when_written token-refresh "${timer_changed}" k8sup-token-refresh.timer

# --- k8sup-etcd-leave: at shutdown, a control plane whose Node was deleted (rolling-update) removes its own etcd
# member, so that its replacement joins an etcd that counts only live members. See docs/rolling-update.md.
write_file "${ROOT}/usr/local/sbin/k8sup-etcd-leave" 0755 <<'K8SUP_EOF_ETCD_LEAVE'
#!/usr/bin/env bash
# k8sup-etcd-leave for demo.k8s.local: the ExecStop of k8sup-etcd-leave.service, so it runs when the instance
# shuts down. It removes this control plane's etcd member, so that its replacement joins a healthy etcd, but only
# when the node left the cluster first: its Node object is gone (rolling-update deletes it before it replaces the
# instance) or /etc/k8sup/leave-etcd exists. A reboot or a stop keeps the member. It never fails the shutdown: every
# outcome exits 0 and every call is bounded. What it could not do, the next joining control plane cleans up.
set -uo pipefail

ROOT="${K8SUP_ROOT:-}"
ETCD_CALL_TIMEOUT=10

log() { printf '[k8sup-etcd-leave] %s\n' "$*" >&2; }

# --- etcd membership, through a running etcd pod: the etcd image carries etcdctl, the node does not, and the API
# (kubectl exec) is reachable wherever kubeadm is, so no etcd port has to be open to this node.
# etcdctl_via KUBECONFIG POD ENDPOINT ARGS...: etcdctl in POD against ENDPOINT, bounded by ETCD_CALL_TIMEOUT seconds.
etcdctl_via() {
  local kubeconfig="$1" pod="$2" endpoint="$3"
  shift 3
  timeout "${ETCD_CALL_TIMEOUT}" kubectl --kubeconfig "${kubeconfig}" --request-timeout="${ETCD_CALL_TIMEOUT}s" -n kube-system \
    exec "${pod}" -- etcdctl --endpoints "${endpoint}" --cacert /etc/kubernetes/pki/etcd/ca.crt \
    --cert /etc/kubernetes/pki/etcd/server.crt --key /etc/kubernetes/pki/etcd/server.key --dial-timeout=5s --command-timeout=8s "$@"
}

# etcd_members KUBECONFIG SKIP_NODE: sets ETCD_POD to a running etcd pod (not SKIP_NODE's) that answers, and
# ETCD_MEMBERS to its `member list` ("id, status, name, peer URL, client URL, is learner" per line).
etcd_members() {
  local kubeconfig="$1" pods pod
  pods="$(timeout "${ETCD_CALL_TIMEOUT}" kubectl --kubeconfig "${kubeconfig}" --request-timeout="${ETCD_CALL_TIMEOUT}s" -n kube-system \
    get pods -l component=etcd --field-selector=status.phase=Running -o jsonpath='{.items[*].metadata.name}')" || return 1
  read -r -a pods <<<"${pods}"
  for pod in "${pods[@]}"; do
    [ "${pod}" != "etcd-$2" ] || continue
    if ETCD_MEMBERS="$(etcdctl_via "${kubeconfig}" "${pod}" https://127.0.0.1:2379 member list)"; then
      ETCD_POD="${pod}"
      return 0
    fi
  done
  log "no running etcd pod answered 'etcdctl member list'"
  return 1
}

ADMIN_CONF="${ROOT}/etc/kubernetes/admin.conf"
NODE_NAME="$(cat "${ROOT}/etc/k8sup/node-name" 2>/dev/null)"
if [ ! -f "${ADMIN_CONF}" ] || [ -z "${NODE_NAME}" ]; then
  log "not a joined control plane (no admin.conf or node name): nothing to do"
  exit 0
fi
if [ -f "${ROOT}/etc/k8sup/leave-etcd" ]; then
  log "${ROOT}/etc/k8sup/leave-etcd exists: leaving etcd"
else
  answer="$(timeout "${ETCD_CALL_TIMEOUT}" kubectl --kubeconfig "${ADMIN_CONF}" --request-timeout="${ETCD_CALL_TIMEOUT}s" \
    get node "${NODE_NAME}" -o name 2>&1)" && {
    log "node ${NODE_NAME} is still registered (a reboot or a stop): keeping its etcd member"
    exit 0
  }
  case "${answer}" in
    *NotFound* | *"not found"*) log "node ${NODE_NAME} was deleted from the cluster: leaving etcd" ;;
    *)
      log "cannot tell whether node ${NODE_NAME} was deleted (${answer}): keeping its etcd member"
      exit 0
      ;;
  esac
fi
etcd_members "${ADMIN_CONF}" "${NODE_NAME}" || { log "etcd unreachable: the member stays for the next joiner to remove"; exit 0; }
id="$(awk -F', ' -v name="${NODE_NAME}" '$3 == name { print $1 }' <<<"${ETCD_MEMBERS}" | head -n 1)"
if [[ ! "${id}" =~ ^[0-9a-f]{1,16}$ ]]; then
  log "no etcd member is named ${NODE_NAME}: already removed"
  exit 0
fi
if etcdctl_via "${ADMIN_CONF}" "${ETCD_POD}" https://127.0.0.1:2379 member remove "${id}"; then
  log "removed etcd member ${NODE_NAME} (${id})"
else
  log "could not remove etcd member ${NODE_NAME} (${id}): the next joining control plane removes it"
fi
exit 0
K8SUP_EOF_ETCD_LEAVE
leave_changed="${WROTE}"
write_file "${ROOT}/etc/systemd/system/k8sup-etcd-leave.service" 0644 <<'K8SUP_EOF_ETCD_LEAVE_UNIT'
[Unit]
Description=k8sup: remove this control plane's etcd member when the instance leaves the cluster
# Stopped before these at shutdown (stop order is the reverse of start order): etcd, the network and the API are
# still there when ExecStop runs.
After=network-online.target containerd.service kubelet.service
Wants=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
ExecStop=/usr/local/sbin/k8sup-etcd-leave
# Every call inside is bounded (10 s each, 50 s in all); this is the hard limit, inside the clouds' shutdown grace.
TimeoutStopSec=60

[Install]
WantedBy=multi-user.target
K8SUP_EOF_ETCD_LEAVE_UNIT
if [ "${WROTE}" = 1 ]; then leave_changed=1; fi
# Started now (ExecStart does nothing) so that its ExecStop runs at the next shutdown.
enable_when_written etcd-leave "${leave_changed}" k8sup-etcd-leave.service

# --- addons (metrics-server, snapshot-controller, gcp-cloud-controller-manager, gcp-pd-csi-driver; src/addons, docs/addons.md): every control plane applies them with server-side apply,
# so one whose bundle came with a changed spec brings the running cluster's addons up to date.
export KUBECONFIG="${ROOT}/etc/kubernetes/admin.conf"
if is_done "addons-81054dd8af06664e"; then
  log "addons metrics-server, snapshot-controller, gcp-cloud-controller-manager, gcp-pd-csi-driver already applied"
else
  step addons "applying addons metrics-server, snapshot-controller, gcp-cloud-controller-manager, gcp-pd-csi-driver"
  write_file "${ROOT}/etc/k8sup/addons/metrics-server.yaml" 0600 <<'K8SUP_EOF_ADDON'
# metrics-server v0.7.2 for k8sup: the upstream release manifest (kubernetes-sigs/metrics-server,
# manifests/base + the release image), plus --kubelet-insecure-tls (see docs/addons.md).
apiVersion: v1
kind: ServiceAccount
metadata:
  name: metrics-server
  namespace: kube-system
  labels:
    k8s-app: metrics-server
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:aggregated-metrics-reader
  labels:
    k8s-app: metrics-server
    rbac.authorization.k8s.io/aggregate-to-view: "true"
    rbac.authorization.k8s.io/aggregate-to-edit: "true"
    rbac.authorization.k8s.io/aggregate-to-admin: "true"
rules:
  - apiGroups: ["metrics.k8s.io"]
    resources: ["pods", "nodes"]
    verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:metrics-server
  labels:
    k8s-app: metrics-server
rules:
  - apiGroups: [""]
    resources: ["nodes/metrics"]
    verbs: ["get"]
  - apiGroups: [""]
    resources: ["pods", "nodes"]
    verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: metrics-server-auth-reader
  namespace: kube-system
  labels:
    k8s-app: metrics-server
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: extension-apiserver-authentication-reader
subjects:
  - kind: ServiceAccount
    name: metrics-server
    namespace: kube-system
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: metrics-server:system:auth-delegator
  labels:
    k8s-app: metrics-server
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:auth-delegator
subjects:
  - kind: ServiceAccount
    name: metrics-server
    namespace: kube-system
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: system:metrics-server
  labels:
    k8s-app: metrics-server
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:metrics-server
subjects:
  - kind: ServiceAccount
    name: metrics-server
    namespace: kube-system
---
apiVersion: v1
kind: Service
metadata:
  name: metrics-server
  namespace: kube-system
  labels:
    k8s-app: metrics-server
spec:
  ports:
    - name: https
      port: 443
      protocol: TCP
      targetPort: https
  selector:
    k8s-app: metrics-server
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: metrics-server
  namespace: kube-system
  labels:
    k8s-app: metrics-server
spec:
  selector:
    matchLabels:
      k8s-app: metrics-server
  strategy:
    rollingUpdate:
      maxUnavailable: 0
  template:
    metadata:
      labels:
        k8s-app: metrics-server
    spec:
      serviceAccountName: metrics-server
      priorityClassName: system-cluster-critical
      volumes:
        - name: tmp-dir
          emptyDir: {}
      containers:
        - name: metrics-server
          image: "registry.k8s.io/metrics-server/metrics-server:v0.7.2"
          imagePullPolicy: IfNotPresent
          args:
            - --cert-dir=/tmp
            - --secure-port=10250
            - --kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname
            - --kubelet-use-node-status-port
            - --metric-resolution=15s
            # kubeadm's kubelets serve self-signed certificates (no serverTLSBootstrap): see docs/addons.md.
            - --kubelet-insecure-tls
          resources:
            requests:
              cpu: 100m
              memory: 200Mi
          ports:
            - name: https
              containerPort: 10250
              protocol: TCP
          readinessProbe:
            httpGet:
              path: /readyz
              port: https
              scheme: HTTPS
            periodSeconds: 10
            failureThreshold: 3
            initialDelaySeconds: 20
          livenessProbe:
            httpGet:
              path: /livez
              port: https
              scheme: HTTPS
            periodSeconds: 10
            failureThreshold: 3
          securityContext:
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            runAsUser: 1000
            allowPrivilegeEscalation: false
          volumeMounts:
            - name: tmp-dir
              mountPath: /tmp
      nodeSelector:
        kubernetes.io/os: linux
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v1beta1.metrics.k8s.io
  labels:
    k8s-app: metrics-server
spec:
  service:
    name: metrics-server
    namespace: kube-system
  group: metrics.k8s.io
  version: v1beta1
  insecureSkipTLSVerify: true
  groupPriorityMinimum: 100
  versionPriority: 100
K8SUP_EOF_ADDON
  write_file "${ROOT}/etc/k8sup/addons/snapshot-controller.yaml" 0600 <<'K8SUP_EOF_ADDON'
# snapshot-controller v8.6.0 for k8sup: CSI volume snapshots (docs/addons.md), after kubernetes-csi/external-snapshotter.
# - The CRDs: the snapshot.storage.k8s.io/v1 schemas of upstream's client/config/crd files, from the stored copies k8sup
#   checked: VolumeSnapshotClass at commit 0e0475953e86523f32e36f4dcb08b9959c97e18d (without its alpha
#   allowedTopologies), VolumeSnapshotContent at 8ac2e79b79a15fab3a498a01bbac1ec814cc92d2, VolumeSnapshot at
#   03682631898c6556681810f5e316d4699d761ca4. Only v1 is defined (v1beta1 is no longer served upstream either) and the
#   descriptions are left out (`kubectl explain` shows none); the fields, types, enums, oneOf rules, required lists,
#   printer columns and the api-approved annotations are upstream's.
# - The controller: deploy/kubernetes/snapshot-controller (RBAC at commit d27ee265c11cffba378237ddebb1ee549749b6b6,
#   without the groupsnapshot.storage.k8s.io rules: k8sup installs no VolumeGroupSnapshot CRDs), in kube-system, with
#   the image tag of the v8.7.0 release's manifests.
# - The cloud CSI driver's default VolumeSnapshotClass (pd.csi.storage.gke.io). It is applied with the CRDs in one
#   server-side apply: until the API serves the new kind the apply fails for it alone, and the bootstrap's retry
#   (templates/bootstrap/addons.sh) applies it once the CRDs are established.
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: volumesnapshotclasses.snapshot.storage.k8s.io
  annotations:
    api-approved.kubernetes.io: "https://github.com/kubernetes-csi/external-snapshotter/pull/814"
  labels:
    app.kubernetes.io/name: snapshot-controller
spec:
  group: snapshot.storage.k8s.io
  names:
    kind: VolumeSnapshotClass
    listKind: VolumeSnapshotClassList
    plural: volumesnapshotclasses
    shortNames:
      - vsclass
      - vsclasses
    singular: volumesnapshotclass
  scope: Cluster
  versions:
    - name: v1
      served: true
      storage: true
      subresources: {}
      additionalPrinterColumns:
        - jsonPath: .driver
          name: Driver
          type: string
        - jsonPath: .deletionPolicy
          name: DeletionPolicy
          type: string
        - jsonPath: .metadata.creationTimestamp
          name: Age
          type: date
      schema:
        openAPIV3Schema:
          type: object
          required:
            - deletionPolicy
            - driver
          properties:
            apiVersion:
              type: string
            kind:
              type: string
            metadata:
              type: object
            deletionPolicy:
              type: string
              enum:
                - Delete
                - Retain
            driver:
              type: string
            parameters:
              type: object
              additionalProperties:
                type: string
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: volumesnapshotcontents.snapshot.storage.k8s.io
  annotations:
    api-approved.kubernetes.io: "https://github.com/kubernetes-csi/external-snapshotter/pull/814"
  labels:
    app.kubernetes.io/name: snapshot-controller
spec:
  group: snapshot.storage.k8s.io
  names:
    kind: VolumeSnapshotContent
    listKind: VolumeSnapshotContentList
    plural: volumesnapshotcontents
    shortNames:
      - vsc
      - vscs
    singular: volumesnapshotcontent
  scope: Cluster
  versions:
    - name: v1
      served: true
      storage: true
      subresources:
        status: {}
      additionalPrinterColumns:
        - jsonPath: .status.readyToUse
          name: ReadyToUse
          type: boolean
        - jsonPath: .status.restoreSize
          name: RestoreSize
          type: integer
        - jsonPath: .spec.deletionPolicy
          name: DeletionPolicy
          type: string
        - jsonPath: .spec.driver
          name: Driver
          type: string
        - jsonPath: .spec.volumeSnapshotClassName
          name: VolumeSnapshotClass
          type: string
        - jsonPath: .spec.volumeSnapshotRef.name
          name: VolumeSnapshot
          type: string
        - jsonPath: .spec.volumeSnapshotRef.namespace
          name: VolumeSnapshotNamespace
          type: string
        - jsonPath: .metadata.creationTimestamp
          name: Age
          type: date
      schema:
        openAPIV3Schema:
          type: object
          required:
            - spec
          properties:
            apiVersion:
              type: string
            kind:
              type: string
            metadata:
              type: object
            spec:
              type: object
              required:
                - deletionPolicy
                - driver
                - source
                - volumeSnapshotRef
              properties:
                deletionPolicy:
                  type: string
                  enum:
                    - Delete
                    - Retain
                driver:
                  type: string
                source:
                  type: object
                  oneOf:
                    - required:
                        - snapshotHandle
                    - required:
                        - volumeHandle
                  properties:
                    snapshotHandle:
                      type: string
                    volumeHandle:
                      type: string
                sourceVolumeMode:
                  type: string
                volumeSnapshotClassName:
                  type: string
                volumeSnapshotRef:
                  type: object
                  x-kubernetes-map-type: atomic
                  properties:
                    apiVersion:
                      type: string
                    fieldPath:
                      type: string
                    kind:
                      type: string
                    name:
                      type: string
                    namespace:
                      type: string
                    resourceVersion:
                      type: string
                    uid:
                      type: string
            status:
              type: object
              properties:
                creationTime:
                  type: integer
                  format: int64
                error:
                  type: object
                  properties:
                    message:
                      type: string
                    time:
                      type: string
                      format: date-time
                readyToUse:
                  type: boolean
                restoreSize:
                  type: integer
                  format: int64
                  minimum: 0
                snapshotHandle:
                  type: string
                volumeGroupSnapshotContentName:
                  type: string
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: volumesnapshots.snapshot.storage.k8s.io
  annotations:
    api-approved.kubernetes.io: "https://github.com/kubernetes-csi/external-snapshotter/pull/419"
  labels:
    app.kubernetes.io/name: snapshot-controller
spec:
  group: snapshot.storage.k8s.io
  names:
    kind: VolumeSnapshot
    listKind: VolumeSnapshotList
    plural: volumesnapshots
    shortNames:
      - vs
    singular: volumesnapshot
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      subresources:
        status: {}
      additionalPrinterColumns:
        - jsonPath: .status.readyToUse
          name: ReadyToUse
          type: boolean
        - jsonPath: .spec.source.persistentVolumeClaimName
          name: SourcePVC
          type: string
        - jsonPath: .spec.source.volumeSnapshotContentName
          name: SourceSnapshotContent
          type: string
        - jsonPath: .status.restoreSize
          name: RestoreSize
          type: string
        - jsonPath: .spec.volumeSnapshotClassName
          name: SnapshotClass
          type: string
        - jsonPath: .status.boundVolumeSnapshotContentName
          name: SnapshotContent
          type: string
        - jsonPath: .status.creationTime
          name: CreationTime
          type: date
        - jsonPath: .metadata.creationTimestamp
          name: Age
          type: date
      schema:
        openAPIV3Schema:
          type: object
          required:
            - spec
          properties:
            apiVersion:
              type: string
            kind:
              type: string
            metadata:
              type: object
            spec:
              type: object
              required:
                - source
              properties:
                source:
                  type: object
                  oneOf:
                    - required:
                        - persistentVolumeClaimName
                    - required:
                        - volumeSnapshotContentName
                  properties:
                    persistentVolumeClaimName:
                      type: string
                    volumeSnapshotContentName:
                      type: string
                volumeSnapshotClassName:
                  type: string
            status:
              type: object
              properties:
                boundVolumeSnapshotContentName:
                  type: string
                creationTime:
                  type: string
                  format: date-time
                error:
                  type: object
                  properties:
                    message:
                      type: string
                    time:
                      type: string
                      format: date-time
                readyToUse:
                  type: boolean
                restoreSize:
                  type: string
                  pattern: '^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$'
                  x-kubernetes-int-or-string: true
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: snapshot-controller
  namespace: kube-system
  labels:
    app.kubernetes.io/name: snapshot-controller
---
kind: ClusterRole
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: snapshot-controller-runner
  labels:
    app.kubernetes.io/name: snapshot-controller
rules:
  - apiGroups: [""]
    resources: ["persistentvolumes"]
    verbs: ["get", "list", "watch"]
  - apiGroups: [""]
    resources: ["persistentvolumeclaims"]
    verbs: ["get", "list", "watch", "update"]
  - apiGroups: [""]
    resources: ["events"]
    verbs: ["list", "watch", "create", "update", "patch"]
  - apiGroups: ["snapshot.storage.k8s.io"]
    resources: ["volumesnapshotclasses"]
    verbs: ["get", "list", "watch"]
  - apiGroups: ["snapshot.storage.k8s.io"]
    resources: ["volumesnapshotcontents"]
    verbs: ["create", "get", "list", "watch", "update", "delete", "patch"]
  - apiGroups: ["snapshot.storage.k8s.io"]
    resources: ["volumesnapshotcontents/status"]
    verbs: ["patch"]
  - apiGroups: ["snapshot.storage.k8s.io"]
    resources: ["volumesnapshots"]
    verbs: ["get", "list", "watch", "update", "patch", "delete"]
  - apiGroups: ["snapshot.storage.k8s.io"]
    resources: ["volumesnapshots/status"]
    verbs: ["update", "patch"]
---
kind: ClusterRoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: snapshot-controller-role
  labels:
    app.kubernetes.io/name: snapshot-controller
subjects:
  - kind: ServiceAccount
    name: snapshot-controller
    namespace: kube-system
roleRef:
  kind: ClusterRole
  name: snapshot-controller-runner
  apiGroup: rbac.authorization.k8s.io
---
kind: Role
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: snapshot-controller-leaderelection
  namespace: kube-system
  labels:
    app.kubernetes.io/name: snapshot-controller
rules:
  - apiGroups: ["coordination.k8s.io"]
    resources: ["leases"]
    verbs: ["get", "watch", "list", "delete", "update", "create"]
---
kind: RoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: snapshot-controller-leaderelection
  namespace: kube-system
  labels:
    app.kubernetes.io/name: snapshot-controller
subjects:
  - kind: ServiceAccount
    name: snapshot-controller
    namespace: kube-system
roleRef:
  kind: Role
  name: snapshot-controller-leaderelection
  apiGroup: rbac.authorization.k8s.io
---
kind: Deployment
apiVersion: apps/v1
metadata:
  name: snapshot-controller
  namespace: kube-system
  labels:
    app.kubernetes.io/name: snapshot-controller
spec:
  # Upstream's two replicas with leader election: one takes over when the other's node goes.
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: snapshot-controller
  # Upstream: the controller exits when the v1 CRDs do not come up within --retry-crd-interval-max (30s), so a pod
  # only counts as available after longer than that.
  minReadySeconds: 35
  strategy:
    rollingUpdate:
      maxSurge: 0
      maxUnavailable: 1
    type: RollingUpdate
  template:
    metadata:
      labels:
        app.kubernetes.io/name: snapshot-controller
    spec:
      serviceAccountName: snapshot-controller
      priorityClassName: system-cluster-critical
      nodeSelector:
        kubernetes.io/os: linux
      # It only talks to the API server: it may run on a control plane (a cluster without workers yet).
      tolerations:
        - key: node-role.kubernetes.io/control-plane
          operator: Exists
          effect: NoSchedule
      containers:
        - name: snapshot-controller
          image: "registry.k8s.io/sig-storage/snapshot-controller:v8.6.0"
          imagePullPolicy: IfNotPresent
          args:
            - "--v=5"
            - "--leader-election=true"
---
# The default class of the cluster's CSI driver: a VolumeSnapshot that names no class gets this one.
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata:
  name: "csi-gce-pd-snapshot-class"
  labels:
    app.kubernetes.io/name: snapshot-controller
  annotations:
    snapshot.storage.kubernetes.io/is-default-class: "true"
driver: "pd.csi.storage.gke.io"
deletionPolicy: Delete
K8SUP_EOF_ADDON
  write_file "${ROOT}/etc/k8sup/addons/gcp-cloud-controller-manager.yaml" 0600 <<'K8SUP_EOF_ADDON'
# GCP cloud-controller-manager v33.4.0 for k8sup: upstream's deploy/packages/default/manifest.yaml
# (kubernetes/cloud-provider-gcp) with the flags upstream leaves to tooling, and its cloud config (gce.conf) as a
# ConfigMap instead of a file on the host. Pod CIDRs stay with kube-controller-manager and routes with the CNI.
apiVersion: v1
kind: ConfigMap
metadata:
  name: cloud-controller-manager-config
  namespace: kube-system
data:
  gce.conf: |
    [global]
    project-id = 
    network-name = k8sup-demo-k8s-local-net
    subnetwork-name = k8sup-demo-k8s-local-us-central1
    node-tags = k8sup-demo-k8s-local-node
    multizone = true
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: cloud-controller-manager
  namespace: kube-system
  labels:
    component: cloud-controller-manager
spec:
  selector:
    matchLabels:
      component: cloud-controller-manager
  updateStrategy:
    type: RollingUpdate
  template:
    metadata:
      labels:
        tier: control-plane
        component: cloud-controller-manager
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions:
                  - key: node-role.kubernetes.io/control-plane
                    operator: Exists
      tolerations:
        - key: node.cloudprovider.kubernetes.io/uninitialized
          value: "true"
          effect: NoSchedule
        - key: node.kubernetes.io/not-ready
          effect: NoSchedule
        - key: node-role.kubernetes.io/control-plane
          effect: NoSchedule
      serviceAccountName: cloud-controller-manager
      priorityClassName: system-cluster-critical
      hostNetwork: true
      containers:
        - name: cloud-controller-manager
          image: "registry.k8s.io/cloud-provider-gcp/cloud-controller-manager:v33.4.0@sha256:d9719ba3d95f3d3ce4811fcf9ffd64b158ab9ac8c81b151cc9faa73a945b5170"
          imagePullPolicy: IfNotPresent
          args:
            - --cloud-provider=gce
            - --cloud-config=/etc/kubernetes/cloud-config/gce.conf
            - --cluster-name=demo.k8s.local
            - --leader-elect=true
            - --use-service-account-credentials
            - --allocate-node-cidrs=false
            - --configure-cloud-routes=false
            - --v=2
          env:
            # The API server of this control plane (host network): the Service address needs kube-proxy and a CNI,
            # which may not be up before the nodes are initialised.
            - name: KUBERNETES_SERVICE_HOST
              value: "127.0.0.1"
            - name: KUBERNETES_SERVICE_PORT
              value: "6443"
          livenessProbe:
            failureThreshold: 3
            httpGet:
              host: 127.0.0.1
              path: /healthz
              port: 10258
              scheme: HTTPS
            initialDelaySeconds: 15
            periodSeconds: 10
            successThreshold: 1
            timeoutSeconds: 15
          resources:
            requests:
              cpu: 200m
          volumeMounts:
            - name: cloud-config
              mountPath: /etc/kubernetes/cloud-config
              readOnly: true
      volumes:
        - name: cloud-config
          configMap:
            name: cloud-controller-manager-config
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: cloud-controller-manager
  namespace: kube-system
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: cloud-controller-manager:apiserver-authentication-reader
  namespace: kube-system
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: extension-apiserver-authentication-reader
subjects:
  - kind: ServiceAccount
    name: cloud-controller-manager
    namespace: kube-system
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:cloud-controller-manager
rules:
  - apiGroups: ["", "events.k8s.io"]
    resources: ["events"]
    verbs: ["create", "patch", "update"]
  - apiGroups: ["coordination.k8s.io"]
    resources: ["leases"]
    verbs: ["create", "get", "list", "watch", "update"]
  - apiGroups: [""]
    resources: ["endpoints", "serviceaccounts"]
    verbs: ["create", "get", "update"]
  - apiGroups: [""]
    resources: ["nodes"]
    verbs: ["get", "update", "patch"]
  - apiGroups: [""]
    resources: ["namespaces"]
    verbs: ["get"]
  - apiGroups: [""]
    resources: ["nodes/status"]
    verbs: ["patch", "update"]
  - apiGroups: [""]
    resources: ["secrets"]
    verbs: ["create", "delete", "get", "update"]
  - apiGroups: ["authentication.k8s.io"]
    resources: ["tokenreviews"]
    verbs: ["create"]
  - apiGroups: ["*"]
    resources: ["*"]
    verbs: ["list", "watch"]
  - apiGroups: [""]
    resources: ["serviceaccounts/token"]
    verbs: ["create"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: system::leader-locking-cloud-controller-manager
  namespace: kube-system
rules:
  - apiGroups: [""]
    resources: ["configmaps"]
    verbs: ["watch"]
  - apiGroups: [""]
    resources: ["configmaps"]
    resourceNames: ["cloud-controller-manager"]
    verbs: ["get", "update"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:controller:cloud-node-controller
rules:
  - apiGroups: [""]
    resources: ["events"]
    verbs: ["create", "patch", "update"]
  - apiGroups: [""]
    resources: ["nodes"]
    verbs: ["get", "list", "update", "delete", "patch"]
  - apiGroups: [""]
    resources: ["nodes/status"]
    verbs: ["get", "list", "update", "delete", "patch"]
  - apiGroups: [""]
    resources: ["pods"]
    verbs: ["list", "delete"]
  - apiGroups: [""]
    resources: ["pods/status"]
    verbs: ["list", "delete"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:controller:pvl-controller
rules:
  - apiGroups: [""]
    resources: ["events"]
    verbs: ["create", "patch", "update"]
  - apiGroups: [""]
    resources: ["persistentvolumeclaims", "persistentvolumes"]
    verbs: ["list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: system::leader-locking-cloud-controller-manager
  namespace: kube-system
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: system::leader-locking-cloud-controller-manager
subjects:
  - kind: ServiceAccount
    name: cloud-controller-manager
    namespace: kube-system
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: system:cloud-controller-manager
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:cloud-controller-manager
subjects:
  - kind: ServiceAccount
    name: cloud-controller-manager
    namespace: kube-system
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: system:controller:cloud-node-controller
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:controller:cloud-node-controller
subjects:
  - kind: ServiceAccount
    name: cloud-node-controller
    namespace: kube-system
K8SUP_EOF_ADDON
  write_file "${ROOT}/etc/k8sup/addons/gcp-pd-csi-driver.yaml" 0600 <<'K8SUP_EOF_ADDON'
# Compute Engine persistent disk CSI driver v1.9.0 for k8sup: upstream's deploy/kubernetes/base (controller,
# node_linux, cluster_setup) with the stable-master images, and a default StorageClass. Changes from upstream: the
# controller runs on the control planes and uses their service account through the metadata server (no cloud-sa
# key Secret), the snapshotter only while the snapshot-controller addon installs the VolumeSnapshot CRDs, no Windows
# node objects, no PodSecurityPolicy roles.
apiVersion: v1
kind: Namespace
metadata:
  name: gce-pd-csi-driver
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: csi-gce-pd-node-sa
  namespace: gce-pd-csi-driver
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: csi-gce-pd-controller-sa
  namespace: gce-pd-csi-driver
---
kind: ClusterRole
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: csi-gce-pd-provisioner-role
rules:
  - apiGroups: [""]
    resources: ["persistentvolumes"]
    verbs: ["get", "list", "watch", "create", "delete"]
  - apiGroups: [""]
    resources: ["persistentvolumeclaims"]
    verbs: ["get", "list", "watch", "update"]
  - apiGroups: ["storage.k8s.io"]
    resources: ["storageclasses"]
    verbs: ["get", "list", "watch"]
  - apiGroups: [""]
    resources: ["events"]
    verbs: ["list", "watch", "create", "update", "patch"]
  - apiGroups: ["storage.k8s.io"]
    resources: ["csinodes"]
    verbs: ["get", "list", "watch"]
  - apiGroups: [""]
    resources: ["nodes"]
    verbs: ["get", "list", "watch"]
  - apiGroups: ["storage.k8s.io"]
    resources: ["volumeattachments"]
    verbs: ["get", "list", "watch"]
  # A PVC restored from a VolumeSnapshot (its dataSource).
  - apiGroups: ["snapshot.storage.k8s.io"]
    resources: ["volumesnapshots"]
    verbs: ["get", "list"]
  - apiGroups: ["snapshot.storage.k8s.io"]
    resources: ["volumesnapshotcontents"]
    verbs: ["get", "list"]
---
kind: ClusterRoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: csi-gce-pd-controller-provisioner-binding
subjects:
  - kind: ServiceAccount
    name: csi-gce-pd-controller-sa
    namespace: gce-pd-csi-driver
roleRef:
  kind: ClusterRole
  name: csi-gce-pd-provisioner-role
  apiGroup: rbac.authorization.k8s.io
---
kind: ClusterRole
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: csi-gce-pd-attacher-role
rules:
  - apiGroups: [""]
    resources: ["persistentvolumes"]
    verbs: ["get", "list", "watch", "update", "patch"]
  - apiGroups: [""]
    resources: ["nodes"]
    verbs: ["get", "list", "watch"]
  - apiGroups: ["storage.k8s.io"]
    resources: ["csinodes"]
    verbs: ["get", "list", "watch"]
  - apiGroups: ["storage.k8s.io"]
    resources: ["volumeattachments"]
    verbs: ["get", "list", "watch", "update", "patch"]
  - apiGroups: ["storage.k8s.io"]
    resources: ["volumeattachments/status"]
    verbs: ["patch"]
---
kind: ClusterRoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: csi-gce-pd-controller-attacher-binding
subjects:
  - kind: ServiceAccount
    name: csi-gce-pd-controller-sa
    namespace: gce-pd-csi-driver
roleRef:
  kind: ClusterRole
  name: csi-gce-pd-attacher-role
  apiGroup: rbac.authorization.k8s.io
---
kind: ClusterRole
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: csi-gce-pd-resizer-role
rules:
  - apiGroups: [""]
    resources: ["persistentvolumes"]
    verbs: ["get", "list", "watch", "update", "patch"]
  - apiGroups: [""]
    resources: ["persistentvolumeclaims"]
    verbs: ["get", "list", "watch"]
  - apiGroups: [""]
    resources: ["persistentvolumeclaims/status"]
    verbs: ["update", "patch"]
  - apiGroups: [""]
    resources: ["events"]
    verbs: ["list", "watch", "create", "update", "patch"]
  - apiGroups: [""]
    resources: ["pods"]
    verbs: ["get", "list", "watch"]
---
kind: ClusterRoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: csi-gce-pd-resizer-binding
subjects:
  - kind: ServiceAccount
    name: csi-gce-pd-controller-sa
    namespace: gce-pd-csi-driver
roleRef:
  kind: ClusterRole
  name: csi-gce-pd-resizer-role
  apiGroup: rbac.authorization.k8s.io
---
kind: ClusterRole
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: csi-gce-pd-snapshotter-role
rules:
  - apiGroups: [""]
    resources: ["events"]
    verbs: ["list", "watch", "create", "update", "patch"]
  # Upstream: no Secrets, PD snapshots need none.
  - apiGroups: ["snapshot.storage.k8s.io"]
    resources: ["volumesnapshotclasses"]
    verbs: ["get", "list", "watch"]
  - apiGroups: ["snapshot.storage.k8s.io"]
    resources: ["volumesnapshotcontents"]
    verbs: ["create", "get", "list", "watch", "update", "delete", "patch"]
  - apiGroups: ["snapshot.storage.k8s.io"]
    resources: ["volumesnapshotcontents/status"]
    verbs: ["update", "patch"]
---
kind: ClusterRoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: csi-gce-pd-controller-snapshotter-binding
subjects:
  - kind: ServiceAccount
    name: csi-gce-pd-controller-sa
    namespace: gce-pd-csi-driver
roleRef:
  kind: ClusterRole
  name: csi-gce-pd-snapshotter-role
  apiGroup: rbac.authorization.k8s.io
---
kind: ClusterRole
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: csi-gce-pd-node-deploy
rules:
  - apiGroups: [""]
    resources: ["nodes"]
    verbs: ["get", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: csi-gce-pd-node
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: csi-gce-pd-node-deploy
subjects:
  - kind: ServiceAccount
    name: csi-gce-pd-node-sa
    namespace: gce-pd-csi-driver
---
kind: Role
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: csi-gce-pd-leaderelection-role
  namespace: gce-pd-csi-driver
rules:
  - apiGroups: ["coordination.k8s.io"]
    resources: ["leases"]
    verbs: ["get", "watch", "list", "delete", "update", "create"]
---
kind: RoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: csi-gce-pd-controller-leaderelection-binding
  namespace: gce-pd-csi-driver
subjects:
  - kind: ServiceAccount
    name: csi-gce-pd-controller-sa
    namespace: gce-pd-csi-driver
roleRef:
  kind: Role
  name: csi-gce-pd-leaderelection-role
  apiGroup: rbac.authorization.k8s.io
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: csi-gce-pd-controller
value: 900000000
globalDefault: false
description: "This priority class should be used for the GCE PD CSI driver controller deployment only."
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: csi-gce-pd-node
value: 900001000
globalDefault: false
description: "This priority class should be used for the GCE PD CSI driver node deployment only."
---
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata:
  name: pd.csi.storage.gke.io
spec:
  attachRequired: true
  podInfoOnMount: false
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: pd-balanced
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: pd.csi.storage.gke.io
parameters:
  type: pd-balanced
volumeBindingMode: WaitForFirstConsumer
allowVolumeExpansion: true
reclaimPolicy: Delete
---
kind: Deployment
apiVersion: apps/v1
metadata:
  name: csi-gce-pd-controller
  namespace: gce-pd-csi-driver
spec:
  replicas: 1
  selector:
    matchLabels:
      app: gcp-compute-persistent-disk-csi-driver
  template:
    metadata:
      labels:
        app: gcp-compute-persistent-disk-csi-driver
    spec:
      # Upstream: the host network, so the metadata server (the service account's credentials) answers directly.
      hostNetwork: true
      # On a control plane: its service account may attach disks; a worker's may not (docs/gce.md).
      nodeSelector:
        kubernetes.io/os: linux
        node-role.kubernetes.io/control-plane: ""
      tolerations:
        - key: node-role.kubernetes.io/control-plane
          operator: Exists
          effect: NoSchedule
      serviceAccountName: csi-gce-pd-controller-sa
      priorityClassName: csi-gce-pd-controller
      containers:
        - name: csi-provisioner
          image: "registry.k8s.io/sig-storage/csi-provisioner:v3.4.0@sha256:e468dddcd275163a042ab297b2d8c2aca50d5e148d2d22f3b6ba119e2f31fa79"
          args:
            - "--v=5"
            - "--csi-address=/csi/csi.sock"
            - "--feature-gates=Topology=true"
            - "--http-endpoint=:22011"
            - "--leader-election-namespace=$(PDCSI_NAMESPACE)"
            - "--timeout=250s"
            - "--extra-create-metadata"
            - "--leader-election"
            - "--default-fstype=ext4"
          env:
            - name: PDCSI_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
          ports:
            - containerPort: 22011
              name: http-endpoint
              protocol: TCP
          livenessProbe:
            failureThreshold: 1
            httpGet:
              path: /healthz/leader-election
              port: http-endpoint
            initialDelaySeconds: 10
            timeoutSeconds: 10
            periodSeconds: 20
          volumeMounts:
            - name: socket-dir
              mountPath: /csi
        - name: csi-attacher
          image: "registry.k8s.io/sig-storage/csi-attacher:v4.2.0@sha256:34cf9b32736c6624fc9787fb149ea6e0fbeb45415707ac2f6440ac960f1116e6"
          args:
            - "--v=5"
            - "--csi-address=/csi/csi.sock"
            - "--http-endpoint=:22012"
            - "--leader-election"
            - "--leader-election-namespace=$(PDCSI_NAMESPACE)"
            - "--timeout=250s"
          env:
            - name: PDCSI_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
          ports:
            - containerPort: 22012
              name: http-attacher
              protocol: TCP
          livenessProbe:
            failureThreshold: 1
            httpGet:
              path: /healthz/leader-election
              port: http-attacher
            initialDelaySeconds: 10
            timeoutSeconds: 10
            periodSeconds: 20
          volumeMounts:
            - name: socket-dir
              mountPath: /csi
        - name: csi-resizer
          image: "registry.k8s.io/sig-storage/csi-resizer:v1.7.0@sha256:3a7bdf5d105783d05d0962fa06ca53032b01694556e633f27366201c2881e01d"
          args:
            - "--v=5"
            - "--csi-address=/csi/csi.sock"
            - "--http-endpoint=:22013"
            - "--leader-election"
            - "--leader-election-namespace=$(PDCSI_NAMESPACE)"
            - "--handle-volume-inuse-error=false"
          env:
            - name: PDCSI_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
          ports:
            - containerPort: 22013
              name: http-resizer
              protocol: TCP
          livenessProbe:
            failureThreshold: 1
            httpGet:
              path: /healthz/leader-election
              port: http-resizer
            initialDelaySeconds: 10
            timeoutSeconds: 10
            periodSeconds: 20
          volumeMounts:
            - name: socket-dir
              mountPath: /csi
        - name: csi-snapshotter
          image: "registry.k8s.io/sig-storage/csi-snapshotter:v6.1.0"
          args:
            - "--v=5"
            - "--csi-address=/csi/csi.sock"
            - "--metrics-address=:22014"
            - "--leader-election"
            - "--leader-election-namespace=$(PDCSI_NAMESPACE)"
            - "--timeout=300s"
          env:
            - name: PDCSI_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
          volumeMounts:
            - name: socket-dir
              mountPath: /csi
        - name: gce-pd-driver
          image: "registry.k8s.io/cloud-provider-gcp/gcp-compute-persistent-disk-csi-driver:v1.9.0@sha256:51aebbb47392f32f526f1c99ea194bc00037c8b87cdee09efde86d269988d651"
          args:
            - "--v=5"
            - "--endpoint=unix:/csi/csi.sock"
          volumeMounts:
            - name: socket-dir
              mountPath: /csi
      volumes:
        - name: socket-dir
          emptyDir: {}
---
kind: DaemonSet
apiVersion: apps/v1
metadata:
  name: csi-gce-pd-node
  namespace: gce-pd-csi-driver
spec:
  selector:
    matchLabels:
      app: gcp-compute-persistent-disk-csi-driver-node
  template:
    metadata:
      labels:
        app: gcp-compute-persistent-disk-csi-driver-node
    spec:
      hostNetwork: true
      priorityClassName: csi-gce-pd-node
      serviceAccountName: csi-gce-pd-node-sa
      nodeSelector:
        kubernetes.io/os: linux
      containers:
        - name: csi-driver-registrar
          image: "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.7.0@sha256:4a4cae5118c4404e35d66059346b7fa0835d7e6319ff45ed73f4bba335cf5183"
          args:
            - "--v=5"
            - "--csi-address=/csi/csi.sock"
            - "--kubelet-registration-path=/var/lib/kubelet/plugins/pd.csi.storage.gke.io/csi.sock"
          env:
            - name: KUBE_NODE_NAME
              valueFrom:
                fieldRef:
                  fieldPath: spec.nodeName
          volumeMounts:
            - name: plugin-dir
              mountPath: /csi
            - name: registration-dir
              mountPath: /registration
        - name: gce-pd-driver
          image: "registry.k8s.io/cloud-provider-gcp/gcp-compute-persistent-disk-csi-driver:v1.9.0@sha256:51aebbb47392f32f526f1c99ea194bc00037c8b87cdee09efde86d269988d651"
          args:
            - "--v=5"
            - "--endpoint=unix:/csi/csi.sock"
            - "--run-controller-service=false"
          securityContext:
            privileged: true
          volumeMounts:
            - name: kubelet-dir
              mountPath: /var/lib/kubelet
              mountPropagation: "Bidirectional"
            - name: plugin-dir
              mountPath: /csi
            - name: device-dir
              mountPath: /dev
            # Upstream: these let the driver trigger the host's udevadm from the container.
            - name: udev-rules-etc
              mountPath: /etc/udev
            - name: udev-rules-lib
              mountPath: /lib/udev
            - name: udev-socket
              mountPath: /run/udev
            - name: sys
              mountPath: /sys
      volumes:
        - name: registration-dir
          hostPath:
            path: /var/lib/kubelet/plugins_registry/
            type: Directory
        - name: kubelet-dir
          hostPath:
            path: /var/lib/kubelet
            type: Directory
        - name: plugin-dir
          hostPath:
            path: /var/lib/kubelet/plugins/pd.csi.storage.gke.io/
            type: DirectoryOrCreate
        - name: device-dir
          hostPath:
            path: /dev
            type: Directory
        - name: udev-rules-etc
          hostPath:
            path: /etc/udev
            type: Directory
        - name: udev-rules-lib
          hostPath:
            path: /lib/udev
            type: Directory
        - name: udev-socket
          hostPath:
            path: /run/udev
            type: Directory
        - name: sys
          hostPath:
            path: /sys
            type: Directory
      # Upstream: the node component runs on every node, whatever its taints.
      tolerations:
        - operator: Exists
K8SUP_EOF_ADDON
  attempt=0
  # Each probe is bounded: a load balancer that accepts the connection and never answers (no healthy target yet)
  # would otherwise hold kubectl, which has no request timeout of its own, for as long as the connection lives.
  until kubectl get --raw=/readyz --request-timeout=10s >/dev/null 2>&1; do
    attempt=$((attempt + 1))
    [ "${attempt}" -lt 60 ] || die "the API server did not become ready within 5 minutes"
    log "waiting for the API server to be ready (${attempt}/60)"
    sleep 5
  done
  retry 10 "kubectl apply of the addons" kubectl apply --server-side --force-conflicts --field-manager=k8sup -f "${ROOT}/etc/k8sup/addons/metrics-server.yaml" -f "${ROOT}/etc/k8sup/addons/snapshot-controller.yaml" -f "${ROOT}/etc/k8sup/addons/gcp-cloud-controller-manager.yaml" -f "${ROOT}/etc/k8sup/addons/gcp-pd-csi-driver.yaml"
  mark_done "addons-81054dd8af06664e"
fi

rm -f "${FAILURES_FILE}"
STEP='done'
report 'done'
mark_done bootstrap-complete
log "bootstrap of ${CLUSTER_NAME} (${ROLE}, Kubernetes ${K8S_VERSION}) complete"
