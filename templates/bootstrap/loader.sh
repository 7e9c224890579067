#!/bin/bash
# k8sup loader, {{{role}}}: docs/bootstrap.md
set -euo pipefail
STATE_PREFIX={{statePrefix}}
{{#if storeNeedsRegion}}
STATE_REGION={{stateRegion}}
{{else}}
STATE_BUCKET={{stateBucket}}
{{/if}}
BUNDLE_SHA256={{bundleSha256}}
log() { echo "[k8sup] $*" >&2; }
{{{storeFunctions}}}
install -d -m 0700 /var/lib/k8sup
b=/var/lib/k8sup/bundle.sh
k={{bundleFolder}}"${BUNDLE_SHA256}.sh"
n=0
until store_get "${k}" "${b}"; do
((++n < 60)) || { log "cannot fetch ${k}"; exit 1; }
sleep 10
done
[ "$(sha256sum <"${b}" | cut -d ' ' -f 1)" = "${BUNDLE_SHA256}" ] || { rm -f "${b}"; log "${k}: wrong sha256, not run"; exit 1; }
{{{env}}}exec bash "${b}"
