// `k8sup validate cluster` end to end: the real CLI (in a child process, as a pipeline runs it) against the fake
// kube-apiserver. Covers the exit codes 0 / 4 / 1, the single JSON document with --wait, and the reaction time.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cluster } from '../../src/api/types.js';
import { healthyClusterState, makeTestPki, startFakeKubeApiserver, type FakeKubeApiserver, type TestPki } from '../fakes/kube-apiserver.js';
import { freePort } from '../helpers/net.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// What bin/k8sup does, but from the TypeScript sources, so the test needs no build.
const LAUNCHER = `
const { run } = await import(${JSON.stringify(join(ROOT, 'src/cli/main.ts'))});
try { process.exitCode = (await run(process.argv.slice(1))) ?? 0; }
catch (err) {
  process.stderr.write('error: ' + (err?.message ?? err) + '\\nhint: ' + (err?.hint ?? '') + '\\n');
  process.exitCode = Number.isInteger(err?.exitCode) ? err.exitCode : 1;
}`;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  exitedAt: number;
}

function k8sup(...args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', LAUNCHER, '--', ...args, '--state', `file://${join(dir, 'state')}`], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, K8SUP_PROGRESS: 'plain' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, exitedAt: Date.now() });
    });
  });
}

let dir: string;
let pki: TestPki;
let fake: FakeKubeApiserver;
let cluster: Cluster;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'k8sup-validate-cli-'));
  // A metal cluster spec stored without --yes: planning it needs no cloud.
  writeFileSync(join(dir, 'hosts.yaml'), 'hosts:\n- {address: 10.0.0.10, user: root, role: control-plane}\n- {address: 10.0.0.20, user: root, role: worker}\n');
  const created = await k8sup('create', 'cluster', 'demo.k8s.local', '--cloud', 'metal', '--zones', 'rack-a', '--hosts', join(dir, 'hosts.yaml'));
  assert.equal(created.code, 0, created.stderr);
  const got = await k8sup('get', 'cluster', 'demo.k8s.local', '-o', 'json');
  assert.equal(got.code, 0, got.stderr);
  cluster = JSON.parse(got.stdout);
  pki = makeTestPki();
  fake = await startFakeKubeApiserver({ pki, state: healthyClusterState(cluster) });
  writeFileSync(join(dir, 'admin.conf'), fake.kubeconfig(), { mode: 0o600 });
  writeFileSync(join(dir, 'rogue.conf'), fake.kubeconfig({ identity: 'rogue' }), { mode: 0o600 });
  writeFileSync(join(dir, 'closed.conf'), fake.kubeconfig({ server: `https://127.0.0.1:${await freePort()}` }), { mode: 0o600 });
});
after(async () => {
  await fake?.stop();
  pki?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  fake.state = healthyClusterState(cluster);
  fake.beforeRequest = undefined;
});

const validate = (kubeconfig: string, ...args: string[]) => k8sup('validate', 'cluster', 'demo.k8s.local', '--kubeconfig', join(dir, kubeconfig), ...args);
const workers = () => fake.state.nodes.filter((n) => n.metadata.labels['k8sup.io/node-group'] !== 'control-plane').map((n) => n.metadata.name as string);

test('healthy cluster: exit 0 and a table ending with the verdict', async () => {
  const r = await validate('admin.conf');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^NODE\s+ROLE\s+GROUP\s+ZONE\s+READY$/m);
  assert.match(r.stdout, /Your cluster demo\.k8s\.local is ready\n$/);
  // The fake's serving certificate (openssl, 2 days) is within the 30-day warning window: a warning, still exit 0.
  assert.match(r.stderr, /warning: the API server certificate of https:\/\/127\.0\.0\.1:\d+ expires on \S+ \([01] days left, less than 30\)/);
});

test('a NotReady node: exit 4, and -o json is the contract document', async () => {
  fake.state.setNodeReady(workers()[0], false);
  const r = await validate('admin.conf', '-o', 'json');
  assert.equal(r.code, 4, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.valid, false);
  assert.deepEqual(report.failures.map((f: { type: string; name: string }) => `${f.type} ${f.name}`), [`node ${workers()[0]}`, `nodegroup ${cluster.spec.nodeGroups[0].name}`]);
});

test('a client certificate from another CA: exit 1', async () => {
  const r = await validate('rogue.conf');
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /rejected the credentials/);
});

test('unreachable API with --wait 3s: exit 4, on time, one JSON document', async () => {
  const r = await validate('closed.conf', '--wait', '3s', '--interval', '500ms', '-o', 'json');
  assert.equal(r.code, 4, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(report.failures.map((f: { type: string }) => f.type), ['api']);
});

test('-o json --wait: a node Ready 2 s into the wait gives exit 0 soon after, and stdout is one JSON document', async () => {
  const node = workers()[0];
  fake.state.setNodeReady(node, false);
  let healedAt = 0;
  let timer: NodeJS.Timeout | undefined;
  fake.beforeRequest = (req) => {
    if (timer || !req.url.startsWith('/readyz')) return;
    timer = setTimeout(() => {
      fake.state.setNodeReady(node, true);
      healedAt = Date.now();
    }, 2000);
  };
  try {
    const r = await validate('admin.conf', '--wait', '60s', '--interval', '1s', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(healedAt > 0, 'the node was healed during the wait');
    assert.ok(r.exitedAt - healedAt < 2000, `exited ${r.exitedAt - healedAt} ms after the node became Ready`);
    const report = JSON.parse(r.stdout); // throws if progress or a second document leaked onto stdout
    assert.equal(report.valid, true);
    assert.match(r.stderr, /attempt 1: .*not Ready/);
  } finally {
    clearTimeout(timer);
  }
});

test('validate: a metrics-server that is not rolled out fails the cluster (exit 4), naming its Deployment', async () => {
  fake.state.setDeploymentReady('kube-system', 'metrics-server', 0);
  const r = await validate('admin.conf', '-o', 'json');
  assert.equal(r.code, 4, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.ok(report.failures.some((f: any) => f.type === 'deployment' && f.name === 'kube-system/metrics-server' && /0 of 1 replicas ready/.test(f.message)), r.stdout);
});

test('get addons: desired from the spec, and what runs through the API', async () => {
  const ready = await k8sup('get', 'addons', 'demo.k8s.local', '--kubeconfig', join(dir, 'admin.conf'), '-o', 'json');
  assert.equal(ready.code, 0, ready.stderr);
  assert.deepEqual(JSON.parse(ready.stdout), {
    cluster: 'demo.k8s.local',
    addons: [
      { name: 'metrics-server', version: 'v0.7.2', image: 'registry.k8s.io/metrics-server/metrics-server:v0.7.2', enabled: true, from: 'default', running: 'ready' },
      // Listed, with the image of the cluster's Kubernetes minor, and why it cannot run on bare metal.
      { name: 'cluster-autoscaler', version: 'v1.35.2', image: 'registry.k8s.io/autoscaling/cluster-autoscaler:v1.35.2', enabled: false, from: 'default', running: 'unavailable: bare metal has no node groups it can resize (the machines are your own hosts)' },
      { name: 'snapshot-controller', version: 'v8.6.0', image: 'registry.k8s.io/sig-storage/snapshot-controller:v8.6.0', enabled: false, from: 'default', running: 'unavailable: bare metal has no CSI driver k8sup installs that takes snapshots' },
    ],
  });
  const table = await k8sup('get', 'addons', 'demo.k8s.local', '--kubeconfig', join(dir, 'admin.conf'));
  assert.match(table.stdout, /^NAME\s+VERSION\s+ENABLED\s+FROM\s+RUNNING\s+IMAGE$/m);
  assert.match(table.stdout, /^metrics-server\s+v0\.7\.2\s+yes\s+default\s+ready\s+registry\.k8s\.io\/metrics-server\/metrics-server:v0\.7\.2$/m);

  fake.state.setDeploymentReady('kube-system', 'metrics-server', 0);
  const notReady = JSON.parse((await k8sup('get', 'addons', 'demo.k8s.local', '--kubeconfig', join(dir, 'admin.conf'), '-o', 'json')).stdout);
  assert.match(notReady.addons[0].running, /^not ready: Deployment kube-system\/metrics-server is not ready: 0 of 1 replicas ready/);

  // An API that does not answer: what the spec wants, and a note saying so.
  const closed = await k8sup('get', 'addons', 'demo.k8s.local', '--kubeconfig', join(dir, 'closed.conf'), '-o', 'json');
  assert.equal(closed.code, 0, closed.stderr);
  assert.equal(JSON.parse(closed.stdout).addons[0].running, 'unknown');
  assert.match(closed.stderr, /does not answer/);
  // Never applied, no --kubeconfig: nothing to ask.
  const unapplied = await k8sup('get', 'addons', 'demo.k8s.local', '-o', 'json');
  assert.equal(JSON.parse(unapplied.stdout).addons[0].running, 'unknown');
  assert.match(unapplied.stderr, /no recorded API endpoint/);
});
