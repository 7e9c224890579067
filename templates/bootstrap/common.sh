
log() { printf '[k8sup] %s\n' "$*" >&2; }
{{#if cloud}}
# LAST_ERROR is what the node's progress report says when the script stops (docs/bootstrap.md, "Progress reports").
LAST_ERROR=""
{{/if}}
die() { {{#if cloud}}LAST_ERROR="$*"; {{/if}}log "ERROR: $*"; exit 1; }

# step NAME MESSAGE: logs the start of a step{{#if cloud}} and reports it to the state store{{/if}}.
{{#if cloud}}
STEP=start
{{/if}}
step() {
{{#if cloud}}
  STEP="$1"
{{/if}}
  log "$2"
{{#if cloud}}
  report running
{{/if}}
}

# retry ATTEMPTS WHAT COMMAND...: runs COMMAND until it succeeds, at most ATTEMPTS times, 5, 10, 20, 40, then 60 s
# apart. For what needs time at first boot: IAM propagation, the API server, apt mirrors.
retry() {
  local attempts="$1" what="$2" n=1 delay=5
  shift 2
  until "$@"; do
    if [ "${n}" -ge "${attempts}" ]; then
{{#if cloud}}
      LAST_ERROR="${what} failed ${attempts} times"
{{/if}}
      return 1
    fi
    log "${what} failed (attempt ${n}/${attempts}), again in ${delay}s"
    sleep "${delay}"
    n=$((n + 1))
    delay=$((delay < 30 ? delay * 2 : 60))
  done
}

# write_file PATH MODE < content: replaces PATH only when the content differs, so a second run changes nothing.
# Sets WROTE=1 when it wrote, WROTE=0 when the file was already up to date.
WROTE=0
write_file() {
  local path="$1" mode="$2" tmp
  mkdir -p "$(dirname "${path}")"
  tmp="$(mktemp "${path}.k8sup.XXXXXX")"
  cat >"${tmp}"
  chmod "${mode}" "${tmp}"
  if [ -f "${path}" ] && cmp -s "${tmp}" "${path}"; then
    rm -f "${tmp}"
    WROTE=0
  else
    mv -f "${tmp}" "${path}"
    WROTE=1
  fi
}

# Steps that install something leave a stamp named after what they installed (and its version).
STAMP_DIR="${ROOT}/var/lib/k8sup/done"
is_done() { [ -f "${STAMP_DIR}/$1" ]; }
mark_done() { mkdir -p "${STAMP_DIR}"; : >"${STAMP_DIR}/$1"; }

{{#if controlPlane}}
# enable_when_written NAME CHANGED UNIT: enables and starts UNIT once its files were written (CHANGED=1), and owes it
# (a stamp) until that is done: a run stopped between the write and the enable (a reboot, a kill) would otherwise find
# the files up to date for good and never enable the unit.
enable_when_written() {
  local name="$1" changed="$2" unit="$3"
  if [ "${changed}" = 1 ]; then mark_done "${name}-enable-pending"; fi
  if is_done "${name}-enable-pending"; then
    systemctl daemon-reload
    systemctl enable --now "${unit}"
    rm -f "${STAMP_DIR}/${name}-enable-pending"
  fi
}

{{/if}}
# download URL DEST SHA256: fetch into a temporary file, verify the pinned checksum, then move it into place.
download() {
  local url="$1" dest="$2" sum="$3"
  [ -n "${sum}" ] || die "no pinned sha256 for ${url}; refusing an unverified download"
  mkdir -p "$(dirname "${dest}")"
  curl -fsSL --retry 5 --retry-delay 3 --connect-timeout 10 -o "${dest}.part" "${url}"
  printf '%s  %s\n' "${sum}" "${dest}.part" | sha256sum -c --quiet - || die "checksum mismatch for ${url}"
  mv -f "${dest}.part" "${dest}"
}

case "$(uname -m)" in
  x86_64 | amd64) ARCH=amd64 ;;
  aarch64 | arm64) ARCH=arm64 ;;
  *) die "unsupported CPU architecture $(uname -m)" ;;
esac
