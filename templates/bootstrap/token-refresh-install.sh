
# --- Control planes keep a fresh bootstrap token in the state store for nodes that join later (an autoscaler may add
# workers months from now): a timer creates a 24h token every 12h and uploads it with this instance's identity.
write_file "${ROOT}/usr/local/sbin/k8sup-token-refresh" 0755 <<'K8SUP_EOF_TOKEN_REFRESH'
{{{tokenRefreshScript}}}
K8SUP_EOF_TOKEN_REFRESH
timer_changed="${WROTE}"
write_file "${ROOT}/etc/systemd/system/k8sup-token-refresh.service" 0644 <<'K8SUP_EOF_TOKEN_SERVICE'
{{{tokenRefreshService}}}
K8SUP_EOF_TOKEN_SERVICE
if [ "${WROTE}" = 1 ]; then timer_changed=1; fi
write_file "${ROOT}/etc/systemd/system/k8sup-token-refresh.timer" 0644 <<'K8SUP_EOF_TOKEN_TIMER'
{{{tokenRefreshTimer}}}
K8SUP_EOF_TOKEN_TIMER
if [ "${WROTE}" = 1 ]; then timer_changed=1; fi
# Owed until done: a timer never started would leave nodes joining after the first token's 24 h without a token.
enable_when_written token-refresh "${timer_changed}" k8sup-token-refresh.timer
{{#if init}}
# Publish the first token right away: workers are already booting and waiting for it.
if ! is_done first-bootstrap-token; then
  "${ROOT}/usr/local/sbin/k8sup-token-refresh"
  mark_done first-bootstrap-token
fi
{{/if}}
