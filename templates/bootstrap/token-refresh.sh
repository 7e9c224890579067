#!/usr/bin/env bash
# k8sup-token-refresh for {{{clusterNameRaw}}}: creates a bootstrap token valid 24h and publishes it to the state store
# as <prefix>/<cluster>/bootstrap/token, where joining nodes read it with their own instance identity.
# Run every 12h by k8sup-token-refresh.timer, so a published token always has at least 12h left.
set -euo pipefail

{{#unless storeNeedsRegion}}
STATE_BUCKET={{stateBucket}}
{{/unless}}
STATE_PREFIX={{statePrefix}}
{{#if storeNeedsRegion}}
STATE_REGION={{stateRegion}}
{{/if}}
ROOT="${K8SUP_ROOT:-}"

log() { printf '[k8sup-token-refresh] %s\n' "$*" >&2; }
