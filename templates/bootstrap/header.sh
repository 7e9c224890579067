#!/usr/bin/env bash
# k8sup node bootstrap for {{{clusterNameRaw}}}: role {{{role}}}, provider {{{provider}}}, Kubernetes {{{kubernetesVersion}}}.
# Rendered by k8sup from templates/bootstrap; do not edit on the node. Safe to run again: every step checks first.
# It contains no private key material: control planes fetch theirs with the instance's own identity (cloud) or
# receive them over SSH before this runs (metal); workers join with a short-lived bootstrap token.
set -euo pipefail

# Values rendered by k8sup (single-quoted, so the shell never expands them).
CLUSTER_NAME={{clusterName}}
ROLE={{role}}
K8S_VERSION={{kubernetesVersion}}
K8S_PACKAGE_VERSION={{packageVersion}}
{{#if dnf}}
K8S_RPM_URL={{rpmUrl}}
{{else}}
K8S_APT_URL={{aptUrl}}
{{/if}}
{{#if packageMirror}}
{{#if dnf}}
DNF_MIRROR={{dnfMirror}}
{{else}}
APT_MIRROR={{aptMirror}}
{{/if}}
{{/if}}
CONTAINERD_VERSION={{containerdVersion}}
RUNC_VERSION={{runcVersion}}
{{#if cloud}}
NODE_GROUP={{nodeGroup}}
{{#unless storeNeedsRegion}}
STATE_BUCKET={{stateBucket}}
{{/unless}}
STATE_PREFIX={{statePrefix}}
{{/if}}
{{#if storeNeedsRegion}}
STATE_REGION={{stateRegion}}
{{/if}}
{{#if initCni}}
CNI_NAME={{cniName}}
CNI_VERSION={{cniVersion}}
{{#if cniManifest}}
POD_CIDR={{podCIDR}}
{{/if}}
{{#if imageRegistry}}
IMAGE_REGISTRY={{imageRegistry}}
{{/if}}
{{/if}}

# K8SUP_ROOT prefixes every file path, so tests can run this script against a temporary root. Empty on real nodes.
ROOT="${K8SUP_ROOT:-}"
if [ -z "${ROOT}" ] && [ "$(id -u)" -ne 0 ]; then
  echo "k8sup bootstrap must run as root" >&2
  exit 1
fi
