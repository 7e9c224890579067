
# --- the OS package mirror (spec.assets.packageMirrors): the distribution's repositories point at it before anything
# is installed, so no package comes from the public archives.
step package-mirror "OS package mirror"
{{#if dnf}}
for repo in "${ROOT}"/etc/yum.repos.d/*.repo; do
  [ -f "${repo}" ] || continue
  case "${repo##*/}" in k8sup-*) continue ;; esac
  # metalink/mirrorlist would still reach the public mirror network: baseurl on the mirror replaces them.
  sed -i -E -e 's/^metalink=/#metalink=/' -e 's/^mirrorlist=/#mirrorlist=/' -e "s|^#?baseurl=https?://[^/]+/|baseurl=${DNF_MIRROR}/|" "${repo}"
done
{{else}}
# Ubuntu keeps its sources in deb822 (/etc/apt/sources.list.d/*.sources) or the classic sources.list.
for sources in "${ROOT}/etc/apt/sources.list" "${ROOT}"/etc/apt/sources.list.d/*.sources "${ROOT}"/etc/apt/sources.list.d/*.list; do
  [ -f "${sources}" ] || continue
  case "${sources##*/}" in k8sup-*) continue ;; esac
  sed -i -E "s#https?://[a-z0-9.-]+/(ubuntu|ubuntu-ports|debian|debian-security)/?([[:space:]]|\$)#${APT_MIRROR}/\\1/\\2#g" "${sources}"
done
{{/if}}
