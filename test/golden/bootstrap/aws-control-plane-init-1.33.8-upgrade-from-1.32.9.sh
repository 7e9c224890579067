#!/usr/bin/env bash
# k8sup node bootstrap for demo.k8s.local: role control-plane-init, provider aws, Kubernetes 1.33.8.
# Rendered by k8sup from templates/bootstrap; do not edit on the node. Safe to run again: every step checks first.
# It contains no private key material: control planes fetch theirs with the instance's own identity (cloud) or
# receive them over SSH before this runs (metal); workers join with a short-lived bootstrap token.
set -euo pipefail

# Values rendered by k8sup (single-quoted, so the shell never expands them).
CLUSTER_NAME='demo.k8s.local'
ROLE='control-plane-init'
K8S_VERSION='1.33.8'
K8S_PACKAGE_VERSION='1.33.8-1.1'
K8S_APT_URL='https://pkgs.k8s.io/core:/stable:/v1.33/deb/'
CONTAINERD_VERSION='2.2.1'
RUNC_VERSION='1.3.4'
NODE_GROUP='control-plane'
STATE_PREFIX='team-a/demo.k8s.local/'
STATE_REGION='us-east-2'
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

# --- State store access with the instance's own identity: IMDSv2 session token -> instance role credentials ->
# SigV4-signed S3 requests. No static keys exist anywhere in this script. The script signs requests itself (bash and
# sha256sum: any curl works, where curl's own --aws-sigv4 needs 7.87 for a caller's payload hash), and the signed
# headers reach curl on stdin (--config -), never on its command line, so other processes cannot read them from /proc.
IMDS=http://169.254.169.254/latest
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
# The bucket in its own region (k8sup looked it up at create: spec.stateStore.region). Bucket names with dots use
# path-style addresses: no *.s3 wildcard certificate covers them.
S3_HOST='k8sup-state.s3.us-east-2.amazonaws.com'
S3_BUCKET_PATH=''

imds_get() {
  local token
  token="$(curl -fsS --retry 5 --connect-timeout 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "${IMDS}/api/token")" || return 1
  curl -fsS --retry 5 --connect-timeout 5 -H "X-aws-ec2-metadata-token: ${token}" "${IMDS}/$1"
}

json_field() { sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" | head -n 1; }

sha256_hex() { sha256sum | cut -d ' ' -f 1; }
# hex_bytes HEX: the bytes HEX spells. printf is a shell builtin, so keys never appear on a command line.
hex_bytes() {
  local hex="$1" out="" i
  for ((i = 0; i < ${#hex}; i += 2)); do out+="\\x${hex:i:2}"; done
  printf '%b' "${out}"
}
text_hex() {
  local text="$1" out="" i
  for ((i = 0; i < ${#text}; i++)); do printf -v out '%s%02x' "${out}" "'${text:i:1}"; done
  printf '%s' "${out}"
}
# hmac_sha256 KEY_HEX MESSAGE: HMAC-SHA256 (RFC 2104) as hex. Keys here are at most 64 bytes (AWS4 + secret, digests).
hmac_sha256() {
  local key="$1" ipad="" opad="" inner i b
  while [ "${#key}" -lt 128 ]; do key+=00; done
  for ((i = 0; i < 128; i += 2)); do
    b=$((16#${key:i:2}))
    printf -v ipad '%s%02x' "${ipad}" $((b ^ 0x36))
    printf -v opad '%s%02x' "${opad}" $((b ^ 0x5c))
  done
  inner="$({ hex_bytes "${ipad}"; printf '%s' "$2"; } | sha256_hex)"
  { hex_bytes "${opad}"; hex_bytes "${inner}"; } | sha256_hex
}

# sigv4_config ACCESS_KEY SECRET_KEY SESSION_TOKEN AMZ_DATE METHOD PATH QUERY PAYLOAD_SHA256 SSE: prints the curl config
# headers of one S3 request signed with Signature Version 4 (PATH and QUERY already URI-encoded; SSE=1 adds the
# server-side encryption header). Pure: the tests check it against the AWS SDK's signer.
sigv4_config() {
  local access="$1" secret="$2" token="$3" amz_date="$4" method="$5" path="$6" query="$7" payload="$8" sse="$9"
  local scope canonical signed key signature part
  scope="${amz_date%%T*}/${STATE_REGION}/s3/aws4_request"
  signed='host;x-amz-content-sha256;x-amz-date;x-amz-security-token'
  canonical="$(printf '%s\n%s\n%s\nhost:%s\nx-amz-content-sha256:%s\nx-amz-date:%s\nx-amz-security-token:%s\n' \
    "${method}" "${path}" "${query}" "${S3_HOST}" "${payload}" "${amz_date}" "${token}")"
  if [ "${sse}" = 1 ]; then
    signed+=';x-amz-server-side-encryption'
    canonical+=$'\nx-amz-server-side-encryption:AES256'
  fi
  canonical+=$'\n\n'"${signed}"$'\n'"${payload}"
  key="$(hmac_sha256 "$(text_hex "AWS4${secret}")" "${amz_date%%T*}")"
  for part in "${STATE_REGION}" s3 aws4_request; do key="$(hmac_sha256 "${key}" "${part}")"; done
  signature="$(hmac_sha256 "${key}" "$(printf 'AWS4-HMAC-SHA256\n%s\n%s\n%s' "${amz_date}" "${scope}" "$(printf '%s' "${canonical}" | sha256_hex)")")"
  printf 'header = "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"\n' "${access}" "${scope}" "${signed}" "${signature}"
  printf 'header = "x-amz-date: %s"\nheader = "x-amz-content-sha256: %s"\nheader = "x-amz-security-token: %s"\n' "${amz_date}" "${payload}" "${token}"
  if [ "${sse}" = 1 ]; then printf 'header = "x-amz-server-side-encryption: AES256"\n'; fi
}

# s3_config METHOD PATH QUERY PAYLOAD_SHA256 SSE: the signed curl config for a request with the instance role's
# current credentials.
s3_config() {
  local role creds
  role="$(imds_get meta-data/iam/security-credentials/ | head -n 1)" || return 1
  [ -n "${role}" ] || { log "this instance has no IAM role"; return 1; }
  creds="$(imds_get "meta-data/iam/security-credentials/${role}")" || return 1
  sigv4_config "$(json_field AccessKeyId <<<"${creds}")" "$(json_field SecretAccessKey <<<"${creds}")" "$(json_field Token <<<"${creds}")" \
    "$(date -u +%Y%m%dT%H%M%SZ)" "$@"
}

# store_get KEY DEST: downloads <prefix>/<cluster>/KEY from the state bucket, private to root (umask) from the start.
store_get() {
  local path="${S3_BUCKET_PATH}/${STATE_PREFIX}$1" dest="$2" config
  config="$(s3_config GET "${path}" '' "${EMPTY_SHA256}" 0)" || return 1
  mkdir -p "$(dirname "${dest}")"
  (umask 077 && curl -fsS --retry 3 --connect-timeout 10 --config - -o "${dest}.part" "https://${S3_HOST}${path}" <<<"${config}") || return 1
  mv -f "${dest}.part" "${dest}"
}

# store_has KEY: 0 when <prefix>/<cluster>/KEY exists, 1 when it does not, 2 when the store cannot tell. It lists the
# key (ListObjectsV2, allowed on this cluster's prefix only) rather than GETting it: without list rights S3 answers a
# missing key with 403, the same as a denied one.
store_has() {
  local config listing key="${STATE_PREFIX}$1" query
  query="list-type=2&prefix=${key//\//%2F}"
  config="$(s3_config GET "${S3_BUCKET_PATH}/" "${query}" "${EMPTY_SHA256}" 0)" || return 2
  listing="$(curl -fsS --retry 3 --connect-timeout 10 --config - "https://${S3_HOST}${S3_BUCKET_PATH}/?${query}" <<<"${config}")" || return 2
  case "${listing}" in
    *"<Key>${key}</Key>"*) return 0 ;;
    *"<ListBucketResult"*) return 1 ;;
    *) log "unexpected answer from the state store when listing $1"; return 2 ;;
  esac
}

# store_put KEY FILE: uploads FILE to <prefix>/<cluster>/KEY, encrypted at rest like every k8sup object.
store_put() {
  local path="${S3_BUCKET_PATH}/${STATE_PREFIX}$1" file="$2" config
  config="$(s3_config PUT "${path}" '' "$(sha256_hex <"${file}")" 1)" || return 1
  curl -fsS --retry 3 --connect-timeout 10 --config - -X PUT --upload-file "${file}" -o /dev/null "https://${S3_HOST}${path}" <<<"${config}"
}

# The node name the AWS cloud expects: the instance's private DNS name. A VPC whose DHCP options set names several
# domains gets all of them from IMDS, space-separated ("ip-10-0-0-5.ec2.internal corp.example"): the name is the first.
# cloud-provider-aws ("Node name conventions" in its prerequisites) wants that name in the region's own domain
# (<region>.compute.internal, ec2.internal in us-east-1) and no custom one. A name in another domain (a DHCP options
# set with one custom domain name) is used all the same, with a warning: IMDS has no field for the EC2 PrivateDnsName,
# and asking ec2:DescribeInstances for it (what EKS's nodeadm does) is not built yet (docs/aws.md, "Node names").
instance_node_name() {
  local names name region domain
  names="$(imds_get meta-data/local-hostname)" || return 1
  name="${names%%[[:space:]]*}"
  if region="$(imds_get meta-data/placement/region)" && [ -n "${region}" ]; then
    domain="${region}.compute.internal"
    if [ "${region}" = us-east-1 ]; then domain=ec2.internal; fi
    case "${name}" in
      *."${domain}") ;;
      *) log "warning: node name ${name} is not in ${domain}: the AWS cloud controller manager may not find this instance (a custom domain in the VPC's DHCP options set; docs/aws.md, \"Node names\")" ;;
    esac
  fi
  printf '%s\n' "${name}"
}
# What names this instance in its progress report.
instance_id() { imds_get meta-data/instance-id; }

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
# `k8sup upgrade cluster` rendered this bundle for an upgrade from 1.32.9: a control plane that finds the
# cluster's ClusterConfiguration still at the old version installs the old kubelet, kubeadm and kubectl (kube-packages
# below), joins with them, and kubeadm-upgrade then upgrades the cluster and this node to the new version. The version
# is read before anything is installed.
K8S_FROM_VERSION='1.32.9'
# Empty when the old version has no pins in this k8sup (not a supported version): the node then refuses below.
K8S_FROM_PACKAGE_VERSION=''
K8S_FROM_APT_URL=''
# What kubeadm-upgrade installs after the join; kube-packages below installs K8S_PACKAGE_VERSION, the join's version.
K8S_TARGET_PACKAGE_VERSION="${K8S_PACKAGE_VERSION}"
K8S_TARGET_APT_URL="${K8S_APT_URL}"
# The version this node joined with, kept for the runs after the join (a reboot between join and upgrade).
JOIN_VERSION_FILE="${ROOT}/var/lib/k8sup/join-version"
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

# store_says KEY: store_has KEY, retried for 5 minutes while the store cannot tell (never a guess).
store_says() {
  local status attempt=0
  while :; do
    status=0
    store_has "$1" || status=$?
    [ "${status}" -eq 2 ] || return "${status}"
    attempt=$((attempt + 1))
    [ "${attempt}" -lt 30 ] || die "cannot tell from the state store whether it has $1; refusing to guess"
    sleep 10
  done
}

if is_done kubeadm-succeeded && [ -s "${JOIN_VERSION_FILE}" ]; then
  JOIN_VERSION="$(cat "${JOIN_VERSION_FILE}")"
  log "this control plane joined the cluster with Kubernetes ${JOIN_VERSION} packages"
else
  JOIN_VERSION="${K8S_VERSION}"
  # The first control plane's script joins only a cluster that exists (kubeadm below decides the same way);
  # otherwise it runs kubeadm init with this version.
  joins=0
  if [ ! -f "${ROOT}/etc/k8sup/force-init" ] && store_says bootstrap/token; then joins=1; fi
  if [ "${joins}" = 1 ]; then
    cluster_version_for_join
    case "${CLUSTER_VERSION}" in
      "v${K8S_VERSION}") log "the cluster runs ${CLUSTER_VERSION} already: joining with ${K8S_VERSION}" ;;
      "v${K8S_FROM_VERSION}")
        JOIN_VERSION="${K8S_FROM_VERSION}"
        log "the cluster runs ${CLUSTER_VERSION}: joining with kubeadm ${K8S_FROM_VERSION} (kubeadm's skew rule), then kubeadm upgrade apply v${K8S_VERSION}"
        ;;
      *) die "the cluster runs ${CLUSTER_VERSION}: this control plane joins a cluster at v${K8S_FROM_VERSION} (the upgrade's start) or v${K8S_VERSION} only" ;;
    esac
  fi
  write_file "${JOIN_VERSION_FILE}" 0644 <<<"${JOIN_VERSION}"
fi
if [ "${JOIN_VERSION}" != "${K8S_VERSION}" ]; then
  if [ -z "${K8S_FROM_PACKAGE_VERSION}" ]; then
    log "ERROR: the cluster runs Kubernetes ${K8S_FROM_VERSION}, which this k8sup has no pinned packages for: joining with"
    log "ERROR: kubeadm ${K8S_VERSION} would break kubeadm's skew rule, so this control plane stops here. Recover as"
    log "ERROR: docs/upgrades.md says under \"Failure modes and recovery (AWS, GCE)\": roll back to the previous revision."
    die "no pinned packages for Kubernetes ${K8S_FROM_VERSION}; not joining"
  fi
  K8S_PACKAGE_VERSION="${K8S_FROM_PACKAGE_VERSION}"
  K8S_APT_URL="${K8S_FROM_APT_URL}"
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

# --- kubelet image credential provider: the kubelet runs it for images of the cloud's registry, which are then
# pulled with this instance's identity (src/bootstrap/credential-provider.ts). The pinned binary is checksum-verified.
CREDENTIAL_PROVIDER='ecr-credential-provider'
CREDENTIAL_PROVIDER_VERSION='v1.37.0'
step credential-provider "image credential provider ${CREDENTIAL_PROVIDER} ${CREDENTIAL_PROVIDER_VERSION}"
case "${ARCH}" in
  amd64)
    CREDENTIAL_PROVIDER_URL='https://artifacts.k8s.io/binaries/cloud-provider-aws/v1.37.0/linux/amd64/ecr-credential-provider-linux-amd64'
    CREDENTIAL_PROVIDER_SHA256='842e0fd8159f5ed8df2f38e6521e1e4f0a1ee80cf1e1ac119bbf20bf9c20681c'
    ;;
  arm64)
    CREDENTIAL_PROVIDER_URL='https://artifacts.k8s.io/binaries/cloud-provider-aws/v1.37.0/linux/arm64/ecr-credential-provider-linux-arm64'
    CREDENTIAL_PROVIDER_SHA256='dd4748d167b0167cd4a66779dbbe4964e17a29a076aaa3d2b63cfc36ae84b52c'
    ;;
esac
if ! is_done "${CREDENTIAL_PROVIDER}-${CREDENTIAL_PROVIDER_VERSION}-${ARCH}"; then
  download "${CREDENTIAL_PROVIDER_URL}" "${ROOT}/usr/local/libexec/kubernetes/credential-providers/${CREDENTIAL_PROVIDER}" "${CREDENTIAL_PROVIDER_SHA256}"
  chmod 0755 "${ROOT}/usr/local/libexec/kubernetes/credential-providers/${CREDENTIAL_PROVIDER}"
  mark_done "${CREDENTIAL_PROVIDER}-${CREDENTIAL_PROVIDER_VERSION}-${ARCH}"
fi
write_file "${ROOT}/etc/k8sup/credential-providers.yaml" 0644 <<'K8SUP_EOF_CREDENTIAL_PROVIDERS'
apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
  - name: ecr-credential-provider
    matchImages:
      - "*.dkr.ecr.*.amazonaws.com"
      - "*.dkr.ecr.*.amazonaws.com.cn"
    defaultCacheDuration: "0"
    apiVersion: credentialprovider.kubelet.k8s.io/v1
K8SUP_EOF_CREDENTIAL_PROVIDERS

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

# cluster_initialised: true when the state store shows this cluster was initialised already: the marker written
# right after the first `kubeadm init`, or a published bootstrap token (clusters created before the marker existed).
# It never guesses: when the store cannot answer (network, permissions), it retries for 5 minutes, then stops the
# script, because a wrong "no" would start a second, empty cluster behind the same endpoint.
cluster_initialised() {
  local key attempt status
  for key in bootstrap/initialized bootstrap/token; do
    attempt=0
    while :; do
      status=0
      store_has "${key}" || status=$?
      [ "${status}" -eq 2 ] || break
      attempt=$((attempt + 1))
      [ "${attempt}" -lt 30 ] || die "cannot tell from the state store whether ${CLUSTER_NAME} was initialised (see the HTTP status above); refusing to guess"
      sleep 10
    done
    if [ "${status}" -eq 0 ]; then
      log "the state store has ${key}: ${CLUSTER_NAME} was initialised already"
      return 0
    fi
  done
  return 1
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
  KUBEADM_ACTION='init'
  # This instance runs the first control plane's script. If it replaced the instance that ran `kubeadm init` (health
  # check, rolling update), initialising again would split the cluster: the state store decides.
  KUBEADM_INIT_EXTRA=()
  if [ -f "${ROOT}/etc/k8sup/force-init" ]; then
    log "warning: ${ROOT}/etc/k8sup/force-init exists: kubeadm init whatever the state store says (docs/bootstrap.md)"
    # An operator who restored an etcd snapshot into /var/lib/etcd wants kubeadm to keep it.
    if [ -d "${ROOT}/var/lib/etcd/member" ]; then KUBEADM_INIT_EXTRA+=(--ignore-preflight-errors=DirAvailable--var-lib-etcd); fi
  elif cluster_initialised; then
    log "joining the running cluster as a control plane instead of running kubeadm init"
    KUBEADM_ACTION='join'
  fi
  step kubeadm "kubeadm ${KUBEADM_ACTION}"
  write_file "${ROOT}/etc/k8sup/kubeadm-init.yaml.template" 0600 <<'K8SUP_EOF_KUBEADM_INIT'
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
nodeRegistration:
  name: "@@K8SUP_NODE_NAME@@"
  criSocket: unix:///run/containerd/containerd.sock
  kubeletExtraArgs:
    - name: "cloud-provider"
      value: "external"
    - name: "node-labels"
      value: "k8sup.io/node-group=control-plane"
    - name: "image-credential-provider-config"
      value: "/etc/k8sup/credential-providers.yaml"
    - name: "image-credential-provider-bin-dir"
      value: "/usr/local/libexec/kubernetes/credential-providers"
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
clusterName: "demo.k8s.local"
kubernetesVersion: "v1.33.8"
controlPlaneEndpoint: "api.demo.example.com:6443"
networking:
  podSubnet: "100.96.0.0/11"
  serviceSubnet: "100.64.0.0/13"
  dnsDomain: cluster.local
apiServer:
  certSANs:
    - "api.demo.example.com"
    - "api.demo.internal"
controllerManager:
  extraArgs:
    - name: "cloud-provider"
      value: "external"
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
K8SUP_EOF_KUBEADM_INIT
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
    - name: "image-credential-provider-config"
      value: "/etc/k8sup/credential-providers.yaml"
    - name: "image-credential-provider-bin-dir"
      value: "/usr/local/libexec/kubernetes/credential-providers"
discovery:
  bootstrapToken:
    apiServerEndpoint: "api.demo.example.com:6443"
    token: "@@K8SUP_BOOTSTRAP_TOKEN@@"
    caCertHashes:
      - "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
controlPlane: {}
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
  if [ "${KUBEADM_ACTION}" = init ]; then
    kubeadm init --config "${ROOT}/etc/k8sup/kubeadm.yaml" --skip-token-print "${KUBEADM_INIT_EXTRA[@]}"
  else
    remove_stale_etcd_members
    kubeadm join --config "${ROOT}/etc/k8sup/kubeadm.yaml"
    rm -f "${TOKEN_FILE}"
    # Remembered so that later runs leave the pod network alone: the running cluster has its own.
    mark_done joined-existing-cluster
  fi
  mark_done kubeadm-succeeded
fi

# The marker a replacement of this instance looks for (above): written once, after kubeadm succeeded.
if ! is_done initialized-marker; then
  marker_file="$(mktemp)"
  printf 'initialized=true\nnode=%s\n' "$(hostname)" >"${marker_file}"
  store_put bootstrap/initialized "${marker_file}" || die "cannot write bootstrap/initialized to the state store with this instance's identity"
  rm -f "${marker_file}"
  mark_done initialized-marker
fi

# --- Control planes keep a fresh bootstrap token in the state store for nodes that join later (an autoscaler may add
# workers months from now): a timer creates a 24h token every 12h and uploads it with this instance's identity.
write_file "${ROOT}/usr/local/sbin/k8sup-token-refresh" 0755 <<'K8SUP_EOF_TOKEN_REFRESH'
#!/usr/bin/env bash
# k8sup-token-refresh for demo.k8s.local: creates a bootstrap token valid 24h and publishes it to the state store
# as <prefix>/<cluster>/bootstrap/token, where joining nodes read it with their own instance identity.
# Run every 12h by k8sup-token-refresh.timer, so a published token always has at least 12h left.
set -euo pipefail

STATE_PREFIX='team-a/demo.k8s.local/'
STATE_REGION='us-east-2'
ROOT="${K8SUP_ROOT:-}"

log() { printf '[k8sup-token-refresh] %s\n' "$*" >&2; }

# --- State store access with the instance's own identity: IMDSv2 session token -> instance role credentials ->
# SigV4-signed S3 requests. No static keys exist anywhere in this script. The script signs requests itself (bash and
# sha256sum: any curl works, where curl's own --aws-sigv4 needs 7.87 for a caller's payload hash), and the signed
# headers reach curl on stdin (--config -), never on its command line, so other processes cannot read them from /proc.
IMDS=http://169.254.169.254/latest
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
# The bucket in its own region (k8sup looked it up at create: spec.stateStore.region). Bucket names with dots use
# path-style addresses: no *.s3 wildcard certificate covers them.
S3_HOST='k8sup-state.s3.us-east-2.amazonaws.com'
S3_BUCKET_PATH=''

imds_get() {
  local token
  token="$(curl -fsS --retry 5 --connect-timeout 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "${IMDS}/api/token")" || return 1
  curl -fsS --retry 5 --connect-timeout 5 -H "X-aws-ec2-metadata-token: ${token}" "${IMDS}/$1"
}

json_field() { sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" | head -n 1; }

sha256_hex() { sha256sum | cut -d ' ' -f 1; }
# hex_bytes HEX: the bytes HEX spells. printf is a shell builtin, so keys never appear on a command line.
hex_bytes() {
  local hex="$1" out="" i
  for ((i = 0; i < ${#hex}; i += 2)); do out+="\\x${hex:i:2}"; done
  printf '%b' "${out}"
}
text_hex() {
  local text="$1" out="" i
  for ((i = 0; i < ${#text}; i++)); do printf -v out '%s%02x' "${out}" "'${text:i:1}"; done
  printf '%s' "${out}"
}
# hmac_sha256 KEY_HEX MESSAGE: HMAC-SHA256 (RFC 2104) as hex. Keys here are at most 64 bytes (AWS4 + secret, digests).
hmac_sha256() {
  local key="$1" ipad="" opad="" inner i b
  while [ "${#key}" -lt 128 ]; do key+=00; done
  for ((i = 0; i < 128; i += 2)); do
    b=$((16#${key:i:2}))
    printf -v ipad '%s%02x' "${ipad}" $((b ^ 0x36))
    printf -v opad '%s%02x' "${opad}" $((b ^ 0x5c))
  done
  inner="$({ hex_bytes "${ipad}"; printf '%s' "$2"; } | sha256_hex)"
  { hex_bytes "${opad}"; hex_bytes "${inner}"; } | sha256_hex
}

# sigv4_config ACCESS_KEY SECRET_KEY SESSION_TOKEN AMZ_DATE METHOD PATH QUERY PAYLOAD_SHA256 SSE: prints the curl config
# headers of one S3 request signed with Signature Version 4 (PATH and QUERY already URI-encoded; SSE=1 adds the
# server-side encryption header). Pure: the tests check it against the AWS SDK's signer.
sigv4_config() {
  local access="$1" secret="$2" token="$3" amz_date="$4" method="$5" path="$6" query="$7" payload="$8" sse="$9"
  local scope canonical signed key signature part
  scope="${amz_date%%T*}/${STATE_REGION}/s3/aws4_request"
  signed='host;x-amz-content-sha256;x-amz-date;x-amz-security-token'
  canonical="$(printf '%s\n%s\n%s\nhost:%s\nx-amz-content-sha256:%s\nx-amz-date:%s\nx-amz-security-token:%s\n' \
    "${method}" "${path}" "${query}" "${S3_HOST}" "${payload}" "${amz_date}" "${token}")"
  if [ "${sse}" = 1 ]; then
    signed+=';x-amz-server-side-encryption'
    canonical+=$'\nx-amz-server-side-encryption:AES256'
  fi
  canonical+=$'\n\n'"${signed}"$'\n'"${payload}"
  key="$(hmac_sha256 "$(text_hex "AWS4${secret}")" "${amz_date%%T*}")"
  for part in "${STATE_REGION}" s3 aws4_request; do key="$(hmac_sha256 "${key}" "${part}")"; done
  signature="$(hmac_sha256 "${key}" "$(printf 'AWS4-HMAC-SHA256\n%s\n%s\n%s' "${amz_date}" "${scope}" "$(printf '%s' "${canonical}" | sha256_hex)")")"
  printf 'header = "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"\n' "${access}" "${scope}" "${signed}" "${signature}"
  printf 'header = "x-amz-date: %s"\nheader = "x-amz-content-sha256: %s"\nheader = "x-amz-security-token: %s"\n' "${amz_date}" "${payload}" "${token}"
  if [ "${sse}" = 1 ]; then printf 'header = "x-amz-server-side-encryption: AES256"\n'; fi
}

# s3_config METHOD PATH QUERY PAYLOAD_SHA256 SSE: the signed curl config for a request with the instance role's
# current credentials.
s3_config() {
  local role creds
  role="$(imds_get meta-data/iam/security-credentials/ | head -n 1)" || return 1
  [ -n "${role}" ] || { log "this instance has no IAM role"; return 1; }
  creds="$(imds_get "meta-data/iam/security-credentials/${role}")" || return 1
  sigv4_config "$(json_field AccessKeyId <<<"${creds}")" "$(json_field SecretAccessKey <<<"${creds}")" "$(json_field Token <<<"${creds}")" \
    "$(date -u +%Y%m%dT%H%M%SZ)" "$@"
}

# store_get KEY DEST: downloads <prefix>/<cluster>/KEY from the state bucket, private to root (umask) from the start.
store_get() {
  local path="${S3_BUCKET_PATH}/${STATE_PREFIX}$1" dest="$2" config
  config="$(s3_config GET "${path}" '' "${EMPTY_SHA256}" 0)" || return 1
  mkdir -p "$(dirname "${dest}")"
  (umask 077 && curl -fsS --retry 3 --connect-timeout 10 --config - -o "${dest}.part" "https://${S3_HOST}${path}" <<<"${config}") || return 1
  mv -f "${dest}.part" "${dest}"
}

# store_put KEY FILE: uploads FILE to <prefix>/<cluster>/KEY, encrypted at rest like every k8sup object.
store_put() {
  local path="${S3_BUCKET_PATH}/${STATE_PREFIX}$1" file="$2" config
  config="$(s3_config PUT "${path}" '' "$(sha256_hex <"${file}")" 1)" || return 1
  curl -fsS --retry 3 --connect-timeout 10 --config - -X PUT --upload-file "${file}" -o /dev/null "https://${S3_HOST}${path}" <<<"${config}"
}

# The node name the AWS cloud expects: the instance's private DNS name. A VPC whose DHCP options set names several
# domains gets all of them from IMDS, space-separated ("ip-10-0-0-5.ec2.internal corp.example"): the name is the first.
# cloud-provider-aws ("Node name conventions" in its prerequisites) wants that name in the region's own domain
# (<region>.compute.internal, ec2.internal in us-east-1) and no custom one. A name in another domain (a DHCP options
# set with one custom domain name) is used all the same, with a warning: IMDS has no field for the EC2 PrivateDnsName,
# and asking ec2:DescribeInstances for it (what EKS's nodeadm does) is not built yet (docs/aws.md, "Node names").
instance_node_name() {
  local names name region domain
  names="$(imds_get meta-data/local-hostname)" || return 1
  name="${names%%[[:space:]]*}"
  if region="$(imds_get meta-data/placement/region)" && [ -n "${region}" ]; then
    domain="${region}.compute.internal"
    if [ "${region}" = us-east-1 ]; then domain=ec2.internal; fi
    case "${name}" in
      *."${domain}") ;;
      *) log "warning: node name ${name} is not in ${domain}: the AWS cloud controller manager may not find this instance (a custom domain in the VPC's DHCP options set; docs/aws.md, \"Node names\")" ;;
    esac
  fi
  printf '%s\n' "${name}"
}
# What names this instance in its progress report.
instance_id() { imds_get meta-data/instance-id; }

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
# Publish the first token right away: workers are already booting and waiting for it.
if ! is_done first-bootstrap-token; then
  "${ROOT}/usr/local/sbin/k8sup-token-refresh"
  mark_done first-bootstrap-token
fi

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

# --- kubeadm upgrade (docs/upgrades.md, "Clouds"): kube-packages-upgrade above chose the packages this control plane
# joined with. Joined with the old version (it found the cluster's ClusterConfiguration still at it: the first control
# plane of the new version), it now runs kubeadm's own procedure on a real control plane of the cluster: kubeadm of
# the new version, an etcd snapshot, `kubeadm upgrade plan` and `kubeadm upgrade apply`, then kubelet and kubectl of
# the new version with a drain before the kubelet restart and an uncordon after. Each part leaves its stamp, so a reboot anywhere continues where it stopped.
# Joined with the new version (the cluster runs it already), there is nothing to do.
cluster_kubernetes_version() {
  kubectl --kubeconfig "${ROOT}/etc/kubernetes/admin.conf" --request-timeout=30s -n kube-system \
    get configmap kubeadm-config -o jsonpath='{.data.ClusterConfiguration}' | sed -n 's/^kubernetesVersion: *//p'
}
# kube_packages_from URL PACKAGE_VERSION NAME...: the packages NAME... at PACKAGE_VERSION from the pkgs.k8s.io
# repository URL (one per minor, signed with its own Release.key, trusted as served: see kube-packages), held again.
kube_packages_from() {
  local url="$1" version="$2" name pins=()
  shift 2
  for name in "$@"; do pins+=("${name}=${version}"); done
  export DEBIAN_FRONTEND=noninteractive
  curl -fsSL --retry 5 "${url}Release.key" | gpg --batch --yes --dearmor -o "${ROOT}/etc/apt/keyrings/k8sup-kubernetes.gpg"
  printf 'deb [signed-by=/etc/apt/keyrings/k8sup-kubernetes.gpg] %s /\n' "${url}" |
    write_file "${ROOT}/etc/apt/sources.list.d/k8sup-kubernetes.list" 0644
  apt_get update -q
  apt-mark unhold "$@" >/dev/null 2>&1 || true
  apt_get install -y -q --allow-downgrades --allow-change-held-packages "${pins[@]}"
  apt-mark hold "$@"
}
if [ "${JOIN_VERSION}" != "${K8S_VERSION}" ]; then
  if ! is_done "kubeadm-upgraded-${K8S_VERSION}"; then
    # kubeadm upgrade apply vX needs kubeadm X; the kubelet stays at the old version until the cluster runs X.
    if ! is_done "kubeadm-package-${K8S_TARGET_PACKAGE_VERSION}"; then
      step kubeadm-upgrade "kubeadm ${K8S_TARGET_PACKAGE_VERSION}: this control plane joined with ${JOIN_VERSION}"
      kube_packages_from "${K8S_TARGET_APT_URL}" "${K8S_TARGET_PACKAGE_VERSION}" kubeadm
      mark_done "kubeadm-package-${K8S_TARGET_PACKAGE_VERSION}"
    fi
    # Read again after the join (admin.conf): a run resumed after `kubeadm upgrade apply` finds the cluster at X.
    cluster_version=""
    n=0
    until cluster_version="$(cluster_kubernetes_version)" && [ -n "${cluster_version}" ]; do
      n=$((n + 1))
      [ "${n}" -lt 30 ] || die "cannot read the cluster's ClusterConfiguration (kube-system/kubeadm-config)"
      sleep 10
    done
    if [ "${cluster_version}" != "v${K8S_VERSION}" ]; then
      step kubeadm-upgrade "kubeadm upgrade apply v${K8S_VERSION} (the cluster runs ${cluster_version})"
      log "warning: etcd backups are off (spec.etcd.backups): kubeadm upgrade apply keeps its own copy under /etc/kubernetes/tmp only"
      kubeadm upgrade plan "v${K8S_VERSION}"
      kubeadm upgrade apply "v${K8S_VERSION}" --yes
    fi
    mark_done "kubeadm-upgraded-${K8S_VERSION}"
  fi
  # The cluster runs X: the kubelet may be X now (never newer than kube-apiserver), and kubectl with it. A stamp of its
  # own: kube-packages-X may be left from a run that installed X before it found the cluster at A.
  if ! is_done "kubelet-upgraded-${K8S_TARGET_PACKAGE_VERSION}"; then
    step packages "kubelet, kubectl ${K8S_TARGET_PACKAGE_VERSION}: the cluster runs v${K8S_VERSION}"
    # kubeadm's procedure for a control plane: drain it before its kubelet moves, uncordon it after. Since it joined,
    # pods that tolerate control planes (CoreDNS, addons) may have been scheduled here. The drain is bounded; one that
    # cannot finish (a PodDisruptionBudget) is logged and the upgrade goes on: restarting the kubelet leaves running
    # containers alone, so the drain is a precaution here, not a condition.
    node_name="$(cat "${ROOT}/etc/k8sup/node-name")"
    kubectl --kubeconfig "${ROOT}/etc/kubernetes/admin.conf" --request-timeout=30s drain "${node_name}" \
      --ignore-daemonsets --delete-emptydir-data --timeout=300s ||
      log "warning: could not drain ${node_name} before its kubelet restart (see above): upgrading its kubelet all the same"
    kube_packages_from "${K8S_TARGET_APT_URL}" "${K8S_TARGET_PACKAGE_VERSION}" kubelet kubectl
    systemctl daemon-reload
    systemctl restart kubelet
    retry 10 "kubectl uncordon ${node_name}" kubectl --kubeconfig "${ROOT}/etc/kubernetes/admin.conf" --request-timeout=30s \
      uncordon "${node_name}" || die "cannot uncordon ${node_name} after its kubelet restart"
    mark_done "kubelet-upgraded-${K8S_TARGET_PACKAGE_VERSION}"
  fi
fi

# --- the pod network, calico 3.29.3, from a pinned, checksum-verified download.
export KUBECONFIG="${ROOT}/etc/kubernetes/admin.conf"
if is_done "cni-${CNI_NAME}-${CNI_VERSION}"; then
  log "${CNI_NAME} ${CNI_VERSION} already installed"
elif is_done joined-existing-cluster; then
  # A replaced first control plane that joined the running cluster: its pod network is there (and may have been
  # upgraded since), so this node does not apply its own copy over it.
  log "joined a running cluster: its pod network is left as it is"
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

# --- addons (metrics-server, aws-cloud-controller-manager, aws-ebs-csi-driver; src/addons, docs/addons.md): every control plane applies them with server-side apply,
# so one whose bundle came with a changed spec brings the running cluster's addons up to date.
export KUBECONFIG="${ROOT}/etc/kubernetes/admin.conf"
if is_done "addons-d6793e39743f48d1"; then
  log "addons metrics-server, aws-cloud-controller-manager, aws-ebs-csi-driver already applied"
else
  step addons "applying addons metrics-server, aws-cloud-controller-manager, aws-ebs-csi-driver"
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
  write_file "${ROOT}/etc/k8sup/addons/aws-cloud-controller-manager.yaml" 0600 <<'K8SUP_EOF_ADDON'
# aws-cloud-controller-manager v1.33.4 for k8sup: the upstream Helm chart's objects (kubernetes/cloud-provider-aws,
# charts/aws-cloud-controller-manager) with its default values, plus --configure-cloud-routes=false (see docs/addons.md).
apiVersion: v1
kind: ServiceAccount
metadata:
  name: cloud-controller-manager
  namespace: kube-system
  labels:
    k8s-app: aws-cloud-controller-manager
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:cloud-controller-manager
  labels:
    k8s-app: aws-cloud-controller-manager
rules:
  - apiGroups: [""]
    resources: ["events"]
    verbs: ["create", "patch", "update"]
  - apiGroups: [""]
    resources: ["nodes"]
    verbs: ["*"]
  - apiGroups: [""]
    resources: ["nodes/status"]
    verbs: ["patch"]
  - apiGroups: [""]
    resources: ["services"]
    verbs: ["list", "patch", "update", "watch"]
  - apiGroups: [""]
    resources: ["services/status"]
    verbs: ["list", "patch", "update", "watch"]
  - apiGroups: [""]
    resources: ["serviceaccounts"]
    verbs: ["create", "get", "list", "watch"]
  - apiGroups: [""]
    resources: ["persistentvolumes"]
    verbs: ["get", "list", "update", "watch"]
  - apiGroups: [""]
    resources: ["endpoints"]
    verbs: ["create", "get", "list", "watch", "update"]
  - apiGroups: ["coordination.k8s.io"]
    resources: ["leases"]
    verbs: ["create", "get", "list", "watch", "update"]
  - apiGroups: [""]
    resources: ["serviceaccounts/token"]
    verbs: ["create"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: system:cloud-controller-manager
  labels:
    k8s-app: aws-cloud-controller-manager
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
kind: RoleBinding
metadata:
  name: cloud-controller-manager:apiserver-authentication-reader
  namespace: kube-system
  labels:
    k8s-app: aws-cloud-controller-manager
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: extension-apiserver-authentication-reader
subjects:
  - kind: ServiceAccount
    name: cloud-controller-manager
    namespace: kube-system
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: aws-cloud-controller-manager
  namespace: kube-system
  labels:
    k8s-app: aws-cloud-controller-manager
spec:
  selector:
    matchLabels:
      k8s-app: aws-cloud-controller-manager
  updateStrategy:
    type: RollingUpdate
  template:
    metadata:
      labels:
        k8s-app: aws-cloud-controller-manager
    spec:
      # Control planes only: their instance role holds the CCM's AWS permissions (docs/aws.md).
      nodeSelector:
        node-role.kubernetes.io/control-plane: ""
      tolerations:
        # kubelets with --cloud-provider=external register with this taint until the CCM has initialised them:
        # the CCM must run on such a node, it is the one that lifts the taint.
        - key: node.cloudprovider.kubernetes.io/uninitialized
          value: "true"
          effect: NoSchedule
        - key: node-role.kubernetes.io/control-plane
          effect: NoSchedule
        # It runs before the CNI is up (host network), so a not-ready control plane still gets it.
        - key: node.kubernetes.io/not-ready
          effect: NoSchedule
      priorityClassName: system-node-critical
      serviceAccountName: cloud-controller-manager
      # Host network: reaches the API before the CNI runs, and IMDS with the launch templates' hop limit of 1.
      hostNetwork: true
      containers:
        - name: aws-cloud-controller-manager
          image: "registry.k8s.io/provider-aws/cloud-controller-manager:v1.33.4@sha256:b54bc094711e9d7ace6c9bab3d6f02a598e7570ac1fedd6341940e1de79ea476"
          args:
            - --v=2
            - --cloud-provider=aws
            # The CNI routes pod traffic; the CCM creates no VPC routes (and the role may not: docs/aws.md).
            - --configure-cloud-routes=false
          resources:
            requests:
              cpu: 200m
K8SUP_EOF_ADDON
  write_file "${ROOT}/etc/k8sup/addons/aws-ebs-csi-driver.yaml" 0600 <<'K8SUP_EOF_ADDON'
# aws-ebs-csi-driver v1.46.0 for k8sup: the upstream release manifests (kubernetes-sigs/aws-ebs-csi-driver,
# deploy/kubernetes/base) without snapshots, the controller on control planes only (their role holds the EBS rights,
# nodes have none), and the default StorageClass gp3 (see docs/addons.md).
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ebs-csi-controller-sa
  namespace: kube-system
  labels:
    app.kubernetes.io/name: aws-ebs-csi-driver
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ebs-csi-node-sa
  namespace: kube-system
  labels:
    app.kubernetes.io/name: aws-ebs-csi-driver
---
kind: ClusterRole
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: ebs-external-provisioner-role
  labels:
    app.kubernetes.io/name: aws-ebs-csi-driver
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
---
kind: ClusterRole
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: ebs-external-attacher-role
  labels:
    app.kubernetes.io/name: aws-ebs-csi-driver
rules:
  - apiGroups: [""]
    resources: ["persistentvolumes"]
    verbs: ["get", "list", "watch", "patch"]
  - apiGroups: ["storage.k8s.io"]
    resources: ["csinodes"]
    verbs: ["get", "list", "watch"]
  - apiGroups: ["storage.k8s.io"]
    resources: ["volumeattachments"]
    verbs: ["get", "list", "watch", "patch"]
  - apiGroups: ["storage.k8s.io"]
    resources: ["volumeattachments/status"]
    verbs: ["patch"]
---
kind: ClusterRole
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: ebs-external-resizer-role
  labels:
    app.kubernetes.io/name: aws-ebs-csi-driver
rules:
  - apiGroups: [""]
    resources: ["persistentvolumes"]
    verbs: ["get", "list", "watch", "patch"]
  - apiGroups: [""]
    resources: ["persistentvolumeclaims"]
    verbs: ["get", "list", "watch"]
  - apiGroups: [""]
    resources: ["pods"]
    verbs: ["get", "list", "watch"]
  - apiGroups: [""]
    resources: ["persistentvolumeclaims/status"]
    verbs: ["patch"]
  - apiGroups: [""]
    resources: ["events"]
    verbs: ["list", "watch", "create", "update", "patch"]
  - apiGroups: ["storage.k8s.io"]
    resources: ["volumeattributesclasses"]
    verbs: ["get", "list", "watch"]
---
kind: ClusterRole
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: ebs-csi-node-role
  labels:
    app.kubernetes.io/name: aws-ebs-csi-driver
rules:
  - apiGroups: ["storage.k8s.io"]
    resources: ["volumeattachments"]
    verbs: ["get", "list", "watch"]
  - apiGroups: [""]
    resources: ["nodes"]
    verbs: ["get", "patch", "list", "watch"]
  - apiGroups: ["storage.k8s.io"]
    resources: ["csinodes"]
    verbs: ["get"]
---
kind: ClusterRoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: ebs-csi-provisioner-binding
  labels:
    app.kubernetes.io/name: aws-ebs-csi-driver
subjects:
  - kind: ServiceAccount
    name: ebs-csi-controller-sa
    namespace: kube-system
roleRef:
  kind: ClusterRole
  name: ebs-external-provisioner-role
  apiGroup: rbac.authorization.k8s.io
---
kind: ClusterRoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: ebs-csi-attacher-binding
  labels:
    app.kubernetes.io/name: aws-ebs-csi-driver
subjects:
  - kind: ServiceAccount
    name: ebs-csi-controller-sa
    namespace: kube-system
roleRef:
  kind: ClusterRole
  name: ebs-external-attacher-role
  apiGroup: rbac.authorization.k8s.io
---
kind: ClusterRoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: ebs-csi-resizer-binding
  labels:
    app.kubernetes.io/name: aws-ebs-csi-driver
subjects:
  - kind: ServiceAccount
    name: ebs-csi-controller-sa
    namespace: kube-system
roleRef:
  kind: ClusterRole
  name: ebs-external-resizer-role
  apiGroup: rbac.authorization.k8s.io
---
kind: ClusterRoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: ebs-csi-node-getter-binding
  labels:
    app.kubernetes.io/name: aws-ebs-csi-driver
subjects:
  - kind: ServiceAccount
    name: ebs-csi-node-sa
    namespace: kube-system
roleRef:
  kind: ClusterRole
  name: ebs-csi-node-role
  apiGroup: rbac.authorization.k8s.io
---
kind: Role
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: ebs-csi-leases-role
  namespace: kube-system
  labels:
    app.kubernetes.io/name: aws-ebs-csi-driver
rules:
  - apiGroups: ["coordination.k8s.io"]
    resources: ["leases"]
    verbs: ["get", "watch", "list", "delete", "update", "create"]
---
kind: RoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: ebs-csi-leases-rolebinding
  namespace: kube-system
  labels:
    app.kubernetes.io/name: aws-ebs-csi-driver
subjects:
  - kind: ServiceAccount
    name: ebs-csi-controller-sa
    namespace: kube-system
roleRef:
  kind: Role
  name: ebs-csi-leases-role
  apiGroup: rbac.authorization.k8s.io
---
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata:
  name: ebs.csi.aws.com
  labels:
    app.kubernetes.io/name: aws-ebs-csi-driver
spec:
  attachRequired: true
  podInfoOnMount: false
  fsGroupPolicy: File
---
kind: Deployment
apiVersion: apps/v1
metadata:
  name: ebs-csi-controller
  namespace: kube-system
  labels:
    app.kubernetes.io/name: aws-ebs-csi-driver
spec:
  # One replica: on the host network two would need the same ports on one control plane; the sidecars elect a leader
  # anyway, and a lost control plane's replica is rescheduled on another.
  replicas: 1
  selector:
    matchLabels:
      app: ebs-csi-controller
      app.kubernetes.io/name: aws-ebs-csi-driver
  template:
    metadata:
      labels:
        app: ebs-csi-controller
        app.kubernetes.io/name: aws-ebs-csi-driver
    spec:
      # Control planes only: their instance role holds the EBS permissions (nodes have none, docs/aws.md).
      nodeSelector:
        kubernetes.io/os: linux
        node-role.kubernetes.io/control-plane: ""
      serviceAccountName: ebs-csi-controller-sa
      priorityClassName: system-cluster-critical
      # Host network: the instance role's credentials come from IMDS, which the launch templates' hop limit of 1
      # keeps out of pod networks.
      hostNetwork: true
      tolerations:
        - key: node-role.kubernetes.io/control-plane
          effect: NoSchedule
        - key: CriticalAddonsOnly
          operator: Exists
        - operator: Exists
          effect: NoExecute
          tolerationSeconds: 300
      securityContext:
        fsGroup: 1000
        runAsGroup: 1000
        runAsNonRoot: true
        runAsUser: 1000
      containers:
        - name: ebs-plugin
          image: "registry.k8s.io/provider-aws/aws-ebs-csi-driver:v1.46.0@sha256:4bfb4eba825f9a948dd420e8622d4d270c0f389a64c1559b6d0512d07fc2f0d9"
          imagePullPolicy: IfNotPresent
          args:
            - controller
            - --endpoint=$(CSI_ENDPOINT)
            - "--k8s-tag-cluster-id=demo.k8s.local"
            - --batching=true
            - --logging-format=text
            - --v=2
          env:
            - name: CSI_ENDPOINT
              value: unix:///var/lib/csi/sockets/pluginproxy/csi.sock
            - name: CSI_NODE_NAME
              valueFrom:
                fieldRef:
                  fieldPath: spec.nodeName
          volumeMounts:
            - name: socket-dir
              mountPath: /var/lib/csi/sockets/pluginproxy/
          ports:
            - name: healthz
              containerPort: 9808
              protocol: TCP
          livenessProbe:
            httpGet:
              path: /healthz
              port: healthz
            initialDelaySeconds: 10
            timeoutSeconds: 3
            periodSeconds: 10
            failureThreshold: 5
          readinessProbe:
            httpGet:
              path: /healthz
              port: healthz
            initialDelaySeconds: 10
            timeoutSeconds: 3
            periodSeconds: 10
            failureThreshold: 5
          resources:
            requests:
              cpu: 10m
              memory: 40Mi
            limits:
              memory: 256Mi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
        - name: csi-provisioner
          image: "registry.k8s.io/sig-storage/csi-provisioner:v5.3.0@sha256:bb057f866177d5f4139a1527e594499cbe0feeb67b63aaca8679dfdf0a6016f9"
          imagePullPolicy: IfNotPresent
          args:
            - --timeout=60s
            - --csi-address=$(ADDRESS)
            - --v=2
            - --feature-gates=Topology=true
            - --extra-create-metadata
            - --leader-election=true
            - --default-fstype=ext4
          env:
            - name: ADDRESS
              value: /var/lib/csi/sockets/pluginproxy/csi.sock
          volumeMounts:
            - name: socket-dir
              mountPath: /var/lib/csi/sockets/pluginproxy/
          resources:
            requests:
              cpu: 10m
              memory: 40Mi
            limits:
              memory: 256Mi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
        - name: csi-attacher
          image: "registry.k8s.io/sig-storage/csi-attacher:v4.9.0@sha256:5aaefc24f315b182233c8b6146077f8c32e274d864cb03c632206e78bd0302da"
          imagePullPolicy: IfNotPresent
          args:
            - --timeout=60s
            - --csi-address=$(ADDRESS)
            - --v=2
            - --leader-election=true
          env:
            - name: ADDRESS
              value: /var/lib/csi/sockets/pluginproxy/csi.sock
          volumeMounts:
            - name: socket-dir
              mountPath: /var/lib/csi/sockets/pluginproxy/
          resources:
            requests:
              cpu: 10m
              memory: 40Mi
            limits:
              memory: 256Mi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
        - name: csi-resizer
          image: "registry.k8s.io/sig-storage/csi-resizer:v1.14.0@sha256:5e7cbb63fd497fa913caa21fee1a69f727c220c6fa83c5f8bb0995e2ad73a474"
          imagePullPolicy: IfNotPresent
          args:
            - --timeout=60s
            - --csi-address=$(ADDRESS)
            - --v=2
            - --handle-volume-inuse-error=false
            - --leader-election=true
          env:
            - name: ADDRESS
              value: /var/lib/csi/sockets/pluginproxy/csi.sock
          volumeMounts:
            - name: socket-dir
              mountPath: /var/lib/csi/sockets/pluginproxy/
          resources:
            requests:
              cpu: 10m
              memory: 40Mi
            limits:
              memory: 256Mi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
        - name: liveness-probe
          image: "registry.k8s.io/sig-storage/livenessprobe:v2.16.0@sha256:88092d100909918ae0a768956cf78c88bc59cd7232720f7cdbdfb5d2e235001e"
          imagePullPolicy: IfNotPresent
          args:
            - --csi-address=/csi/csi.sock
          volumeMounts:
            - name: socket-dir
              mountPath: /csi
          resources:
            requests:
              cpu: 10m
              memory: 40Mi
            limits:
              memory: 256Mi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
      volumes:
        - name: socket-dir
          emptyDir: {}
---
kind: DaemonSet
apiVersion: apps/v1
metadata:
  name: ebs-csi-node
  namespace: kube-system
  labels:
    app.kubernetes.io/name: aws-ebs-csi-driver
spec:
  selector:
    matchLabels:
      app: ebs-csi-node
      app.kubernetes.io/name: aws-ebs-csi-driver
  updateStrategy:
    rollingUpdate:
      maxUnavailable: 10%
    type: RollingUpdate
  template:
    metadata:
      labels:
        app: ebs-csi-node
        app.kubernetes.io/name: aws-ebs-csi-driver
    spec:
      nodeSelector:
        kubernetes.io/os: linux
      serviceAccountName: ebs-csi-node-sa
      terminationGracePeriodSeconds: 30
      priorityClassName: system-node-critical
      tolerations:
        - operator: Exists
      securityContext:
        fsGroup: 0
        runAsGroup: 0
        runAsNonRoot: false
        runAsUser: 0
      containers:
        - name: ebs-plugin
          image: "registry.k8s.io/provider-aws/aws-ebs-csi-driver:v1.46.0@sha256:4bfb4eba825f9a948dd420e8622d4d270c0f389a64c1559b6d0512d07fc2f0d9"
          imagePullPolicy: IfNotPresent
          args:
            - node
            - --endpoint=$(CSI_ENDPOINT)
            - --csi-mount-point-prefix=/var/lib/kubelet/plugins/kubernetes.io/csi/ebs.csi.aws.com/
            - --logging-format=text
            - --v=2
          env:
            - name: CSI_ENDPOINT
              value: unix:/csi/csi.sock
            - name: CSI_NODE_NAME
              valueFrom:
                fieldRef:
                  fieldPath: spec.nodeName
          volumeMounts:
            - name: kubelet-dir
              mountPath: /var/lib/kubelet
              mountPropagation: "Bidirectional"
            - name: plugin-dir
              mountPath: /csi
            - name: device-dir
              mountPath: /dev
          ports:
            - name: healthz
              containerPort: 9808
              protocol: TCP
          livenessProbe:
            httpGet:
              path: /healthz
              port: healthz
            initialDelaySeconds: 10
            timeoutSeconds: 3
            periodSeconds: 10
            failureThreshold: 5
          resources:
            limits:
              memory: 256Mi
            requests:
              cpu: 10m
              memory: 40Mi
          securityContext:
            privileged: true
            readOnlyRootFilesystem: true
          lifecycle:
            preStop:
              exec:
                command: ["/bin/aws-ebs-csi-driver", "pre-stop-hook"]
        - name: node-driver-registrar
          image: "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.14.0@sha256:5244abbe87e01b35adeb8bb13882a74785df0c0619f8325c9e950395c3f72a97"
          imagePullPolicy: IfNotPresent
          args:
            - --csi-address=$(ADDRESS)
            - --kubelet-registration-path=$(DRIVER_REG_SOCK_PATH)
            - --v=2
          env:
            - name: ADDRESS
              value: /csi/csi.sock
            - name: DRIVER_REG_SOCK_PATH
              value: /var/lib/kubelet/plugins/ebs.csi.aws.com/csi.sock
          livenessProbe:
            exec:
              command:
                - /csi-node-driver-registrar
                - --kubelet-registration-path=$(DRIVER_REG_SOCK_PATH)
                - --mode=kubelet-registration-probe
            initialDelaySeconds: 30
            periodSeconds: 90
            timeoutSeconds: 15
          volumeMounts:
            - name: plugin-dir
              mountPath: /csi
            - name: registration-dir
              mountPath: /registration
            - name: probe-dir
              mountPath: /var/lib/kubelet/plugins/ebs.csi.aws.com/
          resources:
            limits:
              memory: 256Mi
            requests:
              cpu: 10m
              memory: 40Mi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
        - name: liveness-probe
          image: "registry.k8s.io/sig-storage/livenessprobe:v2.16.0@sha256:88092d100909918ae0a768956cf78c88bc59cd7232720f7cdbdfb5d2e235001e"
          imagePullPolicy: IfNotPresent
          args:
            - --csi-address=/csi/csi.sock
          volumeMounts:
            - name: plugin-dir
              mountPath: /csi
          resources:
            limits:
              memory: 256Mi
            requests:
              cpu: 10m
              memory: 40Mi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
      volumes:
        - name: kubelet-dir
          hostPath:
            path: /var/lib/kubelet
            type: Directory
        - name: plugin-dir
          hostPath:
            path: /var/lib/kubelet/plugins/ebs.csi.aws.com/
            type: DirectoryOrCreate
        - name: registration-dir
          hostPath:
            path: /var/lib/kubelet/plugins_registry/
            type: Directory
        - name: device-dir
          hostPath:
            path: /dev
            type: Directory
        - name: probe-dir
          emptyDir: {}
---
# The cluster's default StorageClass: encrypted gp3 (the account's default EBS key), created in the zone the pod
# lands in (WaitForFirstConsumer), so a volume and its pod always share a zone.
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: gp3
  labels:
    app.kubernetes.io/name: aws-ebs-csi-driver
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
allowVolumeExpansion: true
reclaimPolicy: Delete
parameters:
  type: gp3
  encrypted: "true"
  csi.storage.k8s.io/fstype: ext4
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
  retry 10 "kubectl apply of the addons" kubectl apply --server-side --force-conflicts --field-manager=k8sup -f "${ROOT}/etc/k8sup/addons/metrics-server.yaml" -f "${ROOT}/etc/k8sup/addons/aws-cloud-controller-manager.yaml" -f "${ROOT}/etc/k8sup/addons/aws-ebs-csi-driver.yaml"
  mark_done "addons-d6793e39743f48d1"
fi

rm -f "${FAILURES_FILE}"
STEP='done'
report 'done'
mark_done bootstrap-complete
log "bootstrap of ${CLUSTER_NAME} (${ROLE}, Kubernetes ${K8S_VERSION}) complete"
