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

STATE_PREFIX='team-a/demo.k8s.local/'
STATE_REGION='us-east-2'
# How many control planes (etcd members) the cluster spec has: restore commands are for one only.
CONTROL_PLANES='3'
ROOT="${K8SUP_ROOT:-}"

log() { printf '[k8sup-etcd-control] %s\n' "$*" >&2; }

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

# store_create KEY FILE: uploads FILE to <prefix>/<cluster>/KEY only if no object has that key (an S3 conditional
# write, If-None-Match: *). 0: created; 1: the key exists (another writer was first); 2: the store cannot tell — a
# reply lost after S3 applied the write looks like this, so the caller reads the key back.
store_create() {
  local path="${S3_BUCKET_PATH}/${STATE_PREFIX}$1" file="$2" config code
  config="$(s3_config PUT "${path}" '' "$(sha256_hex <"${file}")" 1)" || return 2
  config+=$'\nheader = "If-None-Match: *"'
  code="$(curl -sS --connect-timeout 10 --config - -X PUT --upload-file "${file}" -o /dev/null -w '%{http_code}' \
    "https://${S3_HOST}${path}" <<<"${config}")" || return 2
  case "${code}" in
    200) return 0 ;;
    412) return 1 ;;
    *) log "the state store answered HTTP ${code} creating $1"; return 2 ;;
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
