
# --- the pod network, {{{cniName}}} {{{cniVersion}}}, from a pinned, checksum-verified download.
export KUBECONFIG="${ROOT}/etc/kubernetes/admin.conf"
if is_done "cni-${CNI_NAME}-${CNI_VERSION}"; then
  log "${CNI_NAME} ${CNI_VERSION} already installed"
{{#if rejoin}}
elif is_done joined-existing-cluster; then
  # A replaced first control plane that joined the running cluster: its pod network is there (and may have been
  # upgraded since), so this node does not apply its own copy over it.
  log "joined a running cluster: its pod network is left as it is"
{{/if}}
else
  step cni "installing ${CNI_NAME} ${CNI_VERSION}"
  attempt=0
  # Each probe is bounded: a load balancer that accepts the connection and never answers (no healthy target yet)
  # would otherwise hold kubectl, which has no request timeout of its own, for as long as the connection lives.
  until kubectl get --raw=/readyz --request-timeout=10s >/dev/null 2>&1; do
    attempt=$((attempt + 1))
    [ "${attempt}" -lt 60 ] || die "the API server did not become ready within 5 minutes"
    log "waiting for the API server to be ready (${attempt}/60)"
    sleep 5
  done
{{#if cniManifest}}
  CNI_MANIFEST="${ROOT}/etc/k8sup/cni/${CNI_NAME}-${CNI_VERSION}.yaml"
  CNI_SHA256={{cniSha256}}
  if [ -n "${CNI_SHA256}" ]; then
    download {{cniUrl}} "${CNI_MANIFEST}" "${CNI_SHA256}"
  else
    # Upstream publishes no checksum for this manifest: it comes from a tagged release over HTTPS, and its sha256
    # is logged so an operator can pin it (or serve a reviewed copy through spec.assets.baseURL).
    mkdir -p "$(dirname "${CNI_MANIFEST}")"
    curl -fsSL --retry 5 --retry-delay 3 --connect-timeout 10 -o "${CNI_MANIFEST}" {{cniUrl}}
    log "warning: no pinned sha256 for the ${CNI_NAME} manifest; fetched one has sha256 $(sha256sum "${CNI_MANIFEST}" | cut -d' ' -f1)"
  fi
{{#if calico}}
  # calico.yaml ships with its pool CIDR commented out; set it to the cluster's pod CIDR.
  sed -i -e 's|# - name: CALICO_IPV4POOL_CIDR|- name: CALICO_IPV4POOL_CIDR|' \
    -e "s|#   value: \"192.168.0.0/16\"|  value: \"${POD_CIDR}\"|" "${CNI_MANIFEST}"
{{/if}}
{{#if flannel}}
  # kube-flannel.yml ships with 10.244.0.0/16; use the cluster's pod CIDR.
  sed -i -e "s|10.244.0.0/16|${POD_CIDR}|g" "${CNI_MANIFEST}"
{{/if}}
{{#if imageRegistry}}
  # spec.assets.containerRegistry: every image of the manifest from the cluster's registry, at its upstream path.
  sed -i -E "s#^([[:space:]]*-?[[:space:]]*image:[[:space:]]*[\"']?)[a-z0-9.-]+\.[a-z0-9.-]+(:[0-9]+)?/#\1${IMAGE_REGISTRY}/#" "${CNI_MANIFEST}"
{{/if}}
  grep -q "${POD_CIDR}" "${CNI_MANIFEST}" || die "could not set the pod CIDR ${POD_CIDR} in ${CNI_MANIFEST}"
  retry 10 "kubectl apply of ${CNI_NAME}" kubectl apply --server-side --force-conflicts -f "${CNI_MANIFEST}"
{{/if}}
{{#if cilium}}
  case "${ARCH}" in
    amd64) CILIUM_CLI_URL={{ciliumCliUrlAmd64}}; CILIUM_CLI_SHA256={{ciliumCliSha256Amd64}} ;;
    arm64) CILIUM_CLI_URL={{ciliumCliUrlArm64}}; CILIUM_CLI_SHA256={{ciliumCliSha256Arm64}} ;;
  esac
  download_dir="$(mktemp -d)"
  download "${CILIUM_CLI_URL}" "${download_dir}/cilium.tar.gz" "${CILIUM_CLI_SHA256}"
  mkdir -p "${ROOT}/usr/local/bin"
  tar -C "${ROOT}/usr/local/bin" -xzf "${download_dir}/cilium.tar.gz"
  rm -rf "${download_dir}"
  # ipam.mode=kubernetes: pods get addresses from each node's podCIDR, carved by kubeadm from the cluster pod CIDR.
  # A retry after a partial install finds the Helm release there: upgrade it to the same settings instead.
  CILIUM_SETTINGS=(--set ipam.mode=kubernetes)
{{#if imageRegistry}}
  # spec.assets.containerRegistry: the chart's images from the cluster's registry (their digests are kept).
  CILIUM_SETTINGS+=(--set "image.repository=${IMAGE_REGISTRY}/cilium/cilium" --set "operator.image.repository=${IMAGE_REGISTRY}/cilium/operator"
    --set "envoy.image.repository=${IMAGE_REGISTRY}/cilium/cilium-envoy")
{{/if}}
  cilium_apply() {
    cilium install --version "${CNI_VERSION}" "${CILIUM_SETTINGS[@]}" ||
      cilium upgrade --version "${CNI_VERSION}" "${CILIUM_SETTINGS[@]}"
  }
  retry 10 "cilium install" cilium_apply
{{/if}}
  mark_done "cni-${CNI_NAME}-${CNI_VERSION}"
fi
