#!/usr/bin/env bash
# k8sup node bootstrap for demo.k8s.local: role control-plane-init, provider metal, Kubernetes 1.35.1.
# Rendered by k8sup from templates/bootstrap; do not edit on the node. Safe to run again: every step checks first.
# It contains no private key material: control planes fetch theirs with the instance's own identity (cloud) or
# receive them over SSH before this runs (metal); workers join with a short-lived bootstrap token.
set -euo pipefail

# Values rendered by k8sup (single-quoted, so the shell never expands them).
CLUSTER_NAME='demo.k8s.local'
ROLE='control-plane-init'
K8S_VERSION='1.35.1'
K8S_PACKAGE_VERSION='1.35.1-1.1'
K8S_APT_URL='https://pkgs.k8s.io/core:/stable:/v1.35/deb/'
CONTAINERD_VERSION='2.2.1'
RUNC_VERSION='1.3.4'
CNI_NAME='calico'
CNI_VERSION='3.29.3'
POD_CIDR='100.96.0.0/11'

# K8SUP_ROOT prefixes every file path, so tests can run this script against a temporary root. Empty on real nodes.
ROOT="${K8SUP_ROOT:-}"
if [ -z "${ROOT}" ] && [ "$(id -u)" -ne 0 ]; then
  echo "k8sup bootstrap must run as root" >&2
  exit 1
fi

log() { printf '[k8sup] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# step NAME MESSAGE: logs the start of a step.
step() {
  log "$2"
}

# retry ATTEMPTS WHAT COMMAND...: runs COMMAND until it succeeds, at most ATTEMPTS times, 5, 10, 20, 40, then 60 s
# apart. For what needs time at first boot: IAM propagation, the API server, apt mirrors.
retry() {
  local attempts="$1" what="$2" n=1 delay=5
  shift 2
  until "$@"; do
    if [ "${n}" -ge "${attempts}" ]; then
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
  # The pause image kubeadm 1.35 expects, so the kubelet and containerd agree on the sandbox
  # (pinned: the image garbage collector never removes it).
  sandbox = "registry.k8s.io/pause:3.10.1"

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
    die "${PKI_DIR}/${pki_file} is missing: k8sup copies the PKI over SSH before it runs this script"
  fi
done

# --- host firewall. When ufw or firewalld is active, open exactly the ports this control plane needs (docs/metal.md,
# "Host firewalls"); an inactive or missing firewall is left alone. Both tools skip rules they already have.
FIREWALL_PORTS=('6443/tcp' '2379-2380/tcp' '10250/tcp' '10257/tcp' '10259/tcp' '179/tcp' '4789/udp' )
FIREWALL_PROTOCOLS=('4' )
if command -v ufw >/dev/null 2>&1 && ufw status 2>/dev/null | grep -q '^Status: active'; then
  log "ufw is active: opening ${FIREWALL_PORTS[*]}"
  for rule in "${FIREWALL_PORTS[@]}"; do
    # ufw writes ranges as from:to.
    ufw allow "${rule/-/:}" >/dev/null
  done
  # ufw's rule syntax has no IP protocols besides tcp/udp on every release: they go into before.rules.
  UFW_BEFORE="${ROOT}/etc/ufw/before.rules"
  if [ "${#FIREWALL_PROTOCOLS[@]}" -gt 0 ] && [ -f "${UFW_BEFORE}" ] && ! grep -q '^# k8sup protocols$' "${UFW_BEFORE}"; then
    rules="# k8sup protocols"
    for protocol in "${FIREWALL_PROTOCOLS[@]}"; do rules="${rules}\n-A ufw-before-input -p ${protocol} -j ACCEPT"; done
    sed -i "0,/^COMMIT\$/s//${rules}\nCOMMIT/" "${UFW_BEFORE}"
    ufw reload >/dev/null
  fi
elif command -v firewall-cmd >/dev/null 2>&1 && firewall-cmd --state >/dev/null 2>&1; then
  log "firewalld is running: opening ${FIREWALL_PORTS[*]}"
  for rule in "${FIREWALL_PORTS[@]}"; do
    firewall-cmd --permanent --add-port="${rule}" >/dev/null
  done
  for protocol in "${FIREWALL_PROTOCOLS[@]}"; do
    firewall-cmd --permanent --add-protocol="${protocol}" >/dev/null
  done
  firewall-cmd --reload >/dev/null
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
  NODE_NAME='cp-1'
  [[ "${NODE_NAME}" =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ ]] || die "unusable node name '${NODE_NAME}'"
  KUBEADM_ACTION='init'
  step kubeadm "kubeadm ${KUBEADM_ACTION}"
  write_file "${ROOT}/etc/k8sup/kubeadm-init.yaml.template" 0600 <<'K8SUP_EOF_KUBEADM_INIT'
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: "10.0.0.11"
  bindPort: 6443
nodeRegistration:
  name: "cp-1"
  criSocket: unix:///run/containerd/containerd.sock
  kubeletExtraArgs:
    - name: "node-labels"
      value: "k8sup.io/node-group=control-plane"
    - name: "node-ip"
      value: "10.0.0.11"
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
clusterName: "demo.k8s.local"
kubernetesVersion: "v1.35.1"
controlPlaneEndpoint: "10.0.0.100:6443"
networking:
  podSubnet: "100.96.0.0/11"
  serviceSubnet: "100.64.0.0/13"
  dnsDomain: cluster.local
apiServer:
  certSANs:
    - "10.0.0.100"
    - "api.demo.internal"
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
K8SUP_EOF_KUBEADM_INIT
  # Fill in what only the node knows. Both values were checked against strict patterns above, so sed is safe.
  (
    umask 077
    sed -e "s/@@K8SUP_NODE_NAME@@/${NODE_NAME}/g" \
      "${ROOT}/etc/k8sup/kubeadm-${KUBEADM_ACTION}.yaml.template" >"${ROOT}/etc/k8sup/kubeadm.yaml"
  )
  if grep -q '@@K8SUP_' "${ROOT}/etc/k8sup/kubeadm.yaml"; then die "unfilled placeholder in ${ROOT}/etc/k8sup/kubeadm.yaml"; fi
  kubeadm config validate --config "${ROOT}/etc/k8sup/kubeadm.yaml"
  rm -f "${STAMP_DIR}/kubeadm-succeeded"
  mark_done kubeadm-started
  kubeadm init --config "${ROOT}/etc/k8sup/kubeadm.yaml" --skip-token-print
  mark_done kubeadm-succeeded
fi

# --- etcd backups (spec.etcd.backups): a timer snapshots etcd on the spec's schedule into /var/lib/k8sup/etcd-backups; k8sup-etcd-restore restores one.
write_file "${ROOT}/usr/local/sbin/k8sup-etcd-backup" 0755 <<'K8SUP_EOF_ETCD_BACKUP'
#!/usr/bin/env bash
# k8sup-etcd-backup for demo.k8s.local: snapshots this control plane's etcd member with etcdctl and the etcd
# client certificate, checks the snapshot, and keeps it with its sha256 in a manifest (docs/backups.md).
# Keeps them on this host under /var/lib/k8sup/etcd-backups/<id>/; `k8sup backup cluster` runs it over SSH with
# --force and copies the result into the state store.
# Run by k8sup-etcd-backup.timer (schedule off), or by hand: k8sup-etcd-backup [--force]
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
K8SUP_EOF_ETCD_BACKUP
backup_changed="${WROTE}"
write_file "${ROOT}/usr/local/sbin/k8sup-etcd-restore" 0755 <<'K8SUP_EOF_ETCD_RESTORE'
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
K8SUP_EOF_ETCD_RESTORE
write_file "${ROOT}/etc/systemd/system/k8sup-etcd-backup.service" 0644 <<'K8SUP_EOF_ETCD_BACKUP_SERVICE'
[Unit]
Description=k8sup: snapshot etcd (docs/backups.md)
After=network-online.target kubelet.service
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/k8sup-etcd-backup
K8SUP_EOF_ETCD_BACKUP_SERVICE
if [ "${WROTE}" = 1 ]; then backup_changed=1; fi
# Scheduled backups are off (schedule: off): no timer; `k8sup backup cluster` still takes one on demand.
if [ -f "${ROOT}/etc/systemd/system/k8sup-etcd-backup.timer" ]; then
  systemctl disable --now k8sup-etcd-backup.timer || true
  rm -f "${ROOT}/etc/systemd/system/k8sup-etcd-backup.timer"
  backup_changed=1
fi
if [ "${backup_changed}" = 1 ]; then systemctl daemon-reload; fi

# --- the pod network, calico 3.29.3, from a pinned, checksum-verified download.
export KUBECONFIG="${ROOT}/etc/kubernetes/admin.conf"
if is_done "cni-${CNI_NAME}-${CNI_VERSION}"; then
  log "${CNI_NAME} ${CNI_VERSION} already installed"
else
  step cni "installing ${CNI_NAME} ${CNI_VERSION}"
  attempt=0
  # Each probe is bounded: a load balancer that accepts the connection and never answers (no healthy target yet)
  # would otherwise hold kubectl, which has no request timeout of its own, for as long as the connection lives.
  until kubectl get --raw=/readyz --request-timeout=10s >/dev/null 2>&1; do
    attempt=$((attempt + 1))
    [ "${attempt}" -lt 60 ] || die "the API server did not become ready within 5 minutes"
    log "waiting for the API server to be ready (${attempt}/60)"
    sleep 5
  done
  CNI_MANIFEST="${ROOT}/etc/k8sup/cni/${CNI_NAME}-${CNI_VERSION}.yaml"
  CNI_SHA256=''
  if [ -n "${CNI_SHA256}" ]; then
    download 'https://raw.githubusercontent.com/projectcalico/calico/v3.29.3/manifests/calico.yaml' "${CNI_MANIFEST}" "${CNI_SHA256}"
  else
    # Upstream publishes no checksum for this manifest: it comes from a tagged release over HTTPS, and its sha256
    # is logged so an operator can pin it (or serve a reviewed copy through spec.assets.baseURL).
    mkdir -p "$(dirname "${CNI_MANIFEST}")"
    curl -fsSL --retry 5 --retry-delay 3 --connect-timeout 10 -o "${CNI_MANIFEST}" 'https://raw.githubusercontent.com/projectcalico/calico/v3.29.3/manifests/calico.yaml'
    log "warning: no pinned sha256 for the ${CNI_NAME} manifest; fetched one has sha256 $(sha256sum "${CNI_MANIFEST}" | cut -d' ' -f1)"
  fi
  # calico.yaml ships with its pool CIDR commented out; set it to the cluster's pod CIDR.
  sed -i -e 's|# - name: CALICO_IPV4POOL_CIDR|- name: CALICO_IPV4POOL_CIDR|' \
    -e "s|#   value: \"192.168.0.0/16\"|  value: \"${POD_CIDR}\"|" "${CNI_MANIFEST}"
  grep -q "${POD_CIDR}" "${CNI_MANIFEST}" || die "could not set the pod CIDR ${POD_CIDR} in ${CNI_MANIFEST}"
  retry 10 "kubectl apply of ${CNI_NAME}" kubectl apply --server-side --force-conflicts -f "${CNI_MANIFEST}"
  mark_done "cni-${CNI_NAME}-${CNI_VERSION}"
fi

# --- addons (metrics-server; src/addons, docs/addons.md): every control plane applies them with server-side apply,
# so one whose bundle came with a changed spec brings the running cluster's addons up to date.
export KUBECONFIG="${ROOT}/etc/kubernetes/admin.conf"
if is_done "addons-301a2c8f94b8faa7"; then
  log "addons metrics-server already applied"
else
  step addons "applying addons metrics-server"
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
  attempt=0
  # Each probe is bounded: a load balancer that accepts the connection and never answers (no healthy target yet)
  # would otherwise hold kubectl, which has no request timeout of its own, for as long as the connection lives.
  until kubectl get --raw=/readyz --request-timeout=10s >/dev/null 2>&1; do
    attempt=$((attempt + 1))
    [ "${attempt}" -lt 60 ] || die "the API server did not become ready within 5 minutes"
    log "waiting for the API server to be ready (${attempt}/60)"
    sleep 5
  done
  retry 10 "kubectl apply of the addons" kubectl apply --server-side --force-conflicts --field-manager=k8sup -f "${ROOT}/etc/k8sup/addons/metrics-server.yaml"
  mark_done "addons-301a2c8f94b8faa7"
fi

log "bootstrap of ${CLUSTER_NAME} (${ROLE}, Kubernetes ${K8S_VERSION}) complete"
