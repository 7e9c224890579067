
# --- the cluster's pre-generated PKI (CAs and service-account keys) goes to /etc/kubernetes/pki BEFORE
# kubeadm runs: kubeadm keeps existing CAs and signs this node's certificates with them, so no --upload-certs.
step pki "control-plane PKI"
PKI_DIR="${ROOT}/etc/kubernetes/pki"
mkdir -p "${PKI_DIR}/etcd"
chmod 0700 "${PKI_DIR}" "${PKI_DIR}/etcd"
for pki_file in {{{pkiFiles}}}; do
  if [ ! -s "${PKI_DIR}/${pki_file}" ]; then
{{#if cloud}}
    # Right after create the instance role may not be usable yet (IAM propagation): 403/404 clear within minutes.
    retry 10 "fetching pki/${pki_file}" store_get "pki/${pki_file}" "${PKI_DIR}/${pki_file}" ||
      die "cannot fetch pki/${pki_file} from the state store with this instance's identity"
    chmod 0600 "${PKI_DIR}/${pki_file}"
{{else}}
    die "${PKI_DIR}/${pki_file} is missing: k8sup copies the PKI over SSH before it runs this script"
{{/if}}
  fi
done
