#!/usr/bin/env bash
# k8sup upgrade step {{stepId}} of {{cluster}} (Kubernetes {{from}} → {{to}}), rendered by k8sup from templates/upgrade.
# Safe to run again: a finished step leaves its marker and a second run does nothing (docs/upgrades.md).
set -euo pipefail
ROOT="${K8SUP_ROOT:-}"
MARKER="${ROOT}/var/lib/k8sup/upgrade/v{{{to}}}/{{{markerName}}}.done"
if [ -f "${MARKER}" ]; then
  echo "k8sup-step: already done"
  exit 0
fi
