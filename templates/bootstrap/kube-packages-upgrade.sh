
# --- Which packages this control plane joins with (docs/upgrades.md, "Clouds"). kubeadm's rule: the kubeadm binary
# a node joins with must match the version the cluster was created (`kubeadm init`) or last upgraded (`kubeadm
# upgrade`) with; and a kubelet must not be newer than kube-apiserver. A control plane that joins reads the cluster's
# version with the bootstrap token of the join: kubeadm lets the token's group
# (system:bootstrappers:kubeadm:default-node-token) get kube-system/kubeadm-config (Role kubeadm:nodes-kubeadm-config),
# which is how kubeadm's own join reads it too.
{{#if joinOlder}}
# `k8sup upgrade cluster` rendered this bundle for an upgrade from {{{fromVersion}}}: a control plane that finds the
# cluster's ClusterConfiguration still at the old version installs the old kubelet, kubeadm and kubectl (kube-packages
# below), joins with them, and kubeadm-upgrade then upgrades the cluster and this node to the new version. The version
# is read before anything is installed.
K8S_FROM_VERSION={{fromVersion}}
# Empty when the old version has no pins in this k8sup (not a supported version): the node then refuses below.
K8S_FROM_PACKAGE_VERSION={{fromPackageVersion}}
K8S_FROM_APT_URL={{fromAptUrl}}
# What kubeadm-upgrade installs after the join; kube-packages below installs K8S_PACKAGE_VERSION, the join's version.
K8S_TARGET_PACKAGE_VERSION="${K8S_PACKAGE_VERSION}"
K8S_TARGET_APT_URL="${K8S_APT_URL}"
# The version this node joined with, kept for the runs after the join (a reboot between join and upgrade).
JOIN_VERSION_FILE="${ROOT}/var/lib/k8sup/join-version"
{{else}}
# This bundle was not rendered for an upgrade: it carries the packages of its own version only, so it joins a cluster
# at that version only (refuse_other_cluster_version, which kubeadm below calls right before it joins).
{{/if}}
API_ENDPOINT={{controlPlaneEndpoint}}

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
{{#if joinOlder}}
{{#if init}}

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
{{#if refuseReinit}}

# upgrade_names_this_version: the store's bootstrap/upgrade names this bundle's version (kubeadm below checks the same
# before a lone first control plane joins beside the running one).
upgrade_names_this_version() {
  local file
  store_says bootstrap/upgrade || return 1
  file="$(mktemp)"
  store_get bootstrap/upgrade "${file}" || { rm -f "${file}"; die "cannot read bootstrap/upgrade from the state store"; }
  if grep -qx "to=${K8S_VERSION}" "${file}"; then rm -f "${file}"; return 0; fi
  rm -f "${file}"
  return 1
}
{{/if}}
{{/if}}

if is_done kubeadm-succeeded && [ -s "${JOIN_VERSION_FILE}" ]; then
  JOIN_VERSION="$(cat "${JOIN_VERSION_FILE}")"
  log "this control plane joined the cluster with Kubernetes ${JOIN_VERSION} packages"
else
  JOIN_VERSION="${K8S_VERSION}"
{{#if init}}
  # The first control plane's script joins only a cluster that exists (kubeadm below decides the same way);
  # otherwise it runs kubeadm init with this version.
  joins=0
  if [ ! -f "${ROOT}/etc/k8sup/force-init" ] && store_says bootstrap/token{{#if refuseReinit}} && upgrade_names_this_version{{/if}}; then joins=1; fi
{{else}}
  joins=1
{{/if}}
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
{{else}}

# refuse_other_cluster_version: stops this control plane before it joins a cluster of another version.
refuse_other_cluster_version() {
  cluster_version_for_join
  if [ "${CLUSTER_VERSION}" != "v${K8S_VERSION}" ]; then
    log "ERROR: the cluster runs ${CLUSTER_VERSION} and this control plane's bundle is of v${K8S_VERSION}, not rendered for an"
    log "ERROR: upgrade: joining with kubeadm ${K8S_VERSION} would break kubeadm's skew rule, so this control plane stops here."
    log "ERROR: A cluster moves to another version with \`k8sup upgrade cluster\` (docs/upgrades.md, \"Failure modes and recovery (AWS, GCE)\")."
    die "the cluster runs ${CLUSTER_VERSION}: this control plane joins a cluster at v${K8S_VERSION} only; not joining"
  fi
  log "the cluster runs ${CLUSTER_VERSION}: joining with kubeadm ${K8S_VERSION}"
}
{{/if}}
