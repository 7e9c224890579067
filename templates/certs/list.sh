# Every certificate kubeadm keeps on a control plane, and the kubeconfigs with embedded client certificates, as
# "<path> <base64>" lines for k8sup to read (nothing is changed; no private key is read).
set -eu
ROOT="${K8SUP_ROOT:-}"
cd "${ROOT}/etc/kubernetes" 2>/dev/null || exit 0
for f in pki/*.crt pki/etcd/*.crt admin.conf super-admin.conf controller-manager.conf scheduler.conf; do
  if [ -f "${f}" ]; then printf '%s %s\n' "${f}" "$(base64 -w0 <"${f}")"; fi
done
