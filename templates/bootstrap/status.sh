
# --- Progress reports. The node writes <prefix>/<cluster>/nodes/status/<instance>.json with its own identity when a
# step starts, when the script fails and when it is done, so `k8sup get instances` and `validate cluster` can say
# where a bootstrap is stuck. Reporting is best effort: a report that cannot be written never stops the bootstrap.
# k8sup-bootstrap.service runs this script again until it succeeds; FAILURES_FILE counts the runs that failed.
FAILURES_FILE="${ROOT}/var/lib/k8sup/bootstrap-failures"
FAILURES="$(cat "${FAILURES_FILE}" 2>/dev/null || true)"
[[ "${FAILURES}" =~ ^[0-9]{1,6}$ ]] || FAILURES=0
ATTEMPT=$((FAILURES + 1))
# A node that finished once reports failures only: a rerun that changes nothing writes nothing.
REPORTING=1
if is_done bootstrap-complete; then REPORTING=0; fi
INSTANCE_ID=""

json_string() {
  local s="${1//\\/\\\\}"
  s="${s//\"/\\\"}"
  printf '"%s"' "${s//[$'\001'-$'\037']/ }"
}

report() {
  local state="$1" file
  [ "${state}" = failed ] || [ "${REPORTING}" = 1 ] || return 0
  if [ -z "${INSTANCE_ID}" ]; then
    INSTANCE_ID="$(instance_id)" || INSTANCE_ID=""
    [[ "${INSTANCE_ID}" =~ ^[A-Za-z0-9._-]{1,128}$ ]] || { log "no usable instance id for the progress report"; INSTANCE_ID=""; return 0; }
  fi
  file="$(mktemp)"
  printf '{"v":1,"instance":%s,"cluster":%s,"role":%s,"group":%s,"step":%s,"state":%s,"attempt":%d,"error":%s,"time":%s}\n' \
    "$(json_string "${INSTANCE_ID}")" "$(json_string "${CLUSTER_NAME}")" "$(json_string "${ROLE}")" "$(json_string "${NODE_GROUP}")" \
    "$(json_string "${STEP}")" "$(json_string "${state}")" "${ATTEMPT}" "$(json_string "${LAST_ERROR}")" \
    "$(json_string "$(date -u +%Y-%m-%dT%H:%M:%SZ)")" >"${file}"
  store_put "nodes/status/${INSTANCE_ID}.json" "${file}" || log "could not write the progress report (continuing)"
  rm -f "${file}"
}

# On failure: count it, say what failed (the die message, or the command set -e stopped at) and report it.
on_exit() {
  local status=$?
  [ "${status}" -ne 0 ] || return 0
  mkdir -p "$(dirname "${FAILURES_FILE}")"
  printf '%s\n' "${ATTEMPT}" >"${FAILURES_FILE}"
  rm -f "${STAMP_DIR}/bootstrap-complete"
  [ -n "${LAST_ERROR}" ] || LAST_ERROR="'${FAILED_COMMAND:-bootstrap}' exited with status ${status}"
  REPORTING=1
  report failed
}
# systemd stops a run with SIGTERM (the unit's TimeoutStartSec, `systemctl stop`, a shutdown). bash then runs the EXIT
# trap with the status of the last command that finished, often 0: without this the run would count as neither
# failed nor done, and its report would stay "running" at the step that hung.
on_term() {
  LAST_ERROR="stopped by SIGTERM during step ${STEP} (the unit's TimeoutStartSec, a stop or a shutdown)"
  exit 143
}
FAILED_COMMAND=""
set -o errtrace
trap 'FAILED_COMMAND="${BASH_COMMAND}"' ERR
trap on_term TERM
trap on_exit EXIT

# Backoff between runs: the unit restarts the script 10 s after a failure; wait longer the more runs failed.
if [ "${FAILURES}" -gt 0 ]; then
  BACKOFF=300
  if [ "${FAILURES}" -lt 6 ]; then BACKOFF=$((5 << FAILURES)); fi
  log "attempt ${ATTEMPT}: ${FAILURES} earlier run(s) failed, waiting ${BACKOFF}s"
  sleep "${BACKOFF}"
fi
