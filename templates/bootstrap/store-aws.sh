
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

{{#if guardInit}}
# store_has KEY: 0 when <prefix>/<cluster>/KEY exists, 1 when it does not, 2 when the store cannot tell. It lists the
# key (ListObjectsV2, allowed on this cluster's prefix only) rather than GETting it: without list rights S3 answers a
# missing key with 403, the same as a denied one.
store_has() {
  local config listing key="${STATE_PREFIX}$1"
  config="$(aws_curl_credentials)" || return 2
  listing="$(curl -fsS --retry 3 --connect-timeout 10 --config - --aws-sigv4 "aws:amz:${STATE_REGION}:s3" \
    -H "x-amz-content-sha256: ${EMPTY_SHA256}" \
    "https://${STATE_BUCKET}.s3.${STATE_REGION}.amazonaws.com/?list-type=2&prefix=${key//\//%2F}" <<<"${config}")" || return 2
  case "${listing}" in
    *"<Key>${key}</Key>"*) return 0 ;;
    *"<ListBucketResult"*) return 1 ;;
    *) log "unexpected answer from the state store when listing $1"; return 2 ;;
  esac
}

{{/if}}
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
