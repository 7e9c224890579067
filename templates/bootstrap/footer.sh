
{{#if cloud}}
rm -f "${FAILURES_FILE}"
STEP='done'
report 'done'
mark_done bootstrap-complete
{{/if}}
log "bootstrap of ${CLUSTER_NAME} (${ROLE}, Kubernetes ${K8S_VERSION}) complete"
