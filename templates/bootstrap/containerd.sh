
# --- containerd and runc, pinned and checksum-verified, configured for the systemd cgroup driver.
step containerd "containerd ${CONTAINERD_VERSION}"
case "${ARCH}" in
  amd64)
    CONTAINERD_URL={{containerdUrlAmd64}}
    CONTAINERD_SHA256={{containerdSha256Amd64}}
    RUNC_URL={{runcUrlAmd64}}
    RUNC_SHA256={{runcSha256Amd64}}
    ;;
  arm64)
    CONTAINERD_URL={{containerdUrlArm64}}
    CONTAINERD_SHA256={{containerdSha256Arm64}}
    RUNC_URL={{runcUrlArm64}}
    RUNC_SHA256={{runcSha256Arm64}}
    ;;
esac
if ! is_done "containerd-${CONTAINERD_VERSION}-runc-${RUNC_VERSION}"; then
  download_dir="$(mktemp -d)"
  download "${CONTAINERD_URL}" "${download_dir}/containerd.tar.gz" "${CONTAINERD_SHA256}"
  download "${RUNC_URL}" "${download_dir}/runc" "${RUNC_SHA256}"
  mkdir -p "${ROOT}/usr/local/bin" "${ROOT}/usr/local/sbin"
  tar -C "${ROOT}/usr/local" -xzf "${download_dir}/containerd.tar.gz"
  install -m 0755 "${download_dir}/runc" "${ROOT}/usr/local/sbin/runc"
  rm -rf "${download_dir}"
  # A running containerd keeps executing its old binary until it is restarted (a version bump, same configuration).
  mark_done containerd-restart-pending
  mark_done "containerd-${CONTAINERD_VERSION}-runc-${RUNC_VERSION}"
fi

containerd_changed=0
write_file "${ROOT}/etc/systemd/system/containerd.service" 0644 <<'K8SUP_EOF_CONTAINERD_UNIT'
{{{containerdUnit}}}
K8SUP_EOF_CONTAINERD_UNIT
if [ "${WROTE}" = 1 ]; then containerd_changed=1; fi
write_file "${ROOT}/etc/containerd/config.toml" 0644 <<'K8SUP_EOF_CONTAINERD_CONFIG'
{{{containerdConfig}}}
K8SUP_EOF_CONTAINERD_CONFIG
if [ "${WROTE}" = 1 ]; then containerd_changed=1; fi
{{#each registryCAs}}
write_file "${ROOT}/etc/containerd/certs.d/{{{.registry}}}/ca.crt" 0644 <<'K8SUP_EOF_REGISTRY_CA'
{{{.caCert}}}
K8SUP_EOF_REGISTRY_CA
if [ "${WROTE}" = 1 ]; then containerd_changed=1; fi
{{/each}}
{{#each registryHosts}}
write_file "${ROOT}/etc/containerd/certs.d/{{{.registry}}}/hosts.toml" 0644 <<'K8SUP_EOF_REGISTRY_HOSTS'
{{{.hostsToml}}}
K8SUP_EOF_REGISTRY_HOSTS
if [ "${WROTE}" = 1 ]; then containerd_changed=1; fi
{{/each}}
{{#if registryAuth}}
# Pull credentials (spec.assets.registries[].credentials) are secrets of the state store, never part of this script:
{{#if cloud}}
# fetched with this instance's identity, like the control-plane PKI. containerd's CRI reads them from a root-only
{{else}}
# k8sup copies them over SSH (0600) before it runs this script. containerd's CRI reads them from a root-only
{{/if}}
# drop-in that config.toml imports; kubeadm's image pulls and the kubelet's go through it alike.
REGISTRY_CREDENTIALS="${ROOT}/etc/k8sup/registry-credentials"
mkdir -p "${REGISTRY_CREDENTIALS}"
chmod 0700 "${REGISTRY_CREDENTIALS}"
REGISTRY_CREDENTIAL_FILES=()
registry_credential() {
  REGISTRY_CREDENTIAL_FILES+=("$1.toml")
{{#if cloud}}
  retry 10 "fetching registry credential $1" store_get "{{{credentialsFolder}}}$1.toml" "${REGISTRY_CREDENTIALS}/$1.toml" ||
    die "cannot fetch the registry credential $1 from the state store with this instance's identity"
{{else}}
  [ -s "${REGISTRY_CREDENTIALS}/$1.toml" ] ||
    die "${REGISTRY_CREDENTIALS}/$1.toml is missing: k8sup copies registry credentials over SSH before it runs this script"
{{/if}}
  chmod 0600 "${REGISTRY_CREDENTIALS}/$1.toml"
}
{{#each registryAuth}}
registry_credential {{.secret}}
{{/each}}
write_file "${ROOT}"{{authDropIn}} 0600 < <(
  printf '# Pull credentials of private registries (k8sup, from its state store). Root only.\nversion = 3\n'
{{#each registryAuth}}
  printf "\n[plugins.'io.containerd.cri.v1.images'.registry.configs.'%s'.auth]\n" {{.host}}
  cat "${REGISTRY_CREDENTIALS}/"{{.secret}}.toml
{{/each}}
)
if [ "${WROTE}" = 1 ]; then containerd_changed=1; fi
# Copies of secrets the spec no longer names (a rotation to a new name) do not stay behind.
for credential_file in "${REGISTRY_CREDENTIALS}"/*.toml; do
  [ -e "${credential_file}" ] || continue
  case " ${REGISTRY_CREDENTIAL_FILES[*]} " in
    *" ${credential_file##*/} "*) ;;
    *) rm -f "${credential_file}" ;;
  esac
done
{{/if}}
# The restart is owed until it happened: a run that stops between writing the files and restarting containerd (a
# reboot, a kill, a failed systemctl) finds the files up to date next time, and containerd would stay down or on its
# old configuration for good. The stamp carries the debt over to the next run.
if [ "${containerd_changed}" = 1 ]; then mark_done containerd-restart-pending; fi
if is_done containerd-restart-pending; then
  systemctl daemon-reload
  systemctl enable containerd
  systemctl restart containerd
  rm -f "${STAMP_DIR}/containerd-restart-pending"
fi
