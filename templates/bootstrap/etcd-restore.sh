#!/usr/bin/env bash
# k8sup-etcd-restore for {{{clusterNameRaw}}}: restores this control plane's etcd member from a snapshot
# (docs/backups.md). Run on every control plane, in two passes: first `stop` on all of them, then `start` on all.
#   k8sup-etcd-restore stop SNAPSHOT SHA256 [INITIAL_CLUSTER]   verify, restore into a fresh data dir, stop the
#       etcd and kube-apiserver static pods, swap the data dir (the old one is kept next to it)
#   k8sup-etcd-restore member    print this member as NAME=PEER_URL (for INITIAL_CLUSTER)
#   k8sup-etcd-restore start     put the static pods back
#   k8sup-etcd-restore health    wait (bounded) until etcd answers through quorum
{{#if cloud}}
#   k8sup-etcd-restore fetch ID  download backup ID from the state store, checked against its manifest
#   k8sup-etcd-restore seed SNAPSHOT SHA256 RESTORE_ID    HA restore, first step: this member alone from the snapshot
#   k8sup-etcd-restore rejoin SEED_CLIENT_URL RESTORE_ID  HA restore, next steps: this member joins the seed anew
{{/if}}
# INITIAL_CLUSTER is every member as NAME=PEER_URL,… (default: the members etcd lists now; this member alone only
# when the cluster has a single control plane).
set -euo pipefail

{{#unless storeNeedsRegion}}
{{#if cloud}}
STATE_BUCKET={{stateBucket}}
{{/if}}
{{/unless}}
{{#if cloud}}
STATE_PREFIX={{statePrefix}}
{{/if}}
{{#if storeNeedsRegion}}
STATE_REGION={{stateRegion}}
{{/if}}
# How many control planes (etcd members) the cluster spec has: a restore alone is right only for one.
CONTROL_PLANES={{controlPlaneCount}}
ROOT="${K8SUP_ROOT:-}"

log() { printf '[k8sup-etcd-restore] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
