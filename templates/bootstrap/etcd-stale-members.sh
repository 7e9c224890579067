
# remove_stale_etcd_members: before this control plane joins, removes the etcd members of control planes that are
# gone (a replaced instance whose k8sup-etcd-leave did not run: hard kill, API down at its shutdown). A member is stale
# when it has started before, its name is this node's own (GCE recreates instances under the same name) or no Node's,
# AND its endpoint does not answer: a member whose control plane is still joining or rebooting is never removed, nor
# one that was never started (another control plane joining right now). Removing a dead member cannot cost quorum.
# It never stops the join: without it the cluster only has one dead member more, which the log says loudly.
# Joining has time: the API and etcd calls may take up to 30 s each (the shutdown path allows itself less).
ETCD_CALL_TIMEOUT=30
remove_stale_etcd_members() {
  local kubeconfig="${ROOT}/etc/k8sup/etcd-cleanup.conf" status=0
  log "etcd: looking for members of control planes that are gone"
  (
    umask 077
    printf 'apiVersion: kubeadm.k8s.io/%s\nkind: ClusterConfiguration\nclusterName: %s\ncontrolPlaneEndpoint: %s\nkubernetesVersion: v%s\ncertificatesDir: %s\n' \
      {{kubeadmApiVersion}} "${CLUSTER_NAME}" {{controlPlaneEndpoint}} "${K8S_VERSION}" "${ROOT}/etc/kubernetes/pki" >"${kubeconfig}.yaml"
    # A 1-hour admin credential signed by the cluster CA this control plane already holds (the bootstrap token may not exec).
    kubeadm kubeconfig user --config "${kubeconfig}.yaml" --client-name "k8sup:etcd-cleanup:${NODE_NAME}" \
      --org kubeadm:cluster-admins --validity-period 1h >"${kubeconfig}"
  ) && remove_stale_etcd_members_with "${kubeconfig}" || status=$?
  rm -f "${kubeconfig}" "${kubeconfig}.yaml"
  if [ "${status}" -ne 0 ]; then
    log "WARNING: could not check etcd for members of replaced control planes; joining anyway. If one is left, remove it"
    log "WARNING: by hand ('etcdctl member list' / 'member remove' in an etcd pod; see docs/rolling-update.md)"
  fi
}

remove_stale_etcd_members_with() {
  local kubeconfig="$1" nodes id state name peer client _
  nodes="$(timeout "${ETCD_CALL_TIMEOUT}" kubectl --kubeconfig "${kubeconfig}" --request-timeout="${ETCD_CALL_TIMEOUT}s" \
    get nodes -o jsonpath='{.items[*].metadata.name}')" || return 1
  etcd_members "${kubeconfig}" "${NODE_NAME}" || return 1
  while IFS=, read -r id state name peer client _; do
    id="${id// /}" state="${state// /}" name="${name// /}" peer="${peer// /}" client="${client// /}"
    [[ "${id}" =~ ^[0-9a-f]{1,16}$ ]] || continue
    if [ "${state}" != started ]; then
      log "etcd: member ${id} (${peer}) has not started yet: another control plane joining? Left alone"
      continue
    fi
    if [ "${name}" != "${NODE_NAME}" ] && [[ " ${nodes} " == *" ${name} "* ]]; then continue; fi
    if [[ ! "${client}" =~ ^https://[][0-9A-Za-z.:-]+$ ]]; then
      log "etcd: member ${name} (${id}) has no usable client URL '${client}': left alone"
      continue
    fi
    if etcdctl_via "${kubeconfig}" "${ETCD_POD}" "${client}" endpoint health >/dev/null 2>&1; then
      log "etcd: member ${name} (${id}) has no node but answers: left alone"
      continue
    fi
    log "etcd: removing member ${name} (${id}, ${peer}): its node is gone and it does not answer"
    etcdctl_via "${kubeconfig}" "${ETCD_POD}" https://127.0.0.1:2379 member remove "${id}" || return 1
  done <<<"${ETCD_MEMBERS}"
}
