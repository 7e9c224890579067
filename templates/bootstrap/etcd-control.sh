#!/usr/bin/env bash
# k8sup-etcd-control for {{{clusterNameRaw}}}: carries out the etcd commands k8sup leaves in the state store
# (docs/backups.md, "The control folder"), like kops' etcd-manager watches its control folder. Every minute
# (k8sup-etcd-control.timer, whether or not scheduled backups are on) it reads
#   <prefix>/<cluster>/backups/etcd/control/command.json      the one current command, written by the CLI
# and, if that command is still open, claims it with a create-only write of
#   <prefix>/<cluster>/backups/etcd/control/<command id>/claim.json
# (the first writer wins: one control plane of an HA cluster, or the CLI cancelling it), carries it out and writes
#   <prefix>/<cluster>/backups/etcd/control/<command id>/result.json
# Commands: backup (k8sup-etcd-backup --command ID), restore (k8sup-etcd-restore fetch/stop/start/health, single
# control plane only), and an HA restore's restore-seed (fetch, then k8sup-etcd-restore seed: this member alone from
# the snapshot) and rejoin (k8sup-etcd-restore rejoin: this member joins the seed anew). A command may name its
# target, or the control planes it excludes. An expired, cancelled, claimed or answered command is never carried out.
set -euo pipefail

{{#unless storeNeedsRegion}}
STATE_BUCKET={{stateBucket}}
{{/unless}}
STATE_PREFIX={{statePrefix}}
{{#if storeNeedsRegion}}
STATE_REGION={{stateRegion}}
{{/if}}
# How many control planes (etcd members) the cluster spec has: restore commands are for one only.
CONTROL_PLANES={{controlPlaneCount}}
ROOT="${K8SUP_ROOT:-}"

log() { printf '[k8sup-etcd-control] %s\n' "$*" >&2; }
