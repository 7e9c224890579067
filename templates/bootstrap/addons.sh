
# --- addons ({{{addonNames}}}; src/addons, docs/addons.md): every control plane applies them with server-side apply,
# so one whose bundle came with a changed spec brings the running cluster's addons up to date.
export KUBECONFIG="${ROOT}/etc/kubernetes/admin.conf"
if is_done "addons-{{{addonsDigest}}}"; then
  log "addons {{{addonNames}}} already applied"
else
  step addons "applying addons {{{addonNames}}}"
{{#each addons}}
  write_file "${ROOT}/etc/k8sup/addons/{{{.name}}}.yaml" 0600 <<'K8SUP_EOF_ADDON'
{{{.manifest}}}
K8SUP_EOF_ADDON
{{/each}}
  attempt=0
  # Each probe is bounded: a load balancer that accepts the connection and never answers (no healthy target yet)
  # would otherwise hold kubectl, which has no request timeout of its own, for as long as the connection lives.
  until kubectl get --raw=/readyz --request-timeout=10s >/dev/null 2>&1; do
    attempt=$((attempt + 1))
    [ "${attempt}" -lt 60 ] || die "the API server did not become ready within 5 minutes"
    log "waiting for the API server to be ready (${attempt}/60)"
    sleep 5
  done
  retry 10 "kubectl apply of the addons" kubectl apply --server-side --force-conflicts --field-manager=k8sup{{#each addons}} -f "${ROOT}/etc/k8sup/addons/{{{.name}}}.yaml"{{/each}}
  mark_done "addons-{{{addonsDigest}}}"
fi
