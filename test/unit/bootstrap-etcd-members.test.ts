// etcd membership of replaced cloud control planes, run for real (bash) under the stub harness with a kubectl stub
// that plays the API and the etcd pods from canned answers: the joiner's stale-member cleanup (before kubeadm join,
// removing only members that are both without a node and dead) and k8sup-etcd-leave, the ExecStop that removes a
// control plane's own member at shutdown only when its Node was deleted first.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, test } from 'node:test';
import { bootstrapBundle, renderBootstrapInstaller, renderBootstrapScript, renderEtcdLeaveScript, renderLoader } from '../../src/bootstrap/index.js';
import { addonsOf } from '../../src/addons/index.js';
import { PROVIDERS, ROLES, VERSIONS, testInput } from '../helpers/bootstrap-fixtures.js';
import { createStubRoot, FAKE_BOOTSTRAP_TOKEN, type StubRoot, type StubRun } from '../helpers/stub-root.js';

const PUBLISHED_TOKEN = `token=${FAKE_BOOTSTRAP_TOKEN}\nexpires=2030-01-01T00:00:00Z\nissuer=ip-10-0-0-9\n`;
/** What the stub metadata service answers for the local hostname: the joining node's name on AWS. */
const SELF = 'ip-10-0-0-5.us-east-2.compute.internal';
const host = (n: number) => `ip-10-0-0-${n}.us-east-2.compute.internal`;
const member = (id: string, state: string, name: string, ip: string) =>
  `${id}, ${state}, ${name}, https://${ip}:2380, ${state === 'started' ? `https://${ip}:2379` : ''}, false`;

// kubectl as the API and the etcd pods would answer, from files under $STUB_DIR/kube (written by `cluster` below).
const KUBECTL_STUB = `#!/usr/bin/env bash
set -u
printf '%s\\n' "kubectl $*" >>"\${STUB_LOG}"
k="\${STUB_DIR}/kube"
args=" $* "
# After kubeadm join, the cluster's ClusterConfiguration at the version of the script running (no upgrade here: see
# stub-command.sh); \`api-down\` plays an API that cannot be asked during the etcd cleanup before the join.
if [[ "\${args}" == *" get configmap kubeadm-config "* ]]; then printf 'kubernetesVersion: v%s\\n' "$(sed -n 's/^K8S_VERSION=//p' "\${STUB_SCRIPT}" | tr -d "'")"; exit 0; fi
if [ -f "\${k}/api-down" ]; then echo "Unable to connect to the server: dial tcp: i/o timeout" >&2; exit 1; fi
case "\${args}" in
  *" get nodes "*) tr '\\n' ' ' <"\${k}/nodes"; exit 0 ;;
  *" get node "*)
    name="\${args#* get node }"; name="\${name%% *}"
    if grep -qx "\${name}" "\${k}/nodes"; then echo "node/\${name}"; exit 0; fi
    echo "Error from server (NotFound): nodes \\"\${name}\\" not found" >&2; exit 1 ;;
  *" get pods "*) tr '\\n' ' ' <"\${k}/etcd-pods"; exit 0 ;;
  *" exec "*)
    pod="\${args#* exec }"; pod="\${pod%% *}"
    endpoint="\${args#* --endpoints }"; endpoint="\${endpoint%% *}"
    if grep -qx "\${pod}" "\${k}/broken-pods" 2>/dev/null; then echo "error: unable to upgrade connection" >&2; exit 1; fi
    case "\${args}" in
      *" member list "*) cat "\${k}/members"; exit 0 ;;
      *" endpoint health "*) grep -qx "\${endpoint}" "\${k}/healthy" 2>/dev/null && exit 0; echo "\${endpoint} is unhealthy" >&2; exit 1 ;;
      *" member remove "*)
        [ -f "\${k}/remove-fails" ] && { echo "etcdserver: unhealthy cluster" >&2; exit 1; }
        printf '%s\\n' "\${args##* member remove }" | tr -d ' ' >>"\${k}/removed"; exit 0 ;;
    esac ;;
esac
exit 0
`;

interface FakeCluster {
  nodes: string[];
  etcdPods: string[];
  members: string[];
  healthy?: string[];
  brokenPods?: string[];
  apiDown?: boolean;
  removeFails?: boolean;
}

/** Replaces the harness's silent kubectl with the canned one, and writes the answers. */
function cluster(s: StubRoot, c: FakeCluster): void {
  const base = dirname(s.root);
  writeFileSync(join(base, 'bin', 'kubectl'), KUBECTL_STUB);
  chmodSync(join(base, 'bin', 'kubectl'), 0o755);
  const k = join(base, 'kube');
  mkdirSync(k, { recursive: true });
  const lines = (xs: string[] = []) => xs.map((x) => `${x}\n`).join('');
  writeFileSync(join(k, 'nodes'), lines(c.nodes));
  writeFileSync(join(k, 'etcd-pods'), lines(c.etcdPods));
  writeFileSync(join(k, 'members'), lines(c.members));
  writeFileSync(join(k, 'healthy'), lines(c.healthy));
  writeFileSync(join(k, 'broken-pods'), lines(c.brokenPods));
  if (c.apiDown) writeFileSync(join(k, 'api-down'), '');
  if (c.removeFails) writeFileSync(join(k, 'remove-fails'), '');
}

const removed = (s: StubRoot): string[] => {
  const path = join(dirname(s.root), 'kube', 'removed');
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
};

function indexOf(run: StubRun, pattern: RegExp): number {
  const i = run.calls.findIndex((c) => pattern.test(c));
  assert.ok(i >= 0, `no call matches ${pattern}; calls:\n${run.calls.join('\n')}`);
  return i;
}

function assertSucceeded(run: StubRun): void {
  assert.equal(run.status, 0, `script failed (${run.status}):\n${run.stderr}`);
}

let stub: StubRoot | undefined;
afterEach(() => {
  stub?.cleanup();
  stub = undefined;
});

describe('k8sup-etcd-leave.service and script (rendered)', () => {
  test('rendered on cloud control planes only: ExecStop runs k8sup-etcd-leave, bounded, ordered before etcd/kubelet stop', () => {
    for (const provider of PROVIDERS) {
      for (const role of ROLES) {
        const script = renderBootstrapScript(testInput(provider, role));
        const expected = provider !== 'metal' && role !== 'worker';
        assert.equal(script.includes('k8sup-etcd-leave.service'), expected, `${provider} ${role}`);
        assert.equal(/^\s*remove_stale_etcd_members$/m.test(script), expected, `${provider} ${role}: stale-member cleanup`);
        if (!expected) assert.throws(() => renderEtcdLeaveScript(testInput(provider, role)), /only cloud control planes/);
      }
    }
    const script = renderBootstrapScript(testInput('gce', 'control-plane-join'));
    const unit = /<<'K8SUP_EOF_ETCD_LEAVE_UNIT'\n([\s\S]*?)\nK8SUP_EOF_ETCD_LEAVE_UNIT/.exec(script)?.[1] ?? '';
    assert.match(unit, /^ExecStop=\/usr\/local\/sbin\/k8sup-etcd-leave$/m);
    assert.match(unit, /^ExecStart=\/bin\/true$/m);
    assert.match(unit, /^RemainAfterExit=yes$/m, 'stays active, so that its ExecStop runs at shutdown');
    assert.match(unit, /^TimeoutStopSec=60$/m);
    assert.match(unit, /^After=.*containerd\.service.*kubelet\.service/m, 'stopped before containerd and the kubelet');
    assert.match(unit, /^WantedBy=multi-user\.target$/m);
    // The embedded script is the one renderEtcdLeaveScript produces, and each of its calls is bounded.
    const leave = renderEtcdLeaveScript(testInput('gce', 'control-plane-join'));
    assert.ok(script.includes(leave.replace(/\n+$/, '')));
    assert.match(leave, /^ETCD_CALL_TIMEOUT=10$/m);
    for (const line of leave.split('\n').filter((l) => /^\s*(answer=.*)?[^#]*\bkubectl /.test(l) && !/^\s*#/.test(l))) {
      assert.match(line, /timeout "\$\{ETCD_CALL_TIMEOUT\}" kubectl/, `unbounded kubectl: ${line}`);
    }
  });
});

test('AWS user data is the loader, under 4 KB raw whatever the script; the script itself (the bundle) has no EC2 limit', () => {
  // EC2: "User data is limited to 16 KB, in raw form, before it is base64-encoded". The user data used to carry the
  // whole script (14.7 KB gzipped for a control plane); now it carries the loader, which fetches the script from the
  // state store (src/bootstrap/loader.ts; every provider and role: bootstrap-loader.test.ts).
  for (const version of VERSIONS) {
    for (const cni of ['calico', 'cilium', 'flannel'] as const) {
      for (const role of ['control-plane-init', 'control-plane-join', 'worker'] as const) {
        const input = testInput('aws', role, { version, cni });
        const bundle = bootstrapBundle(renderBootstrapInstaller(renderBootstrapScript(input)));
        const userData = renderLoader(input, bundle);
        assert.ok(Buffer.byteLength(userData) < 4 * 1024, `aws ${role} ${version} ${cni}: ${Buffer.byteLength(userData)} bytes`);
        assert.ok(gzipSync(Buffer.from(bundle.content), { level: 9 }).length > 4 * 1024, 'the script moved to the bundle');
      }
    }
  }
});

describe('joining control plane: stale etcd members are removed before kubeadm join', () => {
  test('aws control-plane join: removes only started members without a node (or with its own name) that do not answer', () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    cluster(stub, {
      nodes: [host(1), host(2), host(7)],
      // Its own pod name never exists yet, but would be skipped; the first peer pod cannot exec, the second can.
      etcdPods: [`etcd-${SELF}`, `etcd-${host(1)}`, `etcd-${host(2)}`],
      brokenPods: [`etcd-${host(1)}`],
      members: [
        member('a1', 'started', host(1), '10.0.0.1'), // node, healthy: kept
        member('a2', 'started', host(2), '10.0.0.2'), // node, not answering (rebooting?): kept
        member('a3', 'started', host(3), '10.0.0.3'), // no node, dead: removed
        member('a4', 'started', host(4), '10.0.0.4'), // no node yet but answers (joining right now): kept
        member('a6', 'unstarted', '', '10.0.0.6'), // added, never started (a join in progress): kept
        member('a5', 'started', SELF, '10.0.0.50'), // this node's own name from before (GCE keeps names), dead: removed
      ],
      healthy: ['https://10.0.0.1:2379', 'https://10.0.0.4:2379'],
    });
    const script = renderBootstrapScript(testInput('aws', 'control-plane-join'));
    const run = stub.run(script);
    assertSucceeded(run);
    assert.deepEqual(removed(stub), ['a3', 'a5']);
    const credential = indexOf(run, /^kubeadm kubeconfig user --config \S+\/etc\/k8sup\/etcd-cleanup\.conf\.yaml --client-name k8sup:etcd-cleanup:ip-10-0-0-5\.us-east-2\.compute\.internal --org kubeadm:cluster-admins --validity-period 1h$/);
    const list = indexOf(run, new RegExp(`^kubectl --kubeconfig \\S+/etc/k8sup/etcd-cleanup\\.conf .* exec etcd-${host(2).replace(/\./g, '\\.')} -- etcdctl --endpoints https://127\\.0\\.0\\.1:2379 .* member list$`));
    const firstRemove = indexOf(run, / member remove a3$/);
    const join_ = indexOf(run, /^kubeadm join --config /);
    assert.ok(credential < list && list < firstRemove && firstRemove < join_, `order: credential ${credential}, list ${list}, remove ${firstRemove}, join ${join_}`);
    assert.ok(indexOf(run, / member remove a5$/) < join_);
    // Only the nodeless (or self-named) started members were probed, each at its own client URL.
    const probed = run.calls.filter((c) => c.includes(' endpoint health')).map((c) => /--endpoints (\S+)/.exec(c)?.[1]);
    assert.deepEqual(probed, ['https://10.0.0.3:2379', 'https://10.0.0.4:2379', 'https://10.0.0.50:2379']);
    assert.ok(!run.calls.some((c) => c.includes(`exec etcd-${SELF} `)), 'exec into its own (not yet running) etcd pod');
    assert.match(run.stderr, /member a6 .* has not started yet/);
    assert.match(run.stderr, new RegExp(`member ${host(4).replace(/\./g, '\\.')} \\(a4\\) has no node but answers`));
    // The admin credential does not outlive the cleanup; the node name is recorded for k8sup-etcd-leave.
    assert.ok(!existsSync(join(stub.root, 'etc/k8sup/etcd-cleanup.conf')));
    assert.ok(!existsSync(join(stub.root, 'etc/k8sup/etcd-cleanup.conf.yaml')));
    assert.equal(readFileSync(join(stub.root, 'etc/k8sup/node-name'), 'utf8'), `${SELF}\n`);
    // The leave unit is installed and started after the join.
    assert.ok(indexOf(run, /^systemctl enable --now k8sup-etcd-leave\.service$/) > join_);
    assert.match(readFileSync(join(stub.root, 'etc/systemd/system/k8sup-etcd-leave.service'), 'utf8'), /^ExecStop=\/usr\/local\/sbin\/k8sup-etcd-leave$/m);
    assert.ok(existsSync(join(stub.root, 'usr/local/sbin/k8sup-etcd-leave')));
    // A second run changes nothing and touches etcd no more.
    const again = stub.run(script);
    assertSucceeded(again);
    assert.ok(!again.calls.some((c) => c.startsWith('kubectl') || c.startsWith('kubeadm') || c.startsWith('systemctl')), again.calls.join('\n'));
    assert.deepEqual(removed(stub), ['a3', 'a5']);
  });

  test('replaced first control plane (rejoin): the cleanup runs before its kubeadm join too; a healthy etcd loses nothing', () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/initialized', 'initialized=true\n');
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    cluster(stub, {
      nodes: [host(1), host(2)],
      etcdPods: [`etcd-${host(1)}`],
      members: [member('b1', 'started', host(1), '10.0.0.1'), member('b2', 'started', host(2), '10.0.0.2')],
    });
    const run = stub.run(renderBootstrapScript(testInput('gce', 'control-plane-init')));
    assertSucceeded(run);
    assert.ok(indexOf(run, / member list$/) < indexOf(run, /^kubeadm join /));
    assert.ok(!run.calls.some((c) => c.startsWith('kubeadm init')));
    assert.ok(!run.calls.some((c) => / endpoint health| member remove/.test(c)), 'members with nodes are not even probed');
    assert.deepEqual(removed(stub), []);
  });

  test('an API that cannot be asked: warns loudly, removes nothing, still joins', () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    cluster(stub, { nodes: [], etcdPods: [], members: [member('c3', 'started', host(3), '10.0.0.3')], apiDown: true });
    // Without addons: applying them needs the API (a control plane stops there and retries, as it should).
    const input = testInput('aws', 'control-plane-join');
    input.cluster.spec.addons = Object.fromEntries(addonsOf(input.cluster.spec.cloud).map((a) => [a.name, { enabled: false }]));
    const run = stub.run(renderBootstrapScript(input));
    assertSucceeded(run);
    assert.match(run.stderr, /WARNING: could not check etcd for members of replaced control planes; joining anyway/);
    assert.ok(indexOf(run, /^kubectl --kubeconfig \S+ --request-timeout=30s get nodes /) < indexOf(run, /^kubeadm join /), 'the API was asked first');
    assert.deepEqual(removed(stub), []);
    assert.ok(!existsSync(join(stub.root, 'etc/k8sup/etcd-cleanup.conf')), 'the credential outlived a failed cleanup');
  });

  test('workers never look at etcd', () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    cluster(stub, { nodes: [], etcdPods: [`etcd-${host(1)}`], members: [member('d3', 'started', host(3), '10.0.0.3')] });
    const run = stub.run(renderBootstrapScript(testInput('aws', 'worker')));
    assertSucceeded(run);
    assert.ok(!run.calls.some((c) => c.startsWith('kubectl') || c.startsWith('kubeadm kubeconfig')), run.calls.join('\n'));
    assert.ok(!existsSync(join(stub.root, 'etc/systemd/system/k8sup-etcd-leave.service')));
  });
});

describe('k8sup-etcd-leave at shutdown', () => {
  const leaving = host(3);
  const members = [member('e1', 'started', host(1), '10.0.0.1'), member('e3', 'started', leaving, '10.0.0.3')];
  function prepared(c: Omit<FakeCluster, 'members' | 'etcdPods'> & { members?: string[] }): { s: StubRoot; script: string } {
    const s = createStubRoot();
    s.writeFile('etc/kubernetes/admin.conf', 'admin');
    s.writeFile('etc/k8sup/node-name', `${leaving}\n`, 0o644);
    cluster(s, { etcdPods: [`etcd-${leaving}`, `etcd-${host(1)}`], members, ...c });
    return { s, script: renderEtcdLeaveScript(testInput('aws', 'control-plane-join')) };
  }

  test('its Node was deleted (rolling-update): removes its own member through a peer etcd pod', () => {
    const { s, script } = prepared({ nodes: [host(1)] });
    stub = s;
    const run = s.run(script);
    assertSucceeded(run);
    assert.deepEqual(removed(s), ['e3']);
    indexOf(run, new RegExp(`^kubectl .* get node ${leaving.replace(/\./g, '\\.')} -o name$`));
    assert.ok(indexOf(run, / member list$/) < indexOf(run, / member remove e3$/));
    assert.ok(!run.calls.some((c) => c.includes(`exec etcd-${leaving} `)), 'used its own etcd pod, which is going away');
    assert.ok(run.calls.every((c) => !c.startsWith('kubectl') || c.includes('--request-timeout=10s')), 'an unbounded API call');
    assert.match(run.stderr, /was deleted from the cluster: leaving etcd/);
    assert.match(run.stderr, /removed etcd member .* \(e3\)/);
    // Idempotent: once gone from the member list, a second run removes nothing.
    s.writeFile('../kube/members', `${members[0]}\n`);
    const again = s.run(script);
    assertSucceeded(again);
    assert.match(again.stderr, /already removed/);
    assert.deepEqual(removed(s), ['e3']);
  });

  test('a reboot or a stop (Node still registered) keeps the member; so does an API that cannot tell', () => {
    const registered = prepared({ nodes: [host(1), leaving] });
    stub = registered.s;
    const run = registered.s.run(registered.script);
    assertSucceeded(run);
    assert.match(run.stderr, /still registered .*keeping its etcd member/);
    assert.ok(!run.calls.some((c) => / exec /.test(c)));
    assert.deepEqual(removed(registered.s), []);
    registered.s.cleanup();

    const down = prepared({ nodes: [host(1)], apiDown: true });
    stub = down.s;
    const run2 = down.s.run(down.script);
    assertSucceeded(run2);
    assert.match(run2.stderr, /cannot tell whether node .* was deleted \(Unable to connect.*\): keeping its etcd member/);
    assert.deepEqual(removed(down.s), []);
  });

  test('/etc/k8sup/leave-etcd asks for it without the Node check; a failed removal still exits 0', () => {
    const { s, script } = prepared({ nodes: [host(1), leaving], removeFails: true });
    stub = s;
    s.writeFile('etc/k8sup/leave-etcd', '');
    const run = s.run(script);
    assertSucceeded(run);
    assert.ok(!run.calls.some((c) => / get node /.test(c)));
    indexOf(run, / member remove e3$/);
    assert.match(run.stderr, /could not remove etcd member .*the next joining control plane removes it/);
  });

  test('not a joined control plane: does nothing', () => {
    stub = createStubRoot();
    cluster(stub, { nodes: [], etcdPods: [], members: [] });
    const run = stub.run(renderEtcdLeaveScript(testInput('gce', 'control-plane-init')));
    assertSucceeded(run);
    assert.deepEqual(run.calls, []);
  });
});
