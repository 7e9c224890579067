
# --- host firewall. When ufw or firewalld is active, open exactly the ports this {{{firewallRole}}} needs (docs/metal.md,
# "Host firewalls"); an inactive or missing firewall is left alone. Both tools skip rules they already have.
FIREWALL_PORTS=({{#each firewallPorts}}{{.}} {{/each}})
FIREWALL_PROTOCOLS=({{#each firewallProtocols}}{{.}} {{/each}})
if command -v ufw >/dev/null 2>&1 && ufw status 2>/dev/null | grep -q '^Status: active'; then
  log "ufw is active: opening ${FIREWALL_PORTS[*]}"
  for rule in "${FIREWALL_PORTS[@]}"; do
    # ufw writes ranges as from:to.
    ufw allow "${rule/-/:}" >/dev/null
  done
  # ufw's rule syntax has no IP protocols besides tcp/udp on every release: they go into before.rules.
  UFW_BEFORE="${ROOT}/etc/ufw/before.rules"
  if [ "${#FIREWALL_PROTOCOLS[@]}" -gt 0 ] && [ -f "${UFW_BEFORE}" ] && ! grep -q '^# k8sup protocols$' "${UFW_BEFORE}"; then
    rules="# k8sup protocols"
    for protocol in "${FIREWALL_PROTOCOLS[@]}"; do rules="${rules}\n-A ufw-before-input -p ${protocol} -j ACCEPT"; done
    sed -i "0,/^COMMIT\$/s//${rules}\nCOMMIT/" "${UFW_BEFORE}"
    ufw reload >/dev/null
  fi
elif command -v firewall-cmd >/dev/null 2>&1 && firewall-cmd --state >/dev/null 2>&1; then
  log "firewalld is running: opening ${FIREWALL_PORTS[*]}"
  for rule in "${FIREWALL_PORTS[@]}"; do
    firewall-cmd --permanent --add-port="${rule}" >/dev/null
  done
  for protocol in "${FIREWALL_PROTOCOLS[@]}"; do
    firewall-cmd --permanent --add-protocol="${protocol}" >/dev/null
  done
  firewall-cmd --reload >/dev/null
fi
