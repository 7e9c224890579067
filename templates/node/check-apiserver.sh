#!/bin/sh
# keepalived's health check for the API VIP (rendered by k8sup): this host only deserves the VIP while its HAProxy
# answers on {{bindPort}} and reaches a healthy API server. /healthz is readable without credentials.
curl -sfk --max-time 2 -o /dev/null https://localhost:{{bindPort}}/healthz || {
  echo "k8sup: https://localhost:{{bindPort}}/healthz does not answer" >&2
  exit 1
}
