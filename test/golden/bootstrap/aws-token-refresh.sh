#!/usr/bin/env bash
# k8sup-token-refresh for demo.k8s.local: creates a bootstrap token valid 24h and publishes it to the state store
# as <prefix>/<cluster>/bootstrap/token, where joining nodes read it with their own instance identity.
# Run every 12h by k8sup-token-refresh.timer, so a published token always has at least 12h left.
set -euo pipefail

STATE_BUCKET='k8sup-state'
STATE_PREFIX='team-a/demo.k8s.local/'
STATE_REGION='us-east-2'
ROOT="${K8SUP_ROOT:-}"

log() { printf '[k8sup-token-refresh] %s\n' "$*" >&2; }

# --- State store access with the instance's own identity: IMDSv2 session token -> instance role credentials ->
# SigV4-signed S3 requests (curl --aws-sigv4). No static keys exist anywhere in this script. The credentials reach
# curl on stdin (--config -), never on its command line, so other processes cannot read them from /proc.
IMDS=http://169.254.169.254/latest
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

imds_get() {
  local token
  token="$(curl -fsS --retry 5 --connect-timeout 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "${IMDS}/api/token")" || return 1
  curl -fsS --retry 5 --connect-timeout 5 -H "X-aws-ec2-metadata-token: ${token}" "${IMDS}/$1"
}

json_field() { sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" | head -n 1; }

# Prints a curl config (user = access key:secret key, session token header) for the instance role's credentials.
aws_curl_credentials() {
  local role creds
  role="$(imds_get meta-data/iam/security-credentials/ | head -n 1)" || return 1
  [ -n "${role}" ] || { log "this instance has no IAM role"; return 1; }
  creds="$(imds_get "meta-data/iam/security-credentials/${role}")" || return 1
  printf 'user = "%s:%s"\nheader = "x-amz-security-token: %s"\n' \
    "$(json_field AccessKeyId <<<"${creds}")" "$(json_field SecretAccessKey <<<"${creds}")" "$(json_field Token <<<"${creds}")"
}

s3_url() { printf 'https://%s.s3.%s.amazonaws.com/%s%s' "${STATE_BUCKET}" "${STATE_REGION}" "${STATE_PREFIX}" "$1"; }

# store_get KEY DEST: downloads <prefix>/<cluster>/KEY from the state bucket.
store_get() {
  local key="$1" dest="$2" config
  config="$(aws_curl_credentials)" || return 1
  mkdir -p "$(dirname "${dest}")"
  curl -fsS --retry 3 --connect-timeout 10 --config - --aws-sigv4 "aws:amz:${STATE_REGION}:s3" \
    -H "x-amz-content-sha256: ${EMPTY_SHA256}" -o "${dest}.part" "$(s3_url "${key}")" <<<"${config}" || return 1
  mv -f "${dest}.part" "${dest}"
}

# store_put KEY FILE: uploads FILE to <prefix>/<cluster>/KEY, encrypted at rest like every k8sup object.
store_put() {
  local key="$1" file="$2" config sum
  config="$(aws_curl_credentials)" || return 1
  sum="$(sha256sum "${file}" | cut -d ' ' -f 1)"
  curl -fsS --retry 3 --connect-timeout 10 --config - --aws-sigv4 "aws:amz:${STATE_REGION}:s3" \
    -X PUT --upload-file "${file}" -H "x-amz-content-sha256: ${sum}" -H 'x-amz-server-side-encryption: AES256' \
    -o /dev/null "$(s3_url "${key}")" <<<"${config}"
}

# The node name the AWS cloud expects: the instance's private DNS name.
instance_node_name() { imds_get meta-data/local-hostname; }

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
