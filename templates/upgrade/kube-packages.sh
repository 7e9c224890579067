# {{{packageNames}}} {{to}} from the pkgs.k8s.io repository of the new minor; held again afterwards so an
# unattended upgrade never moves them.
{{#if dnf}}
cat >"${ROOT}/etc/yum.repos.d/k8sup-kubernetes.repo" <<'K8SUP_EOF_REPO'
[kubernetes]
name=Kubernetes (k8sup)
baseurl={{{rpmUrl}}}
enabled=1
gpgcheck=1
gpgkey={{{rpmUrl}}}repodata/repomd.xml.key
exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni
K8SUP_EOF_REPO
dnf install -y -q --disableexcludes=kubernetes {{{dnfPackages}}}
{{else}}
export DEBIAN_FRONTEND=noninteractive
repo={{aptUrl}}
mkdir -p "${ROOT}/etc/apt/keyrings" "${ROOT}/etc/apt/sources.list.d"
curl -fsSL --retry 5 "${repo}Release.key" | gpg --batch --yes --dearmor -o "${ROOT}/etc/apt/keyrings/k8sup-kubernetes.gpg"
printf 'deb [signed-by=/etc/apt/keyrings/k8sup-kubernetes.gpg] %s /\n' "${repo}" >"${ROOT}/etc/apt/sources.list.d/k8sup-kubernetes.list"
apt-get -o DPkg::Lock::Timeout=600 update -q
apt-mark unhold {{{packageNames}}} >/dev/null
apt-get -o DPkg::Lock::Timeout=600 install -y -q --allow-change-held-packages {{{aptPackages}}}
apt-mark hold {{{packageNames}}} >/dev/null
{{/if}}
{{#if restartKubelet}}
systemctl daemon-reload
systemctl restart kubelet
# The kubelet that runs now must be the new one (kubelet never newer than the API server: this runs after the
# control planes were upgraded).
running="$(kubelet --version)"
if [ "${running}" != "Kubernetes v{{{to}}}" ]; then
  echo "kubelet reports '${running}', expected Kubernetes v{{{to}}}" >&2
  exit 1
fi
{{/if}}
