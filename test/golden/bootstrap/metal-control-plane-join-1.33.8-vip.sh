#!/usr/bin/env bash
# k8sup node bootstrap for demo.k8s.local: role control-plane-join, provider metal, Kubernetes 1.33.8.
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
  [ -s "${TOKEN_FILE}" ] || die "${TOKEN_FILE} is missing: k8sup copies a bootstrap token over SSH before it runs this script"
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

# --- kube-vip serves the API virtual IP 10.0.0.100 (the controlPlaneEndpoint) from a static pod on every control plane.
# Its manifest goes into /etc/kubernetes/manifests before kubeadm runs: the kubelet kubeadm starts brings the VIP up
# next to the API server, so the endpoint answers while kubeadm still needs it.
KUBE_VIP_DIR="${ROOT}/etc/k8sup/kube-vip"
KUBE_VIP_POD="${ROOT}/etc/kubernetes/manifests/kube-vip.yaml"

# install_kube_vip_pod SRC: the kubelet reads every file in the manifests folder whose name does not start with '.',
# so the copy goes through a hidden name and lands with one rename.
install_kube_vip_pod() {
  local src="$1" dir="${ROOT}/etc/kubernetes/manifests"
  if [ -f "${KUBE_VIP_POD}" ] && cmp -s "${src}" "${KUBE_VIP_POD}"; then return 0; fi
  mkdir -p "${dir}"
  install -m 0600 "${src}" "${dir}/.kube-vip.yaml.k8sup"
  mv -f "${dir}/.kube-vip.yaml.k8sup" "${KUBE_VIP_POD}"
}

if [ ! -f "${ROOT}/etc/kubernetes/kubelet.conf" ]; then
  VIP='10.0.0.100'
  # The interface that carries the VIP: the one in /etc/k8sup/vip-interface when an operator wrote it, else the
  # interface of this host's route to the VIP (a free address on the network the control planes share).
  if [ -s "${ROOT}/etc/k8sup/vip-interface" ]; then
    VIP_INTERFACE="$(head -n 1 "${ROOT}/etc/k8sup/vip-interface")"
  else
    VIP_INTERFACE="$(ip -o route get "${VIP}" | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n 1)" || VIP_INTERFACE=""
  fi
  if ! [[ "${VIP_INTERFACE}" =~ ^[A-Za-z0-9_.-]{1,15}$ ]] || [ "${VIP_INTERFACE}" = lo ]; then
    die "cannot tell which interface should carry the API VIP ${VIP} (got '${VIP_INTERFACE}'): write its name to /etc/k8sup/vip-interface and run again"
  fi
  log "kube-vip 0.8.9: API VIP ${VIP} on ${VIP_INTERFACE}"
  # kube-vip reaches the API server on this host as https://kubernetes:6443 (the VIP is not up yet when it starts).
  printf '127.0.0.1 localhost kubernetes\n::1 localhost\n' | write_file "${KUBE_VIP_DIR}/hosts" 0644
  sed -e "s/@@K8SUP_VIP_INTERFACE@@/${VIP_INTERFACE}/" <<'K8SUP_EOF_KUBE_VIP' | write_file "${KUBE_VIP_DIR}/kube-vip.yaml" 0600
# kube-vip static pod written by k8sup: serves the API virtual IP (spec.api.vip) from the control planes.
# ARP mode with leader election: one control plane holds the VIP; when it stops renewing its lease (5 s), another
# takes over and announces the address with gratuitous ARP.
apiVersion: v1
kind: Pod
metadata:
  name: kube-vip
  namespace: kube-system
  labels:
    app.kubernetes.io/name: kube-vip
    app.kubernetes.io/managed-by: k8sup
spec:
  hostNetwork: true
  priorityClassName: system-node-critical
  containers:
    - name: kube-vip
      image: "ghcr.io/kube-vip/kube-vip:v0.8.9"
      imagePullPolicy: IfNotPresent
      args:
        - manager
      env:
        - name: address
          value: "10.0.0.100"
        - name: port
          value: "6443"
        - name: vip_interface
          value: "@@K8SUP_VIP_INTERFACE@@"
        - name: vip_cidr
          value: "32"
        - name: vip_arp
          value: "true"
        - name: cp_enable
          value: "true"
        - name: cp_namespace
          value: kube-system
        - name: svc_enable
          value: "false"
        - name: vip_leaderelection
          value: "true"
        - name: vip_leasename
          value: plndr-cp-lock
        - name: vip_leaseduration
          value: "5"
        - name: vip_renewdeadline
          value: "3"
        - name: vip_retryperiod
          value: "1"
      securityContext:
        capabilities:
          add:
            - NET_ADMIN
            - NET_RAW
      volumeMounts:
        - name: kubeconfig
          mountPath: /etc/kubernetes/admin.conf
          readOnly: true
        # kube-vip talks to the API server on this host as https://kubernetes:6443 (the VIP may not answer yet).
        # A hosts file mounted in place of hostAliases, which some kubelets ignore for static pods.
        - name: hosts
          mountPath: /etc/hosts
          readOnly: true
  volumes:
    - name: kubeconfig
      hostPath:
        path: /etc/kubernetes/admin.conf
        type: File
    - name: hosts
      hostPath:
        path: /etc/k8sup/kube-vip/hosts
        type: File
K8SUP_EOF_KUBE_VIP
  install_kube_vip_pod "${KUBE_VIP_DIR}/kube-vip.yaml"
fi

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
  KUBEADM_ACTION='join'
  step kubeadm "kubeadm ${KUBEADM_ACTION}"
  write_file "${ROOT}/etc/k8sup/kubeadm-join.yaml.template" 0600 <<'K8SUP_EOF_KUBEADM_JOIN'
apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
nodeRegistration:
  name: "cp-1"
  criSocket: unix:///run/containerd/containerd.sock
  kubeletExtraArgs:
    - name: "node-labels"
      value: "k8sup.io/node-group=control-plane"
    - name: "node-ip"
      value: "10.0.0.11"
discovery:
  bootstrapToken:
    apiServerEndpoint: "10.0.0.100:6443"
    token: "@@K8SUP_BOOTSTRAP_TOKEN@@"
    caCertHashes:
      - "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
controlPlane:
  localAPIEndpoint:
    advertiseAddress: "10.0.0.11"
    bindPort: 6443
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
