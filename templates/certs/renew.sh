# kubeadm's manual certificate renewal on one control plane (k8sup certs renew, docs/pki.md): renew every leaf
# certificate and kubeconfig, then restart the static pods so they load them — the kubelet stops a pod whose manifest
# leaves /etc/kubernetes/manifests and starts it again when it is back.
set -euo pipefail
ROOT="${K8SUP_ROOT:-}"
kubeadm certs renew all
manifests="${ROOT}/etc/kubernetes/manifests"
parked="${ROOT}/etc/kubernetes/manifests-renewing"
mkdir -p "${parked}"
for component in kube-apiserver kube-controller-manager kube-scheduler etcd; do
  if [ -f "${manifests}/${component}.yaml" ]; then mv "${manifests}/${component}.yaml" "${parked}/"; fi
done
# Until the kubelet has stopped them (it looks at the folder every 20 s).
for _ in $(seq 1 45); do
  if [ -z "$(crictl ps -q --name 'kube-apiserver|kube-controller-manager|kube-scheduler|etcd' 2>/dev/null)" ]; then break; fi
  sleep 2
done
mv "${parked}"/*.yaml "${manifests}/" 2>/dev/null || true
rmdir "${parked}"
# Until the API server answers again, before the next control plane is touched.
for _ in $(seq 1 90); do
  if curl -fsk --max-time 2 https://127.0.0.1:6443/livez >/dev/null 2>&1; then exit 0; fi
  sleep 2
done
echo "the API server on this host did not come back within 3 minutes after the certificate renewal" >&2
exit 1
