// The metal provider end to end through the real engine, over real sshd instances on 127.0.0.1, running the REAL
// rendered bootstrap script (src/bootstrap) — with a stub PATH (apt-get, systemctl, kubeadm, curl, …) that records
// every call, and K8SUP_ROOT pointing each simulated host at its own temporary root. This machine is not changed.

import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDefaults } from '../../src/api/defaults.js';
import type { Cluster } from '../../src/api/types.js';
import { apply, destroy, plan, type EngineDeps } from '../../src/core/engine.js';
import { OperationError } from '../../src/core/errors.js';
import { RecordingIo } from '../../src/core/io.js';
import { MemoryBlobStore } from '../../src/state/memory.js';
import { saveClusterPki } from '../../src/pki/index.js';
import { createMetalProvider, type MetalClients } from '../../providers/metal/index.js';
import { makeKeyPair, sshKeygenFingerprint, startSshd, writeBootstrapStubs, type Sshd } from '../helpers/sshd.js';
import { providerState } from '../../src/lifecycle/provider-state.js';

const CLUSTER = 'lab.k8s.local';
const CA_HASH = `sha256:${'ab'.repeat(32)}`;
const dir = mkdtempSync(join(tmpdir(), 'k8sup-metal-provider-'));
const home = join(dir, 'home');
const roots = join(dir, 'roots');
const stubBin = join(dir, 'bin');
const key = makeKeyPair(dir, 'client');
const servers: Record<string, Sshd> = {};
const store = new MemoryBlobStore('memory://test');
const clientsToClose: MetalClients[] = [];

after(async () => {
  for (const c of clientsToClose) c.close();
  for (const s of Object.values(servers)) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

const HOSTS = ['cp1', 'cp2', 'w1'] as const;
type HostName = (typeof HOSTS)[number];
const rootOf = (h: HostName) => join(roots, h);
const calls = (h: HostName): string[] => (existsSync(join(rootOf(h), 'calls.log')) ? readFileSync(join(rootOf(h), 'calls.log'), 'utf8').trim().split('\n').filter(Boolean) : []);
const count = (h: HostName, prefix: string) => calls(h).filter((l) => l.startsWith(prefix)).length;

let cluster: Cluster;
before(async () => {
  writeBootstrapStubs(stubBin);
  for (const h of HOSTS) {
    mkdirSync(rootOf(h), { recursive: true });
    servers[h] = await startSshd({ authorizedKeys: [key.publicKey] });
  }
  const user = servers.cp1.user;
  cluster = withDefaults({
    metadata: { name: CLUSTER },
    spec: {
      cloud: 'metal',
      kubernetesVersion: '1.34.4',
      // cilium: its CLI download is checksum-pinned; the calico/flannel manifests have no pinned sum yet (src/bootstrap).
      networking: { cni: 'cilium' },
      controlPlane: { count: 2 },
      hosts: HOSTS.map((h) => ({ name: h, address: '127.0.0.1', port: servers[h].port, user, role: h.startsWith('cp') ? 'control-plane' : 'worker', sshKey: key.privateKeyPath })),
    },
  } as never);
  // Stand-in key material (the script does not parse it); the provider reads it from the store like the CLI does.
  const pem = (what: string) => `-----BEGIN ${what}-----\nfor-${CLUSTER}\n-----END ${what}-----\n`;
  const ca = { certPem: pem('CERTIFICATE'), keyPem: pem('RSA PRIVATE KEY') };
  await saveClusterPki(store, CLUSTER, { ca, frontProxyCa: ca, etcdCa: ca, serviceAccount: { publicKeyPem: pem('PUBLIC KEY'), privateKeyPem: pem('RSA PRIVATE KEY') } });
});

const provider = createMetalProvider({
  remote: { root: join(roots, '{host}'), path: `${stubBin}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`, sudo: 'never' },
  connectAttempts: 2,
  retryDelayMs: 100,
  idleCloseMs: 200,
});

async function deps(opts: { acceptNew?: boolean } = {}): Promise<{ deps: EngineDeps<MetalClients>; io: RecordingIo }> {
  const io = new RecordingIo();
  const clients = await provider.connect(cluster, { io, env: {}, home, state: providerState(store, cluster.metadata.name), sshAcceptNew: opts.acceptNew });
  clientsToClose.push(clients);
  return {
    io,
    deps: { cluster: CLUSTER, handlers: provider.handlers, clients, classifyError: provider.classifyError, io, retry: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 200 }, taskTimeoutMs: 60_000 },
  };
}

const nodes = () => provider.buildGraph(cluster, { stateStore: store.url, caCertPem: '', caCertHash: CA_HASH });
const actions = (p: { steps: { id: string; action: string }[] }) => Object.fromEntries(p.steps.map((s) => [s.id, s.action]));

test('the graph: prepare every host, init the first control plane, join the others in order', () => {
  const g = nodes();
  assert.deepEqual(
    g.map((n) => [n.id, n.dependsOn ?? []]),
    [
      ['host/cp1/prepared', []],
      ['host/cp2/prepared', []],
      ['host/w1/prepared', []],
      ['host/cp1/kubeadm-init', ['host/cp1/prepared']],
      ['host/cp2/joined', ['host/cp2/prepared', 'host/cp1/kubeadm-init']],
      ['host/w1/joined', ['host/w1/prepared', 'host/cp1/kubeadm-init']],
    ],
  );
  assert.equal(g.find((n) => n.id === 'host/cp1/kubeadm-init')!.fields.apiEndpoint, '127.0.0.1:6443');
  assert.ok(!JSON.stringify(g).includes('PRIVATE KEY'), 'no key material in the graph (plans print it)');
});

test('without --ssh-accept-new, unknown host keys stop the plan (exit-1 error naming host and fingerprint); no host touched', async () => {
  const { deps: d } = await deps();
  await assert.rejects(plan(nodes(), d), (e: unknown) => {
    assert.ok(e instanceof OperationError);
    assert.equal(e.exitCode, 1);
    const text = `${e.message} ${String((e.cause as Error)?.message ?? '')}`;
    assert.ok(HOSTS.some((h) => text.includes(`[127.0.0.1]:${servers[h].port}`) && text.includes(sshKeygenFingerprint(servers[h].hostPublicKeyPaths[0]))), text);
    return true;
  });
  for (const h of HOSTS) assert.deepEqual(calls(h), []);
});

test('an interrupted first run (join fails on cp2) resumes: every bootstrap step runs exactly once overall', async () => {
  writeFileSync(join(rootOf('cp2'), 'FAIL_ONCE_join'), '');
  const first = await deps({ acceptNew: true });
  const p1 = await plan(nodes(), first.deps);
  assert.deepEqual(new Set(Object.values(actions(p1.plan))), new Set(['create']));
  await assert.rejects(apply(p1.plan, nodes(), p1.live, first.deps), (e: unknown) => {
    const failed = (e as { failed?: { id: string }[] }).failed ?? [];
    return e instanceof OperationError && failed.length === 1 && failed[0].id === 'host/cp2/joined';
  });
  assert.equal(count('cp1', 'kubeadm init'), 1);
  assert.equal(count('cp2', 'kubeadm join'), 1, 'the failed attempt');

  // known_hosts now holds all three keys, so the second run needs no flag
  const second = await deps();
  const p2 = await plan(nodes(), second.deps);
  const a2 = actions(p2.plan);
  assert.equal(a2['host/cp1/kubeadm-init'], 'noop');
  assert.equal(a2['host/cp1/prepared'], 'noop');
  assert.equal(a2['host/cp2/joined'], 'create');
  await apply(p2.plan, nodes(), p2.live, second.deps);

  assert.equal(count('cp1', 'kubeadm init'), 1, 'init never repeated');
  assert.equal(count('cp2', 'kubeadm join'), 2, 'one failed + one successful join');
  assert.equal(count('w1', 'kubeadm join'), 1);
  assert.equal(count('w1', 'kubeadm init'), 0);
  assert.equal(count('cp1', 'kubeadm token create'), 2, 'one token per run that had joins to do');

  // what landed on the hosts
  for (const h of ['cp1', 'cp2'] as const) {
    const pki = join(rootOf(h), 'etc/kubernetes/pki');
    assert.equal(statSync(join(pki, 'ca.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(pki, 'etcd/ca.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(pki, 'ca.crt')).mode & 0o777, 0o644);
    assert.match(readFileSync(join(pki, 'sa.key'), 'utf8'), new RegExp(`for-${CLUSTER}`));
  }
  assert.equal(existsSync(join(rootOf('w1'), 'etc/kubernetes/pki/ca.key')), false, 'workers get no CA key');
  assert.match(readFileSync(join(rootOf('w1'), 'token-seen'), 'utf8'), /^token=[a-z0-9]{6}\.[a-z0-9]{16}\n$/);
  assert.equal(existsSync(join(rootOf('w1'), 'etc/k8sup/bootstrap-token')), false, 'the script removed the token after joining');
  // the kubeadm config the real script rendered names the endpoint and node
  assert.match(readFileSync(join(rootOf('cp2'), 'etc/k8sup/kubeadm.yaml'), 'utf8'), /127\.0\.0\.1:6443/);
  assert.ok(calls('w1').some((l) => /^apt-get (-o \S+ )*install /.test(l)), 'the node preparation ran');
  assert.equal(provider.apiEndpoint!({ 'host/cp1/kubeadm-init': { apiEndpoint: 'https://127.0.0.1:6443' } }), 'https://127.0.0.1:6443');
});

test('a re-run on the finished cluster plans nothing and runs no bootstrap command', async () => {
  const before = Object.fromEntries(HOSTS.map((h) => [h, calls(h).length]));
  const { deps: d, io } = await deps();
  const p = await plan(nodes(), d);
  assert.deepEqual(new Set(Object.values(actions(p.plan))), new Set(['noop']));
  await apply(p.plan, nodes(), p.live, d);
  for (const h of HOSTS) assert.equal(calls(h).length, before[h], `${h}: no command ran`);
  assert.equal(io.events.filter((e) => e.code === 'metal.step').length, 0);
});

test('a changed host key on one host stops everything with both fingerprints named', async () => {
  const port = servers.w1.port;
  const oldFp = sshKeygenFingerprint(servers.w1.hostPublicKeyPaths[0]);
  await servers.w1.stop();
  servers.w1 = await startSshd({ port, authorizedKeys: [key.publicKey] });
  const newFp = sshKeygenFingerprint(servers.w1.hostPublicKeyPaths[0]);
  const { deps: d } = await deps({ acceptNew: true });
  await assert.rejects(plan(nodes(), d), (e: unknown) => {
    const text = `${(e as Error).message} ${String(((e as Error).cause as Error)?.message ?? '')}`;
    return e instanceof OperationError && text.includes(oldFp) && text.includes(newFp);
  });
  // put the original entry back by trusting the new key explicitly (what an operator does after checking it)
  const kh = join(home, '.ssh', 'known_hosts');
  const kept = readFileSync(kh, 'utf8').split('\n').filter((l) => l && !l.startsWith(`[127.0.0.1]:${port} `));
  writeFileSync(kh, [...kept, `[127.0.0.1]:${port} ${servers.w1.hostPublicKeys[0].split(' ').slice(0, 2).join(' ')}`, ''].join('\n'));
});

test('a connection killed mid-join is retried and the join completes once', async () => {
  // reset w1 only, then join it again while its SSH session gets killed in the middle of kubeadm join
  const { deps: d0 } = await deps();
  const all = nodes();
  const p0 = await plan(all, d0);
  const w1Live = p0.live.filter((l) => l.id === 'host/w1/joined');
  const { kubeadmJoinHandler } = await import('../../providers/metal/resources/kubeadm.js');
  await kubeadmJoinHandler.delete(w1Live[0], { clients: d0.clients, cluster: CLUSTER, signal: new AbortController().signal, io: d0.io });
  assert.equal(count('w1', 'kubeadm reset'), 1);
  const joinsBefore = count('w1', 'kubeadm join');

  writeFileSync(join(rootOf('w1'), 'SLOW_ONCE_join'), '');
  const { deps: d, io } = await deps();
  const p = await plan(all, d);
  assert.equal(actions(p.plan)['host/w1/joined'], 'create');
  const killer = (async () => {
    for (let i = 0; i < 100 && !existsSync(join(rootOf('w1'), 'SLOWING')); i++) await new Promise((r) => setTimeout(r, 50));
    servers.w1.killSessions();
  })();
  await apply(p.plan, all, p.live, d);
  await killer;
  assert.ok(!existsSync(join(rootOf('w1'), 'SLOW_ONCE_join')), 'the slow join really started');
  assert.ok(
    io.events.some((e) => e.code.includes('retry') && (e.task ?? e.message).includes('w1')),
    `a retry was reported: ${io.events.map((e) => e.code).join(',')}`,
  );
  assert.equal(count('w1', 'kubeadm join'), joinsBefore + 1, 'kubeadm join ran once: the retry found the node joined');
});

test('delete: kubeadm reset on every host, PKI and k8sup state removed; then everything plans as create', async () => {
  const { deps: d } = await deps();
  await destroy(nodes(), d);
  for (const h of HOSTS) {
    assert.ok(count(h, 'kubeadm reset') >= 1, `${h} was reset`);
    assert.equal(existsSync(join(rootOf(h), 'var/lib/k8sup/steps')), false);
    assert.equal(existsSync(join(rootOf(h), 'etc/kubernetes/pki/ca.key')), false);
  }
  const { deps: d2 } = await deps();
  const p = await plan(nodes(), d2);
  assert.deepEqual(new Set(Object.values(actions(p.plan))), new Set(['create']));
});
