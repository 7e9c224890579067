
# --- State store access with the instance's own identity: IMDSv2 session token -> instance role credentials ->
# SigV4-signed S3 requests. No static keys exist anywhere in this script. The script signs requests itself (bash and
# sha256sum: any curl works, where curl's own --aws-sigv4 needs 7.87 for a caller's payload hash), and the signed
# headers reach curl on stdin (--config -), never on its command line, so other processes cannot read them from /proc.
IMDS=http://169.254.169.254/latest
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
# The bucket in its own region (k8sup looked it up at create: spec.stateStore.region). Bucket names with dots use
# path-style addresses: no *.s3 wildcard certificate covers them.
S3_HOST={{s3Host}}
S3_BUCKET_PATH={{s3BucketPath}}

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
  local access="$1" secret="$2" token="$3" amz_date="$4" method="$5" path="$6" query="$7" payload="$8"{{#if storePut}} sse="$9"{{/if}}
  local scope canonical signed key signature part
  scope="${amz_date%%T*}/${STATE_REGION}/s3/aws4_request"
  signed='host;x-amz-content-sha256;x-amz-date;x-amz-security-token'
  canonical="$(printf '%s\n%s\n%s\nhost:%s\nx-amz-content-sha256:%s\nx-amz-date:%s\nx-amz-security-token:%s\n' \
    "${method}" "${path}" "${query}" "${S3_HOST}" "${payload}" "${amz_date}" "${token}")"
{{#if storePut}}
  if [ "${sse}" = 1 ]; then
    signed+=';x-amz-server-side-encryption'
    canonical+=$'\nx-amz-server-side-encryption:AES256'
  fi
{{/if}}
  canonical+=$'\n\n'"${signed}"$'\n'"${payload}"
  key="$(hmac_sha256 "$(text_hex "AWS4${secret}")" "${amz_date%%T*}")"
  for part in "${STATE_REGION}" s3 aws4_request; do key="$(hmac_sha256 "${key}" "${part}")"; done
  signature="$(hmac_sha256 "${key}" "$(printf 'AWS4-HMAC-SHA256\n%s\n%s\n%s' "${amz_date}" "${scope}" "$(printf '%s' "${canonical}" | sha256_hex)")")"
  printf 'header = "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"\n' "${access}" "${scope}" "${signed}" "${signature}"
  printf 'header = "x-amz-date: %s"\nheader = "x-amz-content-sha256: %s"\nheader = "x-amz-security-token: %s"\n' "${amz_date}" "${payload}" "${token}"
{{#if storePut}}
  if [ "${sse}" = 1 ]; then printf 'header = "x-amz-server-side-encryption: AES256"\n'; fi
{{/if}}
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

{{#if guardInit}}
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

{{/if}}
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
