// The real Go kubectl against the fake kube-apiserver: proves the fake speaks the real wire protocol (discovery,
// lists, Table output, selectors) and that its openssl-made certificates satisfy Go's TLS stack.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Cluster } from '../../src/api/types.js';
import { healthyClusterState, makeTestPki, startFakeKubeApiserver, type FakeKubeApiserver, type TestPki } from '../fakes/kube-apiserver.js';

// Async on purpose: the fake runs in this process, a synchronous child would block its event loop.
const execFileAsync = promisify(execFile);

const cluster: Cluster = {
  apiVersion: 'k8sup.io/v1alpha1',
  kind: 'Cluster',
  metadata: { name: 'demo.k8s.local' },
  spec: {
    cloud: 'metal', region: '', zones: ['rack-a'], kubernetesVersion: '1.34.4',
    networking: { cni: 'cilium', podCIDR: '100.96.0.0/11', serviceCIDR: '100.64.0.0/13', networkCIDR: '172.20.0.0/16' },
    api: { adminAccess: ['0.0.0.0/0'], dnsZone: null }, ssh: { publicKey: null, access: [] },
    controlPlane: { count: 1, machineType: 'metal', zones: ['rack-a'] },
    nodeGroups: [{ name: 'workers', machineType: 'metal', minSize: 2, maxSize: 2, zones: ['rack-a'] }],
  },
};

let pki: TestPki;
let fake: FakeKubeApiserver;
let dir: string;

before(async () => {
  pki = makeTestPki();
  fake = await startFakeKubeApiserver({ pki, state: healthyClusterState(cluster) });
  dir = mkdtempSync(join(tmpdir(), 'k8sup-kubectl-'));
  writeFileSync(join(dir, 'admin.conf'), fake.kubeconfig(), { mode: 0o600 });
  writeFileSync(join(dir, 'rogue.conf'), fake.kubeconfig({ identity: 'rogue' }), { mode: 0o600 });
});
after(async () => {
  await fake?.stop();
  pki?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function kubectl(kubeconfig: string, ...args: string[]) {
  // A private cache dir keeps kubectl's discovery cache out of $HOME and fresh per run.
  return execFileAsync('kubectl', ['--kubeconfig', join(dir, kubeconfig), '--cache-dir', join(dir, 'cache'), '--request-timeout', '10s', ...args], {
    timeout: 30_000,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
  });
}

test('kubectl get nodes -o name lists the fake nodes', async () => {
  const { stdout } = await kubectl('admin.conf', 'get', 'nodes', '-o', 'name');
  assert.deepEqual(stdout.trim().split('\n'), ['node/control-plane-1', 'node/workers-1', 'node/workers-2']);
  assert.ok(fake.requests.some((r) => r.url.startsWith('/api/v1/nodes') && r.user === 'kubernetes-admin'));
});

test('kubectl get nodes (server-side table) shows status and roles', async () => {
  fake.state.setNodeReady('workers-2', false);
  const { stdout } = await kubectl('admin.conf', 'get', 'nodes');
  assert.match(stdout, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/m);
  assert.match(stdout, /^control-plane-1\s+Ready\s+control-plane\s+\S+\s+v1\.34\.4$/m);
  assert.match(stdout, /^workers-2\s+NotReady\s+<none>/m);
  fake.state.setNodeReady('workers-2', true);
});

test('kubectl label selectors are honoured by the fake', async () => {
  const { stdout } = await kubectl('admin.conf', 'get', 'pods', '-n', 'kube-system', '-l', 'component in (etcd,kube-scheduler)', '-o', 'name');
  assert.deepEqual(stdout.trim().split('\n').sort(), ['pod/etcd-control-plane-1', 'pod/kube-scheduler-control-plane-1']);
});

test('kubectl is refused with a client certificate from another CA', async () => {
  await assert.rejects(kubectl('rogue.conf', 'get', 'nodes', '-o', 'name'), (e: { stderr?: string }) => {
    assert.match(e.stderr ?? '', /must be logged in to the server|Unauthorized|provide credentials/);
    return true;
  });
});

test('kubectl get nodes --watch sees a change made to the fake state', async () => {
  const child = spawn('kubectl', ['--kubeconfig', join(dir, 'admin.conf'), '--cache-dir', join(dir, 'cache'), 'get', 'nodes', '--watch', '-o', 'name'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let lines: string[] = [];
  const seen = (count: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kubectl printed ${JSON.stringify(lines)}`)), 15_000);
      const poll = setInterval(() => {
        if (lines.length >= count) {
          clearInterval(poll);
          clearTimeout(timer);
          resolve();
        }
      }, 20);
    });
  child.stdout.on('data', (d: Buffer) => (lines = lines.concat(String(d).split('\n').filter(Boolean))));
  try {
    await seen(3); // the initial list
    fake.state.setNodeReady('workers-1', false);
    await seen(4); // then one watch event for the modified node, and nothing else
    assert.deepEqual(lines, ['node/control-plane-1', 'node/workers-1', 'node/workers-2', 'node/workers-1']);
    assert.ok(fake.requests.some((r) => /^\/api\/v1\/nodes\?.*watch=true/.test(r.url)));
  } finally {
    child.kill();
    fake.state.setNodeReady('workers-1', true);
  }
});
