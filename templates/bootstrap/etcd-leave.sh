#!/usr/bin/env bash
# k8sup-etcd-leave for {{{clusterNameRaw}}}: the ExecStop of k8sup-etcd-leave.service, so it runs when the instance
# shuts down. It removes this control plane's etcd member, so that its replacement joins a healthy etcd, but only
# when the node left the cluster first: its Node object is gone (rolling-update deletes it before it replaces the
# instance) or /etc/k8sup/leave-etcd exists. A reboot or a stop keeps the member. It never fails the shutdown: every
# outcome exits 0 and every call is bounded. What it could not do, the next joining control plane cleans up.
set -uo pipefail

ROOT="${K8SUP_ROOT:-}"
ETCD_CALL_TIMEOUT=10

log() { printf '[k8sup-etcd-leave] %s\n' "$*" >&2; }
