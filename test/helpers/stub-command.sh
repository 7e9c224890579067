#!/usr/bin/env bash
# k8sup test stub: logs its argv, fakes the little the bootstrap script needs.
set -u
name="$(basename "$0")"
printf '%s\n' "${name} $*" >>"${STUB_LOG}"
out=""
url=""
config_from_stdin=0
config_path=""
prev=""
for arg in "$@"; do
  case "${prev}" in
    -o) out="${arg}" ;;
    --config) [ "${arg}" = "-" ] && config_from_stdin=1 || config_path="${arg}" ;;
  esac
  case "${arg}" in http://* | https://*) url="${arg}" ;; esac
  prev="${arg}"
done
case "${name}" in
  curl)
    if [ "${config_from_stdin}" = 1 ]; then cat >>"${STUB_DIR}/curl-stdin.log"; fi
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
      *bootstrap/token* | *bootstrap%2Ftoken*)
        case " $* " in *" -X PUT "* | *" -X POST "*) body="" ;; *) body="token=abcdef.0123456789abcdef
expires=2030-01-01T00:00:00Z" ;; esac ;;
      *Release.key) body="-----BEGIN PGP PUBLIC KEY BLOCK----- stub" ;;
      *) [ -n "${out}" ] && body="stub download of ${url}" ;;
    esac
    if [ -n "${out}" ] && [ "${out}" != /dev/null ]; then printf '%s\n' "${body}" >"${out}"; elif [ -n "${body}" ]; then printf '%s\n' "${body}"; fi
    ;;
  kubeadm)
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
  gpg) cat >/dev/null; [ -n "${out}" ] && printf 'stub keyring\n' >"${out}" ;;
esac
exit 0
