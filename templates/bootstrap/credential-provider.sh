
# --- kubelet image credential provider: the kubelet runs it for images of the cloud's registry, which are then
# pulled with this instance's identity (src/bootstrap/credential-provider.ts). The pinned binary is checksum-verified.
CREDENTIAL_PROVIDER={{credentialProviderName}}
CREDENTIAL_PROVIDER_VERSION={{credentialProviderVersion}}
step credential-provider "image credential provider ${CREDENTIAL_PROVIDER} ${CREDENTIAL_PROVIDER_VERSION}"
case "${ARCH}" in
  amd64)
    CREDENTIAL_PROVIDER_URL={{credentialProviderUrlAmd64}}
    CREDENTIAL_PROVIDER_SHA256={{credentialProviderSha256Amd64}}
    ;;
  arm64)
    CREDENTIAL_PROVIDER_URL={{credentialProviderUrlArm64}}
    CREDENTIAL_PROVIDER_SHA256={{credentialProviderSha256Arm64}}
    ;;
esac
if ! is_done "${CREDENTIAL_PROVIDER}-${CREDENTIAL_PROVIDER_VERSION}-${ARCH}"; then
  download "${CREDENTIAL_PROVIDER_URL}" "${ROOT}{{{credentialProviderBinDir}}}/${CREDENTIAL_PROVIDER}" "${CREDENTIAL_PROVIDER_SHA256}"
  chmod 0755 "${ROOT}{{{credentialProviderBinDir}}}/${CREDENTIAL_PROVIDER}"
  mark_done "${CREDENTIAL_PROVIDER}-${CREDENTIAL_PROVIDER_VERSION}-${ARCH}"
fi
write_file "${ROOT}{{{credentialProviderConfig}}}" 0644 <<'K8SUP_EOF_CREDENTIAL_PROVIDERS'
{{{credentialProviderConfigYaml}}}
K8SUP_EOF_CREDENTIAL_PROVIDERS
