
# --- kubeadm's real outcome decides whether this node is part of the cluster, never the existence of kubelet.conf:
# kubeadm writes it early (init's kubeconfig phase, a control-plane join before etcd), so a failed run leaves one
# behind. Stamps record that kubeadm started and that it succeeded; a run that started and never succeeded is undone
# with `kubeadm reset -f` before the steps below run kubeadm again.
if is_done kubeadm-started && ! is_done kubeadm-succeeded; then
  step kubeadm-reset "an earlier kubeadm run did not succeed: kubeadm reset -f, then again"
{{#if controlPlane}}
  # reset empties /etc/kubernetes/pki; the cluster's CAs and service-account keys are kept, modes included.
  PKI_KEEP="$(mktemp -d)"
  for pki_file in {{{pkiFiles}}}; do
    if [ -s "${ROOT}/etc/kubernetes/pki/${pki_file}" ]; then
      mkdir -p "$(dirname "${PKI_KEEP}/${pki_file}")"
      cp -p "${ROOT}/etc/kubernetes/pki/${pki_file}" "${PKI_KEEP}/${pki_file}"
    fi
  done
{{/if}}
  kubeadm reset -f
{{#if controlPlane}}
  for pki_file in {{{pkiFiles}}}; do
    if [ -s "${PKI_KEEP}/${pki_file}" ]; then
      mkdir -p "$(dirname "${ROOT}/etc/kubernetes/pki/${pki_file}")"
      cp -p "${PKI_KEEP}/${pki_file}" "${ROOT}/etc/kubernetes/pki/${pki_file}"
    fi
  done
  rm -rf "${PKI_KEEP}"
{{/if}}
  rm -f "${STAMP_DIR}/kubeadm-started"
fi
