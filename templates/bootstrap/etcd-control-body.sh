
CONTROL=backups/etcd/control
BACKUP_SCRIPT="${ROOT}/usr/local/sbin/k8sup-etcd-backup"
RESTORE_SCRIPT="${ROOT}/usr/local/sbin/k8sup-etcd-restore"
umask 077
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

json_num() { sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\).*/\1/p" | head -n 1; }
# Text that goes into result.json: one line, no quotes or backslashes, bounded.
json_safe() { tr -d '"[:cntrl:]\134' | cut -c 1-300; }

# One look at the control folder, carrying out the command there if it is this host's. A subshell, so its `exit`s end
# only this look; it leaves ${work}/fast when an HA restore is under way (see the loop below).
poll_once() (
  set -e
  found=0
  store_has "${CONTROL}/command.json" || found=$?
  case "${found}" in
    0) ;;
    1) exit 0 ;;
    *) log "cannot read the control folder of the state store: trying again on the next run"; exit 1 ;;
  esac
  store_get "${CONTROL}/command.json" "${work}/command.json" || { log "cannot download ${CONTROL}/command.json"; exit 1; }
  id="$(json_field id <"${work}/command.json")"
  action="$(json_field action <"${work}/command.json")"
  not_after="$(json_num notAfter <"${work}/command.json")"
  if ! [[ "${id}" =~ ^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$ ]] || [ -z "${not_after}" ]; then
    log "the current command is not one k8sup wrote (id ${id:-none}): ignored"
    exit 0
  fi
  # The CLI stops waiting at notAfter: a command nobody waits for any more is never carried out (a late restore of an
  # old snapshot would throw away everything written since).
  if [ "$(date -u +%s)" -gt "${not_after}" ]; then exit 0; fi
  # The steps of an HA restore follow each other within seconds: look again soon (the loop below).
  case "${action}" in restore-seed | rejoin) : >"${work}/fast" ;; esac
  answered=0
  store_has "${CONTROL}/${id}/result.json" || answered=$?
  case "${answered}" in
    0) exit 0 ;;
    1) ;;
    *) log "cannot tell whether command ${id} was answered: trying again on the next run"; exit 1 ;;
  esac

  # The claim: a create-only write, so exactly one writer gets the command — one control plane, or the CLI that
  # cancels it. The nonce tells this run's own claim (whose reply may have been lost) from anyone else's.
  node="$(instance_node_name 2>/dev/null || hostname)"
  # A command may be for one control plane only (target) or for any but some (exclude, comma-separated node names):
  # the others leave it alone, without claiming it.
  target="$(json_field target <"${work}/command.json")"
  exclude="$(json_field exclude <"${work}/command.json")"
  if [ -n "${target}" ] && [ "${target}" != "${node}" ]; then
    [ "${ROUND}" != 1 ] || log "command ${id} (${action}) is for ${target}"
    exit 0
  fi
  case ",${exclude}," in
    *",${node},"*)
      [ "${ROUND}" != 1 ] || log "command ${id} (${action}) is not for ${node}"
      exit 0
      ;;
  esac
  nonce="$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  printf '{"v":1,"command":"%s","node":"%s","nonce":"%s","time":"%s"}\n' "${id}" "${node}" "${nonce}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"${work}/claim.json"
  claimed=0
  for attempt in 1 2 3; do
    created=0
    store_create "${CONTROL}/${id}/claim.json" "${work}/claim.json" || created=$?
    if [ "${created}" = 0 ]; then claimed=1; break; fi
    # Taken, or unknown: whoever holds the claim now says who has the command.
    if store_get "${CONTROL}/${id}/claim.json" "${work}/claimed.json"; then
      if [ "$(json_field nonce <"${work}/claimed.json")" = "${nonce}" ]; then claimed=1; break; fi
      if [ "${ROUND}" != 1 ]; then exit 0; fi
      if grep -q '"cancelled":true' "${work}/claimed.json"; then
        log "command ${id} was cancelled"
      else
        log "command ${id} is claimed by $(json_field node <"${work}/claimed.json")"
      fi
      exit 0
    fi
    if [ "${created}" = 1 ]; then log "command ${id} is claimed, but its claim cannot be read"; exit 1; fi
    sleep "${attempt}"
  done
  [ "${claimed}" = 1 ] || { log "cannot claim command ${id}: trying again on the next run"; exit 1; }
  log "claimed command ${id} (${action})"

  status="done"
  backup=""
  message=""
  # restore-seed / rejoin: the member this control plane runs (NAME=PEER_URL) and the seed's client URL.
  member=""
  client=""
  run_step() {
    if "$@" >"${work}/out" 2>"${work}/err"; then
      cat "${work}/err" >&2
      return 0
    fi
    cat "${work}/err" >&2
    status=failed
    message="$(tail -n 1 "${work}/err" | json_safe)"
    return 1
  }
  case "${action}" in
    backup)
      if run_step "${BACKUP_SCRIPT}" --command "${id}"; then
        backup="$(sed -n 's/^backup=//p' "${work}/out" | head -n 1)"
        [ -n "${backup}" ] || { status=failed; message="the backup script named no backup"; }
      fi
      ;;
    restore)
      backup="$(json_field backup <"${work}/command.json")"
      sha256="$(json_field sha256 <"${work}/command.json")"
      if [ "${CONTROL_PLANES}" -ne 1 ]; then
        # Every member of an HA cluster must restore the same snapshot with the same initial cluster at once: that is
        # the operator's procedure (docs/backups.md), not one control plane's.
        status=failed
        message="restore commands restore a single control plane; this cluster has ${CONTROL_PLANES}: k8sup restores it with restore-seed and rejoin commands (docs/backups.md, Restoring an HA control plane)"
      elif run_step "${RESTORE_SCRIPT}" fetch "${backup}"; then
        snapshot="$(sed -n 's/^snapshot=//p' "${work}/out")"
        if [ "$(sed -n 's/^sha256=//p' "${work}/out")" != "${sha256}" ]; then
          status=failed
          message="backup ${backup} in the store no longer has sha256 ${sha256}: not restored"
        elif run_step "${RESTORE_SCRIPT}" stop "${snapshot}" "${sha256}" && run_step "${RESTORE_SCRIPT}" start; then
          run_step "${RESTORE_SCRIPT}" health 300 || true
        fi
      fi
      ;;
    restore-seed)
      # HA restore, step 1: this control plane restores the snapshot as a one-member cluster (the seed).
      backup="$(json_field backup <"${work}/command.json")"
      sha256="$(json_field sha256 <"${work}/command.json")"
      restore_id="$(json_field restore <"${work}/command.json")"
      if run_step "${RESTORE_SCRIPT}" fetch "${backup}"; then
        snapshot="$(sed -n 's/^snapshot=//p' "${work}/out")"
        if [ "$(sed -n 's/^sha256=//p' "${work}/out")" != "${sha256}" ]; then
          status=failed
          message="backup ${backup} in the store no longer has sha256 ${sha256}: not restored"
        elif run_step "${RESTORE_SCRIPT}" seed "${snapshot}" "${sha256}" "${restore_id}"; then
          member="$(sed -n 's/^member=//p' "${work}/out" | json_safe)"
          client="$(sed -n 's/^client=//p' "${work}/out" | json_safe)"
        fi
      fi
      ;;
    rejoin)
      # HA restore, the next steps: this control plane joins the seed's cluster as a new member.
      backup="$(json_field backup <"${work}/command.json")"
      restore_id="$(json_field restore <"${work}/command.json")"
      if run_step "${RESTORE_SCRIPT}" rejoin "$(json_field seed <"${work}/command.json")" "${restore_id}"; then
        member="$(sed -n 's/^member=//p' "${work}/out" | json_safe)"
      fi
      ;;
    *)
      status=failed
      message="unknown command action ${action}"
      ;;
  esac

  printf '{"v":1,"command":"%s","action":"%s","status":"%s","backup":"%s","node":"%s","time":"%s","message":"%s","member":"%s","client":"%s"}\n' \
    "${id}" "${action}" "${status}" "${backup}" "${node}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${message}" "${member}" "${client}" >"${work}/result.json"
  store_put_retry "${CONTROL}/${id}/result.json" "${work}/result.json" || { log "cannot write the result of command ${id}"; exit 1; }
  log "command ${id} ${status}${backup:+ (backup ${backup})}${message:+: ${message}}"
  [ "${status}" = "done" ]
)

# An HA restore is a sequence of commands (restore-seed, then one rejoin per other member), each waiting for the one
# before: while such a command is open, look again every few seconds instead of once a minute — bounded by
# K8SUP_CONTROL_FAST_SECONDS (default 50 s, within the timer's minute; systemd never runs two pollers at once).
FAST_SECONDS="${K8SUP_CONTROL_FAST_SECONDS:-50}"
started="$(date -u +%s)"
ROUND=1
while :; do
  rm -f "${work}/fast"
  set +e
  poll_once
  rc=$?
  set -e
  [ -f "${work}/fast" ] || exit "${rc}"
  [ "$(($(date -u +%s) - started + 3))" -le "${FAST_SECONDS}" ] || exit "${rc}"
  ROUND=$((ROUND + 1))
  sleep 3
done
