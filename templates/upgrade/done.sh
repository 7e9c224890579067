mkdir -p "$(dirname "${MARKER}")"
date -u +%Y-%m-%dT%H:%M:%SZ >"${MARKER}"
echo "k8sup-step: done"
