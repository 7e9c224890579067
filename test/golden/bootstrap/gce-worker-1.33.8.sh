#!/usr/bin/env bash
# k8sup node bootstrap for demo.k8s.local: role worker, provider gce, Kubernetes 1.33.8.
# Rendered by k8sup from templates/bootstrap; do not edit on the node. Safe to run again: every step checks first.
# It contains no private key material: control planes fetch theirs with the instance's own identity (cloud) or
# receive them over SSH before this runs (metal); workers join with a short-lived bootstrap token.
set -euo pipefail

# Values rendered by k8sup (single-quoted, so the shell never expands them).
CLUSTER_NAME='demo.k8s.local'
ROLE='worker'
K8S_VERSION='1.33.8'
K8S_PACKAGE_VERSION='1.33.8-1.1'
K8S_APT_URL='https://pkgs.k8s.io/core:/stable:/v1.33/deb/'
CONTAINERD_VERSION='2.2.1'
RUNC_VERSION='1.3.4'
NODE_GROUP='nodes'
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
  kubeadm reset -f
  rm -f "${STAMP_DIR}/kubeadm-started"
fi

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
      value: "k8sup.io/node-group=nodes"
discovery:
  bootstrapToken:
    apiServerEndpoint: "api.demo.example.com:6443"
    token: "@@K8SUP_BOOTSTRAP_TOKEN@@"
    caCertHashes:
      - "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
K8SUP_EOF_KUBEADM_JOIN
  BOOTSTRAP_TOKEN=""
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
  kubeadm join --config "${ROOT}/etc/k8sup/kubeadm.yaml"
  rm -f "${TOKEN_FILE}"
  mark_done kubeadm-succeeded
fi

rm -f "${FAILURES_FILE}"
STEP='done'
report 'done'
mark_done bootstrap-complete
log "bootstrap of ${CLUSTER_NAME} (${ROLE}, Kubernetes ${K8S_VERSION}) complete"
