#!/usr/bin/env bash
# k8sup-etcd-backup for demo.k8s.local: snapshots this control plane's etcd member with etcdctl and the etcd
# client certificate, checks the snapshot, and keeps it with its sha256 in a manifest (docs/backups.md).
# Uploads to <prefix>/<cluster>/backups/etcd/<id>/ in the state store with this instance's identity. Only the etcd
# leader uploads on the schedule, so an HA cluster keeps one series of backups; --force uploads from any member.
# Run by k8sup-etcd-backup.timer (schedule hourly), or by hand: k8sup-etcd-backup [--force]
set -euo pipefail

STATE_PREFIX='team-a/demo.k8s.local/'
STATE_REGION='us-east-2'
CLUSTER_NAME='demo.k8s.local'
RETAIN='24'
ROOT="${K8SUP_ROOT:-}"

log() { printf '[k8sup-etcd-backup] %s\n' "$*" >&2; }

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

# store_delete KEY: deletes <prefix>/<cluster>/KEY (the role may delete under backups/etcd/ only).
store_delete() {
  local path="${S3_BUCKET_PATH}/${STATE_PREFIX}$1" config
  config="$(s3_config DELETE "${path}" '' "${EMPTY_SHA256}" 0)" || return 1
  curl -fsS --retry 3 --connect-timeout 10 --config - -X DELETE -o /dev/null "https://${S3_HOST}${path}" <<<"${config}"
}

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

# The snapshot first, its manifest last: a backup without a manifest is incomplete, and never restored.
store_put_retry "backups/etcd/${BACKUP_ID}/snapshot.db" "${snapshot}"
store_put_retry "backups/etcd/${BACKUP_ID}/manifest.json" "${manifest}"
log "uploaded backup ${BACKUP_ID} (revision ${revision}, ${size} bytes, sha256 ${sha256})"
if [ -n "${COMMAND_ID}" ]; then
  printf 'backup=%s\n' "${BACKUP_ID}"
  exit 0
fi

# Retention: the index lists the backups this cluster's control planes uploaded, oldest first. Listing the bucket is
# not needed (GCS prefix conditions do not allow it); backups taken by the CLI are kept by the CLI's own retention.
index="$(mktemp)"
kept="$(mktemp)"
trap 'rm -f "${snapshot}" "${snapshot}.part" "${manifest}" "${index}" "${kept}"' EXIT
found=0
store_has backups/etcd/index || found=$?
case "${found}" in
  0) store_get backups/etcd/index "${index}" ;;
  1) : >"${index}" ;;
  *) log "cannot read the backup index: retention skipped this time"; printf 'backup=%s\n' "${BACKUP_ID}"; exit 0 ;;
esac
grep -E '^[0-9]{8}T[0-9]{6}Z$' "${index}" | grep -vxF "${BACKUP_ID}" >"${kept}" || true
printf '%s\n' "${BACKUP_ID}" >>"${kept}"
total="$(wc -l <"${kept}")"
: >"${index}"
if [ "${total}" -gt "${RETAIN}" ]; then
  while read -r old; do
    # The manifest goes first, so a half-deleted backup shows as incomplete, never as restorable.
    if store_delete "backups/etcd/${old}/manifest.json" && store_delete "backups/etcd/${old}/snapshot.db"; then
      log "deleted backup ${old} (retain ${RETAIN})"
    else
      log "could not delete backup ${old}: kept in the index for the next run"
      printf '%s\n' "${old}" >>"${index}"
    fi
  done < <(head -n "$((total - RETAIN))" "${kept}")
fi
tail -n "${RETAIN}" "${kept}" >>"${index}"
store_put backups/etcd/index "${index}"
printf 'backup=%s\n' "${BACKUP_ID}"
