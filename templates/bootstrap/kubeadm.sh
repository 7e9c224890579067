{{#if refuseReinit}}

# upgrade_in_progress: true when `k8sup upgrade cluster` published bootstrap/upgrade for this node's version (it does
# so before it launches a control plane beside the running one). Like cluster_initialised it never guesses.
upgrade_in_progress() {
  local file attempt=0 status
  file="$(mktemp)"
  while :; do
    status=0
    store_has bootstrap/upgrade || status=$?
    [ "${status}" -eq 2 ] || break
    attempt=$((attempt + 1))
    [ "${attempt}" -lt 30 ] || die "cannot tell from the state store whether an upgrade of ${CLUSTER_NAME} is in progress; refusing to guess"
    sleep 10
  done
  [ "${status}" -eq 0 ] || { rm -f "${file}"; return 1; }
  store_get bootstrap/upgrade "${file}" || die "cannot read bootstrap/upgrade from the state store"
  if grep -qx "to=${K8S_VERSION}" "${file}"; then rm -f "${file}"; return 0; fi
  log "bootstrap/upgrade names another version ($(sed -n 's/^to=//p' "${file}")), not ${K8S_VERSION}"
  rm -f "${file}"
  return 1
}
{{/if}}
{{#if guardInit}}

# cluster_initialised: true when the state store shows this cluster was initialised already: the marker written
# right after the first `kubeadm init`, or a published bootstrap token (clusters created before the marker existed).
# It never guesses: when the store cannot answer (network, permissions), it retries for 5 minutes, then stops the
# script, because a wrong "no" would start a second, empty cluster behind the same endpoint.
cluster_initialised() {
  local key attempt status
  for key in bootstrap/initialized bootstrap/token; do
    attempt=0
    while :; do
      status=0
      store_has "${key}" || status=$?
      [ "${status}" -eq 2 ] || break
      attempt=$((attempt + 1))
      [ "${attempt}" -lt 30 ] || die "cannot tell from the state store whether ${CLUSTER_NAME} was initialised (see the HTTP status above); refusing to guess"
      sleep 10
    done
    if [ "${status}" -eq 0 ]; then
      log "the state store has ${key}: ${CLUSTER_NAME} was initialised already"
      return 0
    fi
  done
  return 1
}
{{/if}}

# --- kubeadm, until it succeeds on this node (see kubeadm-reset above); again after someone ran `kubeadm reset` (no
# kubelet.conf any more). A node with kubelet.conf and no record of a kubeadm run was set up by an older k8sup, which
# kept none: it is taken as joined, as that version did.
if is_done kubeadm-succeeded && [ -f "${ROOT}/etc/kubernetes/kubelet.conf" ]; then
  log "already part of the cluster (kubeadm succeeded before), kubeadm skipped"
elif [ -f "${ROOT}/etc/kubernetes/kubelet.conf" ] && ! is_done kubeadm-started; then
  log "already part of the cluster (set up by an earlier k8sup), kubeadm skipped"
  mark_done kubeadm-succeeded
else
{{#if fixedNodeName}}
  NODE_NAME={{nodeName}}
{{else}}
  NODE_NAME="$(instance_node_name)" || die "cannot read this instance's name from the metadata service"
{{/if}}
  [[ "${NODE_NAME}" =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ ]] || die "unusable node name '${NODE_NAME}'"
{{#if etcdLeave}}
  # k8sup-etcd-leave (below) finds its etcd member by this name at shutdown.
  write_file "${ROOT}/etc/k8sup/node-name" 0644 <<<"${NODE_NAME}"
{{/if}}
{{#if init}}
  KUBEADM_ACTION='init'
{{#if guardInit}}
  # This instance runs the first control plane's script. If it replaced the instance that ran `kubeadm init` (health
  # check, rolling update), initialising again would split the cluster: the state store decides.
  KUBEADM_INIT_EXTRA=()
  if [ -f "${ROOT}/etc/k8sup/force-init" ]; then
    log "warning: ${ROOT}/etc/k8sup/force-init exists: kubeadm init whatever the state store says (docs/bootstrap.md)"
    # An operator who restored an etcd snapshot into /var/lib/etcd wants kubeadm to keep it.
    if [ -d "${ROOT}/var/lib/etcd/member" ]; then KUBEADM_INIT_EXTRA+=(--ignore-preflight-errors=DirAvailable--var-lib-etcd); fi
  elif cluster_initialised; then
{{#if refuseReinit}}
    # A single control plane joins only beside the running one, which `k8sup upgrade cluster` keeps until this
    # instance has joined and upgraded the cluster (docs/upgrades.md); any other replacement lost etcd's only copy.
    if ! upgrade_in_progress; then
      log "ERROR: ${CLUSTER_NAME} has a single control plane and it was initialised before: this instance replaced it,"
      log "ERROR: and that control plane's etcd data went with the old instance. Initialising again would create a new,"
      log "ERROR: empty cluster behind the same endpoint, so this node stops here. To recover, restore an etcd snapshot"
      log "ERROR: or start over on purpose: see 'Replacing the first control plane' in docs/bootstrap.md."
      die "refusing to run kubeadm init for an existing cluster"
    fi
    log "upgrade to ${K8S_VERSION} in progress: joining beside the running control plane, which leaves afterwards"
{{else}}
    log "joining the running cluster as a control plane instead of running kubeadm init"
{{/if}}
    KUBEADM_ACTION='join'
  fi
{{/if}}
{{else}}
  KUBEADM_ACTION='join'
{{/if}}
  step kubeadm "kubeadm ${KUBEADM_ACTION}"
{{#if init}}
  write_file "${ROOT}/etc/k8sup/kubeadm-init.yaml.template" 0600 <<'K8SUP_EOF_KUBEADM_INIT'
{{{kubeadmInitConfig}}}
K8SUP_EOF_KUBEADM_INIT
{{/if}}
{{#if mayJoin}}
  write_file "${ROOT}/etc/k8sup/kubeadm-join.yaml.template" 0600 <<'K8SUP_EOF_KUBEADM_JOIN'
{{{kubeadmJoinConfig}}}
K8SUP_EOF_KUBEADM_JOIN
  BOOTSTRAP_TOKEN=""
{{#if checkJoinVersion}}
  if [ "${KUBEADM_ACTION}" = join ]; then refuse_other_cluster_version; fi
{{/if}}
  if [ "${KUBEADM_ACTION}" = join ]; then fetch_join_token; fi
{{/if}}
  # Fill in what only the node knows. Both values were checked against strict patterns above, so sed is safe.
  (
    umask 077
    sed -e "s/@@K8SUP_NODE_NAME@@/${NODE_NAME}/g"{{#if mayJoin}} -e "s/@@K8SUP_BOOTSTRAP_TOKEN@@/${BOOTSTRAP_TOKEN}/g"{{/if}} \
      "${ROOT}/etc/k8sup/kubeadm-${KUBEADM_ACTION}.yaml.template" >"${ROOT}/etc/k8sup/kubeadm.yaml"
  )
  if grep -q '@@K8SUP_' "${ROOT}/etc/k8sup/kubeadm.yaml"; then die "unfilled placeholder in ${ROOT}/etc/k8sup/kubeadm.yaml"; fi
  kubeadm config validate --config "${ROOT}/etc/k8sup/kubeadm.yaml"
  rm -f "${STAMP_DIR}/kubeadm-succeeded"
  mark_done kubeadm-started
{{#if rejoin}}
  if [ "${KUBEADM_ACTION}" = init ]; then
    kubeadm init --config "${ROOT}/etc/k8sup/kubeadm.yaml" --skip-token-print "${KUBEADM_INIT_EXTRA[@]}"
  else
    remove_stale_etcd_members
    kubeadm join --config "${ROOT}/etc/k8sup/kubeadm.yaml"
    rm -f "${TOKEN_FILE}"
    # Remembered so that later runs leave the pod network alone: the running cluster has its own.
    mark_done joined-existing-cluster
  fi
{{else}}
{{#if init}}
  kubeadm init --config "${ROOT}/etc/k8sup/kubeadm.yaml" --skip-token-print{{#if guardInit}} "${KUBEADM_INIT_EXTRA[@]}"{{/if}}
{{else}}
{{#if etcdCleanup}}
  remove_stale_etcd_members
{{/if}}
  kubeadm join --config "${ROOT}/etc/k8sup/kubeadm.yaml"
  rm -f "${TOKEN_FILE}"
{{/if}}
{{/if}}
  mark_done kubeadm-succeeded
fi
{{#if guardInit}}

# The marker a replacement of this instance looks for (above): written once, after kubeadm succeeded.
if ! is_done initialized-marker; then
  marker_file="$(mktemp)"
  printf 'initialized=true\nnode=%s\n' "$(hostname)" >"${marker_file}"
  store_put bootstrap/initialized "${marker_file}" || die "cannot write bootstrap/initialized to the state store with this instance's identity"
  rm -f "${marker_file}"
  mark_done initialized-marker
fi
{{/if}}
