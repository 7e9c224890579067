
# --- The bootstrap token of nodes that join. Defined before the packages: a cloud control plane reads the cluster's
# version with it first (kube-packages-upgrade), a worker of an upgrade checks the store with it (worker-upgrade-wait),
# and kubeadm joins with it.

# fetch_join_token: sets BOOTSTRAP_TOKEN to a bootstrap token (valid 24h, refreshed every 12h by the control planes;
# see docs/bootstrap.md) after checking its format, so it can be written into the kubeadm config safely.
TOKEN_FILE="${ROOT}/etc/k8sup/bootstrap-token"
fetch_join_token() {
{{#if cloud}}
  local attempt=0 expires expires_at
  while :; do
    if store_get bootstrap/token "${TOKEN_FILE}"; then
      # A token past its expiry is gone from the cluster, and kubeadm join would only fail discovery minutes later
      # ("token id not found"): wait for the control planes' next refresh instead (a minute of margin for clocks).
      expires="$(sed -n 's/^expires=//p' "${TOKEN_FILE}" | head -n 1)"
      if [ -z "${expires}" ] || ! expires_at="$(date -u -d "${expires}" +%s 2>/dev/null)" || [ "${expires_at}" -gt $(($(date -u +%s) + 60)) ]; then
        break
      fi
      log "the bootstrap token in the state store expired at ${expires}: waiting for a control plane to refresh it (docs/bootstrap.md, \"Tokens for nodes that join later\")"
    fi
    attempt=$((attempt + 1))
    [ "${attempt}" -lt 90 ] || die "no unexpired bootstrap token in the state store after 15 minutes"
    log "waiting for the control plane to publish a bootstrap token (${attempt}/90)"
    sleep 10
  done
{{else}}
  [ -s "${TOKEN_FILE}" ] || die "${TOKEN_FILE} is missing: k8sup copies a bootstrap token over SSH before it runs this script"
{{/if}}
  BOOTSTRAP_TOKEN="$(sed -n 's/^token=//p' "${TOKEN_FILE}" | head -n 1)"
  [[ "${BOOTSTRAP_TOKEN}" =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || die "malformed bootstrap token in ${TOKEN_FILE}"
}
