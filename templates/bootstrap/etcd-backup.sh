#!/usr/bin/env bash
# k8sup-etcd-backup for {{{clusterNameRaw}}}: snapshots this control plane's etcd member with etcdctl and the etcd
# client certificate, checks the snapshot, and keeps it with its sha256 in a manifest (docs/backups.md).
{{#if cloud}}
# Uploads to <prefix>/<cluster>/backups/etcd/<id>/ in the state store with this instance's identity. Only the etcd
# leader uploads on the schedule, so an HA cluster keeps one series of backups; --force uploads from any member.
{{else}}
# Keeps them on this host under /var/lib/k8sup/etcd-backups/<id>/; `k8sup backup cluster` runs it over SSH with
# --force and copies the result into the state store.
{{/if}}
# Run by k8sup-etcd-backup.timer (schedule {{{backupSchedule}}}), or by hand: k8sup-etcd-backup [--force]
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
CLUSTER_NAME={{clusterName}}
RETAIN={{backupRetain}}
ROOT="${K8SUP_ROOT:-}"

log() { printf '[k8sup-etcd-backup] %s\n' "$*" >&2; }
