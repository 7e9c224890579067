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
cacert=""
fail=0
prev=""
for arg in "$@"; do
  case "${prev}" in
    -o) out="${arg}" ;;
    --config) [ "${arg}" = "-" ] && config_from_stdin=1 || config_path="${arg}" ;;
    --upload-file) upload="${arg}" ;;
    --data-binary) upload="${arg#@}" ;;
    -w) write_out="${arg}" ;;
    --cacert) cacert="${arg}" ;;
  esac
  case "${arg}" in -f*) fail=1 ;; esac
  case "${arg}" in http://* | https://*) url="${arg}" ;; esac
  prev="${arg}"
done
# fail_next NAME: true (and counts down) while ${STUB_DIR}/fail/NAME holds a number above 0: the test's injected faults.
fail_next() {
  local f="${STUB_DIR}/fail/$1" n
  [ -f "${f}" ] || return 1
  n="$(cat "${f}")"
  [ "${n}" -gt 0 ] || return 1
  echo $((n - 1)) >"${f}"
  return 0
}
# installed NAME: the version of package NAME the stub apt-get installed last ('1.34.4-1.1' → 1.34.4), or nothing.
installed() { [ -f "${STUB_DIR}/installed/$1" ] && sed 's/-.*//' "${STUB_DIR}/installed/$1"; }
# cluster_version: the cluster's ClusterConfiguration version: ${STUB_DIR}/cluster-version (a test's older cluster, or
# what `kubeadm upgrade apply` moved it to), else the version of the script running.
cluster_version() {
  if [ -f "${STUB_DIR}/cluster-version" ]; then cat "${STUB_DIR}/cluster-version"; else echo "v$(sed -n 's/^K8S_VERSION=//p' "${STUB_SCRIPT}" | tr -d "'")"; fi
}
case "${name}" in
  curl)
    stdin_config=""
    if [ "${config_from_stdin}" = 1 ]; then stdin_config="$(cat)"; printf '%s\n' "${stdin_config}" >>"${STUB_DIR}/curl-stdin.log"; fi
    # The API server (kube-apiserver behind the load balancer): kube-system/kubeadm-config, which kubeadm lets a
    # bootstrap token read (Role kubeadm:nodes-kubeadm-config). Like the real one it wants TLS verified against the
    # cluster CA and the cluster's current bootstrap token (the state store's bootstrap/token), else 401.
    if [[ "${url}" == https://*/api/v1/namespaces/kube-system/configmaps/kubeadm-config ]]; then
      want="$(sed -n 's/^token=//p' "${STUB_DIR}/store/bootstrap/token" 2>/dev/null)"
      # A token past its expiry is gone from the cluster (kubeadm's token cleaner deletes its Secret).
      expires="$(sed -n 's/^expires=//p' "${STUB_DIR}/store/bootstrap/token" 2>/dev/null)"
      if [ -n "${expires}" ] && [ "$(date -u -d "${expires}" +%s)" -lt "$(date -u +%s)" ]; then want=""; fi
      if [ ! -s "${cacert}" ] || [ -z "${want}" ] || [[ "${stdin_config}" != *"header = \"Authorization: Bearer ${want}\""* ]]; then
        echo "curl: (22) The requested URL returned error: 401" >&2
        exit 22
      fi
      printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kubeadm-config","namespace":"kube-system"},"data":{"ClusterConfiguration":"apiVersion: kubeadm.k8s.io/v1beta4\\nkind: ClusterConfiguration\\nkubernetesVersion: %s\\n"}}\n' "$(cluster_version)"
      exit 0
    fi
    # The state store's bootstrap/* and nodes/status/* objects live in ${STUB_DIR}/store/ (tests seed and read them
    # there): S3 (path, or ListObjectsV2 ?prefix=) and GCS (o/<name>, or upload ?name=) addresses map to the same key.
    decoded="${url//%2F//}"
    if [[ "${decoded}" =~ (amazonaws\.com|googleapis\.com)/.*/((bootstrap|pki|nodes/status)/[A-Za-z0-9._/-]+) ]]; then
      key="${BASH_REMATCH[2]%%\?*}"
      if fail_next "store-${key//\//_}"; then
        echo "curl: (22) The requested URL returned error: 403" >&2
        exit 22
      fi
    fi
    if [ -f "${STUB_DIR}/store-down" ] && [[ "${decoded}" =~ (amazonaws\.com|googleapis\.com)/.*bootstrap/ ]]; then
      echo "curl: (22) The requested URL returned error: 503" >&2
      exit 22
    fi
    case "${decoded}" in
      *\?*name=*) store_path="${decoded##*name=}" ;;
      *\?*prefix=*) store_path="${decoded##*prefix=}" ;;
      *) store_path="${decoded%%\?*}" ;;
    esac
    if [[ "${store_path}" =~ (bootstrap|nodes/status)/([A-Za-z0-9_-]+/)?[A-Za-z0-9._-]+$ ]]; then
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
      # ${STUB_DIR}/local-hostname: what IMDS answers instead (a DHCP options set with several domain names).
      */meta-data/local-hostname) body="$(cat "${STUB_DIR}/local-hostname" 2>/dev/null || echo ip-10-0-0-5.us-east-2.compute.internal)" ;;
      */meta-data/instance-id) body="i-0123456789abcdef0" ;;
      */meta-data/placement/region) body="us-east-2" ;;
      */service-accounts/default/token) body='{"access_token":"ya29.FAKEtokenFROMmetadata","expires_in":3599,"token_type":"Bearer"}' ;;
      */computeMetadata/v1/instance/name) body="node-gce-1" ;;
      *Release.key) body="-----BEGIN PGP PUBLIC KEY BLOCK----- stub" ;;
      # Enough of flannel's manifest for the script to set the pod CIDR in it.
      *kube-flannel.yml) body='net-conf.json: { "Network": "10.244.0.0/16" }' ;;
      *calico.yaml) body=$'            # - name: CALICO_IPV4POOL_CIDR\n            #   value: "192.168.0.0/16"' ;;
      *) [ -n "${out}" ] && body="stub download of ${url}" ;;
    esac
    if [ -n "${out}" ] && [ "${out}" != /dev/null ]; then printf '%s\n' "${body}" >"${out}"; elif [ -n "${body}" ]; then printf '%s\n' "${body}"; fi
    ;;
  apt-get)
    # apt-daily's update at first boot holds the lists lock, which DPkg::Lock::Timeout does not cover (fault apt-get-update).
    if [ "$3" = update ] && fail_next apt-get-update; then
      echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 1234 (apt-get)" >&2
      echo "E: Unable to lock directory /var/lib/apt/lists/" >&2
      exit 100
    fi
    # unattended-upgrades at first boot: ${STUB_DIR}/dpkg-lock-held holds the seconds it keeps the dpkg lock. apt-get
    # fails at once without -o DPkg::Lock::Timeout, and after the timeout when that is shorter than the hold.
    if [ -f "${STUB_DIR}/dpkg-lock-held" ]; then
      held="$(cat "${STUB_DIR}/dpkg-lock-held")" timeout=0
      for arg in "$@"; do case "${arg}" in DPkg::Lock::Timeout=*) timeout="${arg#*=}" ;; esac; done
      if [ "${timeout}" -lt "${held}" ]; then
        echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1234 (unattended-upgr)" >&2
        exit 100
      fi
    fi
    # What dpkg would hold afterwards: the versions of kubelet, kubeadm and kubectl installed.
    if [ "${1:-}" = install ] || [[ " $* " == *" install "* ]]; then
      for arg in "$@"; do
        case "${arg}" in kubelet=* | kubeadm=* | kubectl=*) mkdir -p "${STUB_DIR}/installed"; printf '%s\n' "${arg#*=}" >"${STUB_DIR}/installed/${arg%%=*}" ;; esac
      done
    fi
    ;;
  sysctl)
    # A key that cannot be set yet (fault sysctl-system), as before br_netfilter is loaded.
    if [ "$1" = --system ] && fail_next sysctl-system; then echo "sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory" >&2; exit 1; fi
    ;;
  timedatectl)
    # An NTP service is active; the clock is synchronised unless the fault clock-unsynchronised says not yet.
    case "$*" in
      "show -p NTP --value") echo yes ;;
      "show -p NTPSynchronized --value") if fail_next clock-unsynchronised; then echo no; else echo yes; fi ;;
    esac
    ;;
  systemctl)
    # A unit that does not come up (fault systemctl-restart-<unit>), as after a kill or a bad configuration.
    if [ "$1" = restart ] && fail_next "systemctl-restart-$2"; then echo "Job for $2.service failed because the control process exited with error code." >&2; exit 1; fi
    if [ "$1" = enable ] && fail_next "systemctl-enable-${!#}"; then echo "Failed to enable unit: Transaction for ${!#} is destructive" >&2; exit 1; fi
    ;;
  kubectl)
    # A load balancer that accepts the connection and never answers (fault kubectl-readyz-hang): kubectl waits for
    # as long as the connection lives (here 6 s, so a test fails on the delay, not a left-over process) unless
    # --request-timeout bounds it, then fails as it does.
    if [ "$1 $2" = "get --raw=/readyz" ] && fail_next kubectl-readyz-hang; then
      case " $* " in
        *" --request-timeout="*) echo "Error from server (Timeout): the server was unable to return a response in the time allotted" >&2 ;;
        *) /bin/sleep 6 ;;
      esac
      exit 1
    fi
    if [ "$1" = apply ] && fail_next kubectl-apply; then echo "error: the server is currently unable to handle the request" >&2; exit 1; fi
    # The cluster's ClusterConfiguration (kube-system/kubeadm-config): the version in ${STUB_DIR}/cluster-version
    # (a test's older cluster, or what `kubeadm upgrade apply` moved it to), else the version of the script running.
    if [[ " $* " == *" get configmap kubeadm-config "* ]]; then
      printf 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: %s\n' "$(cluster_version)"
      exit 0
    fi
    ;;
  cilium)
    if [ "$1" = install ] && [ -f "${STUB_DIR}/cilium-installed" ]; then echo "Error: Unable to install Cilium: cannot re-use a name that is still in use" >&2; exit 1; fi
    if [ "$1" = upgrade ] && fail_next cilium-upgrade; then echo "Error: Unable to upgrade Cilium: the server is currently unable to handle the request" >&2; exit 1; fi
    if [ "$1" = install ] && fail_next cilium-install; then : >"${STUB_DIR}/cilium-installed"; echo "Error: Unable to install Cilium: timed out" >&2; exit 1; fi
    ;;
  kubeadm)
    # systemd stopping the unit mid-step (TimeoutStartSec, `systemctl stop`; fault kubeadm-<verb>-killed): SIGTERM to
    # every process of the unit, the script included.
    if fail_next "kubeadm-$1-killed"; then kill -TERM "${PPID}"; exit 143; fi
    # A failing init/join writes kubelet.conf first, as kubeadm does (init's kubeconfig phase, join before etcd).
    case "$1" in
      init | join)
        if fail_next "kubeadm-$1"; then
          mkdir -p "${K8SUP_ROOT}/etc/kubernetes"; : >"${K8SUP_ROOT}/etc/kubernetes/kubelet.conf"
          echo "error execution phase wait-control-plane: couldn't initialize a Kubernetes cluster" >&2
          exit 1
        fi ;;
      upgrade)
        # kubeadm refuses a target newer than itself ("Upgrade kubeadm first").
        if [ "$2" = plan ] || [ "$2" = apply ]; then
          have="$(installed kubeadm)"
          if [ -n "${have}" ] && [ "$(printf '%s\n%s\n' "${have}" "${3#v}" | sort -V | tail -n 1)" != "${have}" ]; then
            echo "[upgrade/version] FATAL: Specified version to upgrade to \"$3\" is higher than the kubeadm version \"v${have}\". Upgrade kubeadm first using the tool you used to install kubeadm" >&2
            exit 1
          fi
        fi
        # The machine stops (kill -9 of the bootstrap) right before `kubeadm upgrade plan`.
        if [ "$2" = plan ] && fail_next kill-before-upgrade-plan; then kill -9 "${PPID}"; exit 137; fi
        if [ "$2" = apply ]; then
          if fail_next kubeadm-upgrade-apply; then echo "[upgrade/apply] FATAL: couldn't upgrade control plane" >&2; exit 1; fi
          echo "$3" >"${STUB_DIR}/cluster-version"
        fi ;;
      reset)
        # kubeadm reset -f empties what kubeadm wrote, the PKI folder included.
        rm -rf "${K8SUP_ROOT}/etc/kubernetes/kubelet.conf" "${K8SUP_ROOT}/etc/kubernetes/admin.conf" \
          "${K8SUP_ROOT}/etc/kubernetes/pki" "${K8SUP_ROOT}/etc/kubernetes/manifests"
        ;;
    esac
    # The kubeadm that ran the join (what the skew rule is about).
    if [ "$1" = join ]; then installed kubeadm >"${STUB_DIR}/kubeadm-at-join" || true; fi
    if [ "$1" = join ] && [ -f "${K8SUP_ROOT}/etc/k8sup/bootstrap-token" ]; then stat -c '%a' "${K8SUP_ROOT}/etc/k8sup/bootstrap-token" >"${STUB_DIR}/token-mode-at-join"; fi
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
  sleep)
    # The world changing while the script waits (a control plane refreshing the token, the CLI moving an upgrade on):
    # ${STUB_DIR}/later/<n>/ holds store objects that land in the store during the script's n-th sleep from now.
    if [ -d "${STUB_DIR}/later" ]; then
      count=$(($(cat "${STUB_DIR}/sleeps" 2>/dev/null || echo 0) + 1))
      echo "${count}" >"${STUB_DIR}/sleeps"
      if [ -d "${STUB_DIR}/later/${count}" ]; then cp -R "${STUB_DIR}/later/${count}/." "${STUB_DIR}/store/"; fi
    fi
    ;;
  ip)
    # `ip -o route get <address>`: the route to the API VIP leaves through eth1.
    [ "$1 $2 $3" = "-o route get" ] && printf '%s dev eth1 src 10.0.0.11 uid 0 \\    cache \n' "$4" ;;
  gpg) cat >/dev/null; [ -n "${out}" ] && printf 'stub keyring\n' >"${out}" ;;
esac
exit 0
