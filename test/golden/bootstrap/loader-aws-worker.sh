#!/bin/bash
# k8sup loader, worker: docs/bootstrap.md
set -euo pipefail
STATE_PREFIX='team-a/prod.platform.example.com/'
STATE_REGION='us-east-2'
BUNDLE_SHA256='335ccc9aa1dc2e933e43d5cbc4e4521d9421f70c32096ac8e2f492a23d30677c'
log() { echo "[k8sup] $*" >&2; }
IMDS=http://169.254.169.254/latest
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
S3_HOST='k8sup-state.s3.us-east-2.amazonaws.com'
S3_BUCKET_PATH=''
imds_get() {
local token
token="$(curl -fsS --retry 5 --connect-timeout 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "${IMDS}/api/token")" || return 1
curl -fsS --retry 5 --connect-timeout 5 -H "X-aws-ec2-metadata-token: ${token}" "${IMDS}/$1"
}
json_field() { sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" | head -n 1; }
sha256_hex() { sha256sum | cut -d ' ' -f 1; }
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
sigv4_config() {
local access="$1" secret="$2" token="$3" amz_date="$4" method="$5" path="$6" query="$7" payload="$8"
local scope canonical signed key signature part
scope="${amz_date%%T*}/${STATE_REGION}/s3/aws4_request"
signed='host;x-amz-content-sha256;x-amz-date;x-amz-security-token'
canonical="$(printf '%s\n%s\n%s\nhost:%s\nx-amz-content-sha256:%s\nx-amz-date:%s\nx-amz-security-token:%s\n' \
"${method}" "${path}" "${query}" "${S3_HOST}" "${payload}" "${amz_date}" "${token}")"
canonical+=$'\n\n'"${signed}"$'\n'"${payload}"
key="$(hmac_sha256 "$(text_hex "AWS4${secret}")" "${amz_date%%T*}")"
for part in "${STATE_REGION}" s3 aws4_request; do key="$(hmac_sha256 "${key}" "${part}")"; done
signature="$(hmac_sha256 "${key}" "$(printf 'AWS4-HMAC-SHA256\n%s\n%s\n%s' "${amz_date}" "${scope}" "$(printf '%s' "${canonical}" | sha256_hex)")")"
printf 'header = "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"\n' "${access}" "${scope}" "${signed}" "${signature}"
printf 'header = "x-amz-date: %s"\nheader = "x-amz-content-sha256: %s"\nheader = "x-amz-security-token: %s"\n' "${amz_date}" "${payload}" "${token}"
}
s3_config() {
local role creds
role="$(imds_get meta-data/iam/security-credentials/ | head -n 1)" || return 1
[ -n "${role}" ] || { log "this instance has no IAM role"; return 1; }
creds="$(imds_get "meta-data/iam/security-credentials/${role}")" || return 1
sigv4_config "$(json_field AccessKeyId <<<"${creds}")" "$(json_field SecretAccessKey <<<"${creds}")" "$(json_field Token <<<"${creds}")" \
"$(date -u +%Y%m%dT%H%M%SZ)" "$@"
}
store_get() {
local path="${S3_BUCKET_PATH}/${STATE_PREFIX}$1" dest="$2" config
config="$(s3_config GET "${path}" '' "${EMPTY_SHA256}" 0)" || return 1
mkdir -p "$(dirname "${dest}")"
(umask 077 && curl -fsS --retry 3 --connect-timeout 10 --config - -o "${dest}.part" "https://${S3_HOST}${path}" <<<"${config}") || return 1
mv -f "${dest}.part" "${dest}"
}
install -d -m 0700 /var/lib/k8sup
b=/var/lib/k8sup/bundle.sh
k='bootstrap/bundles/'"${BUNDLE_SHA256}.sh"
n=0
until store_get "${k}" "${b}"; do
((++n < 60)) || { log "cannot fetch ${k}"; exit 1; }
sleep 10
done
[ "$(sha256sum <"${b}" | cut -d ' ' -f 1)" = "${BUNDLE_SHA256}" ] || { rm -f "${b}"; log "${k}: wrong sha256, not run"; exit 1; }
K8SUP_LB='k8sup-a-rather-long-cluster-name-0123456789abcdef.elb.ap-southeast-2.amazonaws.com' K8SUP_ILB='internal-k8sup-a-rather-long-cluster-na-0123456789abcdef.elb.ap-southeast-2.amazonaws.com' exec bash "${b}"
