#!/usr/bin/env bash
# k8sup test stub: logs its argv, fakes the little the bootstrap script needs.
set -u
name="$(basename "$0")"
printf '%s\n' "${name} $*" >>"${STUB_LOG}"
out=""
url=""
config_from_stdin=0
config_path=""
upload=""
write_out=""
fail=0
prev=""
for arg in "$@"; do
  case "${prev}" in
    -o) out="${arg}" ;;
    --config) [ "${arg}" = "-" ] && config_from_stdin=1 || config_path="${arg}" ;;
    --upload-file) upload="${arg}" ;;
    --data-binary) upload="${arg#@}" ;;
    -w) write_out="${arg}" ;;
  esac
  case "${arg}" in -f*) fail=1 ;; esac
  case "${arg}" in http://* | https://*) url="${arg}" ;; esac
  prev="${arg}"
done
case "${name}" in
  curl)
    if [ "${config_from_stdin}" = 1 ]; then cat >>"${STUB_DIR}/curl-stdin.log"; fi
    # The state store's bootstrap/* objects live in ${STUB_DIR}/store/bootstrap/ (tests seed and read them there):
    # S3 (path, or ListObjectsV2 ?prefix=) and GCS (o/<name>, or upload ?name=) addresses map to the same key.
    decoded="${url//%2F//}"
    if [ -f "${STUB_DIR}/store-down" ] && [[ "${decoded}" =~ (amazonaws\.com|googleapis\.com)/.*bootstrap/ ]]; then
      echo "curl: (22) The requested URL returned error: 503" >&2
      exit 22
    fi
    case "${decoded}" in
      *\?*name=*) store_path="${decoded##*name=}" ;;
      *\?*prefix=*) store_path="${decoded##*prefix=}" ;;
      *) store_path="${decoded%%\?*}" ;;
    esac
    if [[ "${store_path}" =~ bootstrap/[A-Za-z0-9._-]+$ ]]; then
      object="${STUB_DIR}/store/${BASH_REMATCH[0]}"
      case " $* " in
        *" -X PUT "* | *" -X POST "*) mkdir -p "$(dirname "${object}")"; cp "${upload}" "${object}"; exit 0 ;;
      esac
      case "${decoded}" in
        *list-type=2*)
          if [ -f "${object}" ]; then printf '<ListBucketResult><KeyCount>1</KeyCount><Contents><Key>%s</Key></Contents></ListBucketResult>\n' "${store_path}"
          else printf '<ListBucketResult><KeyCount>0</KeyCount></ListBucketResult>\n'; fi
          exit 0 ;;
      esac
      if [ -n "${write_out}" ]; then
        if [ -f "${object}" ]; then printf '200'; else printf '404'; fi
        exit 0
      fi
      if [ ! -f "${object}" ]; then
        [ "${fail}" = 1 ] && exit 22
        exit 0
      fi
      if [ -n "${out}" ] && [ "${out}" != /dev/null ]; then cp "${object}" "${out}"; else cat "${object}"; fi
      exit 0
    fi
    body=""
    case "${url}" in
      */latest/api/token) body="imds-session-token" ;;
      */iam/security-credentials/) body="k8sup-node-role" ;;
      */iam/security-credentials/*) body='{
  "Code" : "Success",
  "AccessKeyId" : "ASIAFAKEFAKEFAKEFAKE",
  "SecretAccessKey" : "FAKEsecretFROMimdsDoNotLeak",
  "Token" : "FAKEsessionTOKEN",
  "Expiration" : "2030-01-01T00:00:00Z"
}' ;;
      */meta-data/local-hostname) body="ip-10-0-0-5.us-east-2.compute.internal" ;;
      */service-accounts/default/token) body='{"access_token":"ya29.FAKEtokenFROMmetadata","expires_in":3599,"token_type":"Bearer"}' ;;
      */computeMetadata/v1/instance/name) body="node-gce-1" ;;
      *Release.key) body="-----BEGIN PGP PUBLIC KEY BLOCK----- stub" ;;
      *) [ -n "${out}" ] && body="stub download of ${url}" ;;
    esac
    if [ -n "${out}" ] && [ "${out}" != /dev/null ]; then printf '%s\n' "${body}" >"${out}"; elif [ -n "${body}" ]; then printf '%s\n' "${body}"; fi
    ;;
  kubeadm)
    # What the kubelet would find in the manifests folder when kubeadm starts it (kube-vip must be there first).
    case "$1" in init | join) mkdir -p "${STUB_DIR}/manifests-at-$1"; cp -R "${K8SUP_ROOT}/etc/kubernetes/manifests/." "${STUB_DIR}/manifests-at-$1/" 2>/dev/null ;; esac
    case "$1" in
      init) mkdir -p "${K8SUP_ROOT}/etc/kubernetes"; : >"${K8SUP_ROOT}/etc/kubernetes/admin.conf"; : >"${K8SUP_ROOT}/etc/kubernetes/kubelet.conf" ;;
      join)
        mkdir -p "${K8SUP_ROOT}/etc/kubernetes"; : >"${K8SUP_ROOT}/etc/kubernetes/kubelet.conf"
        if grep -q '^controlPlane' "${config_path}"; then : >"${K8SUP_ROOT}/etc/kubernetes/admin.conf"; fi ;;
      token) printf '%s\n' "abcdef.0123456789abcdef" ;;
    esac
    ;;
  sha256sum)
    case " $* " in
      *" -c "*) cat >/dev/null ;;
      *) printf '%s  %s\n' "0000000000000000000000000000000000000000000000000000000000000000" "${!#}" ;;
    esac
    ;;
  ip)
    # `ip -o route get <address>`: the route to the API VIP leaves through eth1.
    [ "$1 $2 $3" = "-o route get" ] && printf '%s dev eth1 src 10.0.0.11 uid 0 \\    cache \n' "$4" ;;
  gpg) cat >/dev/null; [ -n "${out}" ] && printf 'stub keyring\n' >"${out}" ;;
esac
exit 0
