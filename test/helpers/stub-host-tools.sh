#!/usr/bin/env bash
# k8sup test stub for the host tools of bare-metal installs (ufw, firewall-cmd, dnf, getenforce, setenforce): logs
# its argv to $STUB_LOG like stub-command.sh (over sshd: $K8SUP_ROOT/calls.log like test/helpers/sshd.ts's stubs),
# and answers status questions from files in $STUB_DIR (over sshd: $K8SUP_ROOT):
#   ufw-active         `ufw status` says "Status: active" (else inactive)
#   firewalld-running  `firewall-cmd --state` says running, exit 0 (else "not running", exit 252 like firewalld)
#   selinux-mode       what getenforce prints (default Enforcing)
set -u
STUB_LOG="${STUB_LOG:-${K8SUP_ROOT}/calls.log}"
STUB_DIR="${STUB_DIR:-${K8SUP_ROOT}}"
name="$(basename "$0")"
printf '%s\n' "${name} $*" >>"${STUB_LOG}"
case "${name}" in
  ufw)
    if [ "${1:-}" = status ]; then
      if [ -f "${STUB_DIR}/ufw-active" ]; then echo "Status: active"; else echo "Status: inactive"; fi
    fi ;;
  firewall-cmd)
    if [ "${1:-}" = --state ]; then
      if [ -f "${STUB_DIR}/firewalld-running" ]; then echo running; exit 0; fi
      echo "not running"; exit 252
    fi ;;
  getenforce) cat "${STUB_DIR}/selinux-mode" 2>/dev/null || echo Enforcing ;;
esac
exit 0
