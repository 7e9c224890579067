
# --- kubeadm {{{kubeadmVerb}}}. A node with /etc/kubernetes/kubelet.conf has joined already: nothing to do.
if [ -f "${ROOT}/etc/kubernetes/kubelet.conf" ]; then
  log "already part of the cluster (kubelet.conf exists), kubeadm skipped"
else
  log "kubeadm {{{kubeadmVerb}}}"
{{#if fixedNodeName}}
  NODE_NAME={{nodeName}}
{{else}}
  NODE_NAME="$(instance_node_name)" || die "cannot read this instance's name from the metadata service"
{{/if}}
  [[ "${NODE_NAME}" =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ ]] || die "unusable node name '${NODE_NAME}'"
{{#if join}}
  # A bootstrap token, valid 24h and refreshed every 12h by the control planes (see docs/bootstrap.md).
  TOKEN_FILE="${ROOT}/etc/k8sup/bootstrap-token"
{{#if cloud}}
  attempt=0
  until store_get bootstrap/token "${TOKEN_FILE}"; do
    attempt=$((attempt + 1))
    [ "${attempt}" -lt 90 ] || die "no bootstrap token in the state store after 15 minutes"
    log "waiting for the control plane to publish a bootstrap token (${attempt}/90)"
    sleep 10
  done
{{else}}
  [ -s "${TOKEN_FILE}" ] || die "${TOKEN_FILE} is missing: k8sup copies a bootstrap token over SSH before it runs this script"
{{/if}}
  BOOTSTRAP_TOKEN="$(sed -n 's/^token=//p' "${TOKEN_FILE}" | head -n 1)"
  [[ "${BOOTSTRAP_TOKEN}" =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || die "malformed bootstrap token in ${TOKEN_FILE}"
{{/if}}
  write_file "${ROOT}/etc/k8sup/kubeadm.yaml.template" 0600 <<'K8SUP_EOF_KUBEADM'
{{{kubeadmConfig}}}
K8SUP_EOF_KUBEADM
  # Fill in what only the node knows. Both values were checked against strict patterns above, so sed is safe.
  (
    umask 077
    sed -e "s/@@K8SUP_NODE_NAME@@/${NODE_NAME}/g"{{#if join}} -e "s/@@K8SUP_BOOTSTRAP_TOKEN@@/${BOOTSTRAP_TOKEN}/g"{{/if}} \
      "${ROOT}/etc/k8sup/kubeadm.yaml.template" >"${ROOT}/etc/k8sup/kubeadm.yaml"
  )
  kubeadm config validate --config "${ROOT}/etc/k8sup/kubeadm.yaml"
{{#if init}}
  kubeadm init --config "${ROOT}/etc/k8sup/kubeadm.yaml" --skip-token-print
{{else}}
  kubeadm join --config "${ROOT}/etc/k8sup/kubeadm.yaml"
  rm -f "${TOKEN_FILE}"
{{/if}}
fi
