
# --- the API server's audit policy (spec.kubeAPIServer.auditLogging): kubeadm mounts this folder and the log folder
# into the kube-apiserver static pod; the log rotates at 100 MB, 10 files, 30 days.
step audit "audit policy"
mkdir -p "${ROOT}/var/log/kubernetes/audit"
chmod 0700 "${ROOT}/var/log/kubernetes/audit"
write_file "${ROOT}/etc/kubernetes/audit/policy.yaml" 0600 <<'K8SUP_EOF_AUDIT_POLICY'
{{{auditPolicy}}}
K8SUP_EOF_AUDIT_POLICY
