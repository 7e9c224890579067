// rolling-update orchestration with fakes for the cloud capability and the Kubernetes side: the plan (selection,
// order, --instance-group, --force), the order of operations per instance (drain → delete node → replace →
// validate), control planes first, and every way the run stops before doing harm.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCluster, type Cluster } from '../../src/api/index.js';
import { planRollingUpdate, runRollingUpdate, type KubeSide, type RollingUpdateDeps } from '../../src/lifecycle/rolling-update.js';
import { etcdSnapshotBeforeControlPlanes } from '../../src/lifecycle/rolling-update-flow.js';
import { listBackups } from '../../src/lifecycle/etcd-backup.js';
import { pollControlOnce, startControlResponder } from '../helpers/etcd-control-responder.js';
import { MemoryBlobStore } from '../../src/state/memory.js';
import { createHash } from 'node:crypto';
import { drainNode, findNode, mustEvict, type NodeOps, type PodRef } from '../../src/lifecycle/rolling-update-kube.js';
import { InvalidInputError, OperationError } from '../../src/core/errors.js';
import { RecordingIo } from '../../src/core/io.js';
import type { CloudInstanceGroup, GroupInstance, Provider, RollingUpdateCapability } from '../../src/core/provider.js';
import type { ValidationReport } from '../../src/validate/types.js';

/** An HA cluster (3 control planes) unless `controlPlanes: 1`. */
function cluster(opts: { controlPlanes?: 1 | 3 } = {}): Cluster {
  const ha = (opts.controlPlanes ?? 3) === 3;
  return loadCluster({
    apiVersion: 'k8sup.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'demo.k8s.local' },
    spec: {
      cloud: 'aws',
      zones: ha ? ['us-east-2a', 'us-east-2b', 'us-east-2c'] : ['us-east-2a'],
      controlPlane: ha ? { count: 3, zones: ['us-east-2a', 'us-east-2b', 'us-east-2c'] } : { count: 1 },
      kubernetesVersion: '1.34.4',
      // Spec order (zeta before alpha) must win over name order.
      nodeGroups: [
        { name: 'zeta', machineType: 't3.large', minSize: 2, maxSize: 2, zones: ['us-east-2a'] },
        { name: 'alpha', machineType: 't3.large', minSize: 1, maxSize: 1, zones: ['us-east-2a'] },
      ],
    },
  });
}

const inst = (id: string, needsUpdate: boolean): GroupInstance => ({ id, version: needsUpdate ? 'lt:1' : 'lt:2', needsUpdate, status: 'InService', zone: 'us-east-2a', nodeNames: [`node-${id}`] });
const group = (groupName: string, cloudName: string, instances: GroupInstance[]): CloudInstanceGroup => ({
  group: groupName,
  role: groupName === 'control-plane' ? 'control-plane' : 'node',
  cloudName,
  currentVersion: 'lt:2',
  desired: instances.length,
  instances,
});

/** Groups listed in an order that differs from the one they must be rolled in. */
function cloudGroups(opts: { cpOutdated?: boolean } = {}): CloudInstanceGroup[] {
  return [
    group('alpha', 'asg-alpha', [inst('i-a1', true)]),
    group('zeta', 'asg-zeta', [inst('i-z1', true), inst('i-z2', false)]),
    group('control-plane', 'asg-cp', [inst('i-cp1', opts.cpOutdated ?? false)]),
  ];
}

class Recorder {
  calls: string[] = [];
}

function fakeCapability(rec: Recorder, failOn?: string): RollingUpdateCapability<string> {
  return {
    async listGroups() {
      return cloudGroups();
    },
    async replaceInstance(_cluster, clients, g, i) {
      assert.equal(clients, 'clients', 'the connected clients are passed through');
      rec.calls.push(`replace ${i.id}`);
      if (i.id === failOn) throw new OperationError(`group ${g.cloudName} did not recover`);
      return { ...g, instances: g.instances.map((x) => (x.id === i.id ? { ...x, id: `${i.id}-new`, needsUpdate: false } : x)) };
    },
  };
}

const valid: ValidationReport = { cluster: 'demo.k8s.local', valid: true, failures: [], nodes: [] };
const invalid: ValidationReport = { cluster: 'demo.k8s.local', valid: false, failures: [{ type: 'node', name: 'x', message: 'node x is not Ready' }], nodes: [] };

function fakeKube(rec: Recorder, opts: { pods?: Record<string, PodRef[]>; reports?: ValidationReport[]; blocked?: boolean; unreachable?: boolean } = {}): KubeSide {
  const pods = structuredClone(opts.pods ?? {});
  const reports = [...(opts.reports ?? [])];
  const ops: NodeOps = {
    server: 'https://api.example:6443',
    async listNodes() {
      if (opts.unreachable) throw new OperationError('list nodes: cannot reach https://api.example:6443: ECONNREFUSED');
      return ['i-a1', 'i-z1', 'i-z2', 'i-cp1'].map((id) => ({ name: `node-${id}` }));
    },
    async cordon(node) {
      rec.calls.push(`cordon ${node}`);
    },
    async podsToEvict(node) {
      return pods[node] ?? [];
    },
    async evict(pod) {
      if (opts.blocked) return 'blocked';
      rec.calls.push(`evict ${pod.namespace}/${pod.name}`);
      for (const list of Object.values(pods)) {
        const at = list.findIndex((p) => p.name === pod.name && p.namespace === pod.namespace);
        if (at >= 0) list.splice(at, 1);
      }
      return 'evicted';
    },
    async deleteNode(node) {
      rec.calls.push(`delete-node ${node}`);
    },
  };
  return {
    ops,
    async validate(waitMs) {
      rec.calls.push(`validate ${waitMs === 0 ? 'once' : 'wait'}`);
      return reports.shift() ?? valid;
    },
  };
}

function deps(rec: Recorder, kube: KubeSide | undefined, extra: Partial<RollingUpdateDeps<string>> = {}): RollingUpdateDeps<string> {
  return {
    cluster: cluster(),
    capability: fakeCapability(rec),
    clients: 'clients',
    openKube: kube ? async () => kube : undefined,
    io: new RecordingIo(),
    force: false,
    scoped: false,
    timeouts: { drainMs: 50, pollMs: 5, validateMs: 1000, replaceMs: 1000 },
    ...extra,
  };
}

test('plan: only out-of-date instances, control plane first, then node groups in spec order', () => {
  const plan = planRollingUpdate(cluster(), cloudGroups({ cpOutdated: true }), { force: false });
  assert.deepEqual(plan.groups.map((g) => g.group), ['control-plane', 'zeta', 'alpha']);
  assert.deepEqual(plan.groups.flatMap((g) => g.instances.filter((i) => i.replace).map((i) => i.id)), ['i-cp1', 'i-z1', 'i-a1']);
  assert.equal(plan.toReplace, 3);
});

test('plan: --force selects up-to-date instances; --instance-group limits; an unknown group is invalid input', () => {
  const forced = planRollingUpdate(cluster(), cloudGroups(), { force: true });
  assert.equal(forced.toReplace, 4);
  const noCp = planRollingUpdate(cluster(), cloudGroups(), { force: true, forceControlPlane: false });
  assert.deepEqual(noCp.groups.flatMap((g) => g.instances.filter((i) => i.replace).map((i) => i.id)), ['i-z1', 'i-z2', 'i-a1'], 'an up-to-date control plane is not forced in');
  const zeta = planRollingUpdate(cluster(), cloudGroups(), { force: false, instanceGroup: 'zeta' });
  assert.deepEqual(zeta.groups.map((g) => g.cloudName), ['asg-zeta']);
  assert.equal(zeta.toReplace, 1);
  assert.throws(() => planRollingUpdate(cluster(), cloudGroups(), { force: false, instanceGroup: 'nope' }), (e: unknown) => e instanceof InvalidInputError && /nope.*control-plane, zeta, alpha/.test((e as Error).message));
});

test('run: each instance is drained, its node deleted, replaced and the cluster validated, control planes first', async () => {
  const rec = new Recorder();
  const kube = fakeKube(rec, { pods: { 'node-i-z1': [{ namespace: 'default', name: 'web-1' }, { namespace: 'kube-system', name: 'coredns-1' }] } });
  const plan = planRollingUpdate(cluster(), cloudGroups({ cpOutdated: true }), { force: false });
  const result = await runRollingUpdate(plan, deps(rec, kube));
  assert.deepEqual(rec.calls, [
    'validate once',
    'cordon node-i-cp1', 'delete-node node-i-cp1', 'replace i-cp1', 'validate wait',
    'cordon node-i-z1', 'evict default/web-1', 'evict kube-system/coredns-1', 'delete-node node-i-z1', 'replace i-z1', 'validate wait',
    'cordon node-i-a1', 'delete-node node-i-a1', 'replace i-a1', 'validate wait',
  ]);
  assert.deepEqual(result.replaced.map((r) => [r.instance, r.node, r.drained, r.validated]), [
    ['i-cp1', 'node-i-cp1', true, true],
    ['i-z1', 'node-i-z1', true, true],
    ['i-a1', 'node-i-a1', true, true],
  ]);
});

test('run: HA control planes are replaced one at a time, each drained, its node deleted and validated before the next', async () => {
  const rec = new Recorder();
  const cps = group('control-plane', 'asg-cp-a', [inst('i-cp1', true)]);
  const groups = [
    group('zeta', 'asg-zeta', [inst('i-z1', true)]),
    group('control-plane', 'asg-cp-c', [inst('i-cp3', true)]),
    cps,
    group('control-plane', 'asg-cp-b', [inst('i-cp2', true)]),
  ];
  const plan = planRollingUpdate(cluster(), groups, { force: false, instanceGroup: 'control-plane' });
  assert.deepEqual(plan.groups.map((g) => g.cloudName), ['asg-cp-a', 'asg-cp-b', 'asg-cp-c'], '--instance-group control-plane: only the control planes, zone by zone');
  const kube = fakeKube(rec);
  kube.ops.listNodes = async () => ['i-cp1', 'i-cp2', 'i-cp3'].map((id) => ({ name: `node-${id}` }));
  const io = new RecordingIo();
  const result = await runRollingUpdate(plan, deps(rec, kube, { scoped: true, io }));
  assert.deepEqual(io.events.filter((e) => e.code === 'rolling-update.etcd-member').map((e) => (e.data as { node: string }).node), ['node-i-cp1', 'node-i-cp2', 'node-i-cp3']);
  assert.deepEqual(rec.calls, [
    'validate once',
    'cordon node-i-cp1', 'delete-node node-i-cp1', 'replace i-cp1', 'validate wait',
    'cordon node-i-cp2', 'delete-node node-i-cp2', 'replace i-cp2', 'validate wait',
    'cordon node-i-cp3', 'delete-node node-i-cp3', 'replace i-cp3', 'validate wait',
  ]);
  assert.deepEqual(result.replaced.map((r) => r.instance), ['i-cp1', 'i-cp2', 'i-cp3']);
  // A control plane that does not validate stops the run before the next one (etcd must be whole again first).
  const rec2 = new Recorder();
  await assert.rejects(runRollingUpdate(plan, deps(rec2, fakeKube(rec2, { reports: [valid, invalid] }), { scoped: true })), /did not validate.*i-cp1/);
  assert.ok(!rec2.calls.some((c) => c === 'replace i-cp2' || c === 'cordon node-i-cp2'), 'the second control plane was touched');
});

test('run: a single control plane is refused (exit 2) before anything changes, with a hint; its node groups can still roll', async () => {
  const single = cluster({ controlPlanes: 1 });
  for (const scoped of [false, true]) {
    const rec = new Recorder();
    const plan = planRollingUpdate(single, cloudGroups({ cpOutdated: true }), { force: false, instanceGroup: scoped ? 'control-plane' : undefined });
    await assert.rejects(runRollingUpdate(plan, deps(rec, fakeKube(rec), { cluster: single, scoped })), (e: unknown) => {
      assert.ok(e instanceof InvalidInputError, String(e));
      assert.match(e.message, /i-cp1.*1 control plane.*etcd.*at least 3/);
      assert.match(e.hint ?? '', new RegExp(`k8sup backup cluster ${single.metadata.name.replace(/\./g, "\\.")};.*docs/backups\\.md, "After losing the only control plane".*controlPlane\\.count: 3`));
      assert.doesNotMatch(e.hint ?? '', /etcdctl/, 'k8sup backup cluster takes the snapshot on every provider');
      assert.equal(/--instance-group NAME/.test(e.hint ?? ''), !scoped, 'an unscoped run points to rolling node groups on their own');
      return true;
    });
    assert.deepEqual(rec.calls, [], 'nothing was validated, drained or replaced');
  }
  // --force on a single control plane (as the CLI plans it) leaves an up-to-date control plane out and rolls the nodes.
  const rec = new Recorder();
  const forced = planRollingUpdate(single, cloudGroups(), { force: true, forceControlPlane: false });
  await runRollingUpdate(forced, deps(rec, fakeKube(rec), { cluster: single, force: true }));
  assert.deepEqual(rec.calls.filter((c) => c.startsWith('replace')), ['replace i-z1', 'replace i-z2', 'replace i-a1']);
  // The same --force on an HA cluster is allowed to take the control plane too.
  const rec3 = new Recorder();
  const haForced = planRollingUpdate(cluster(), cloudGroups(), { force: true });
  await runRollingUpdate(haForced, deps(rec3, fakeKube(rec3), { force: true }));
  assert.deepEqual(rec3.calls.filter((c) => c.startsWith('replace')), ['replace i-cp1', 'replace i-z1', 'replace i-z2', 'replace i-a1']);
});

test('run: an unreachable API stops the run unless --force, which replaces without draining or validating', async () => {
  const plan = planRollingUpdate(cluster(), cloudGroups(), { force: false });
  const rec = new Recorder();
  await assert.rejects(runRollingUpdate(plan, deps(rec, fakeKube(rec, { unreachable: true }))), (e: unknown) => e instanceof OperationError && /not reachable.*ECONNREFUSED/.test((e as Error).message) && /--force/.test((e as OperationError).hint ?? ''));
  assert.deepEqual(rec.calls, []);

  const forced = new Recorder();
  const io = new RecordingIo();
  const result = await runRollingUpdate(plan, deps(forced, fakeKube(forced, { unreachable: true }), { force: true, io }));
  assert.deepEqual(forced.calls, ['replace i-z1', 'replace i-a1']);
  assert.deepEqual(result.replaced.map((r) => [r.drained, r.validated]), [[false, false], [false, false]]);
  assert.ok(io.events.some((e) => e.code === 'rolling-update.cloud-only' && e.level === 'warn'));
});

test('run: a cluster that does not validate after a replacement stops the run there', async () => {
  const rec = new Recorder();
  const plan = planRollingUpdate(cluster(), cloudGroups(), { force: false });
  await assert.rejects(runRollingUpdate(plan, deps(rec, fakeKube(rec, { reports: [valid, invalid] }))), (e: unknown) => e instanceof OperationError && /did not validate.*i-z1.*not Ready/.test((e as Error).message));
  assert.ok(!rec.calls.includes('replace i-a1'), 'the next instance is left alone');
  // And an invalid cluster before the start blocks the run unless --force.
  const rec2 = new Recorder();
  await assert.rejects(runRollingUpdate(plan, deps(rec2, fakeKube(rec2, { reports: [invalid] }))), /not valid before the rolling update/);
  assert.deepEqual(rec2.calls, ['validate once']);
});

test('run: a drain blocked by a disruption budget fails (node stays cordoned, instance kept) unless --force', async () => {
  const plan = planRollingUpdate(cluster(), cloudGroups(), { force: false, instanceGroup: 'zeta' });
  const pods = { 'node-i-z1': [{ namespace: 'default', name: 'db-0' }] };
  const rec = new Recorder();
  await assert.rejects(runRollingUpdate(plan, deps(rec, fakeKube(rec, { pods, blocked: true }), { scoped: true })), /could not be drained.*default\/db-0/);
  assert.deepEqual(rec.calls, ['validate once', 'cordon node-i-z1']);
  const forced = new Recorder();
  await runRollingUpdate(plan, deps(forced, fakeKube(forced, { pods, blocked: true }), { scoped: true, force: true }));
  assert.deepEqual(forced.calls, ['validate once', 'cordon node-i-z1', 'delete-node node-i-z1', 'replace i-z1', 'validate wait']);
});

test('run: a failed replacement and an abort both stop before the next instance', async () => {
  const plan = planRollingUpdate(cluster(), cloudGroups(), { force: false });
  const rec = new Recorder();
  await assert.rejects(runRollingUpdate(plan, deps(rec, fakeKube(rec), { capability: fakeCapability(rec, 'i-z1') })), /did not recover/);
  assert.ok(!rec.calls.includes('replace i-a1'));

  const aborted = new AbortController();
  aborted.abort(new Error('interrupted'));
  const rec2 = new Recorder();
  await assert.rejects(runRollingUpdate(plan, deps(rec2, fakeKube(rec2), { signal: aborted.signal })), /interrupted after replacing 0 of 2/);
  assert.ok(!rec2.calls.some((c) => c.startsWith('replace')));
});

test('nothing to replace: no API or cloud call at all', async () => {
  const rec = new Recorder();
  const plan = planRollingUpdate(cluster(), cloudGroups(), { force: false, instanceGroup: 'alpha' });
  const upToDate = { ...plan, groups: plan.groups.map((g) => ({ ...g, instances: g.instances.map((i) => ({ ...i, needsUpdate: false, replace: false })) })), toReplace: 0 };
  assert.deepEqual(await runRollingUpdate(upToDate, deps(rec, fakeKube(rec, { unreachable: true }))), { replaced: [] });
  assert.deepEqual(rec.calls, []);
});

test('drain helpers: DaemonSet and static pods stay; nodes are found by provider id or name', async () => {
  const pod = (owner: string | undefined, extra: Record<string, unknown> = {}) => ({
    metadata: { name: 'p', ...(owner ? { ownerReferences: [{ kind: owner, controller: true, apiVersion: 'v1', name: 'o', uid: 'u' }] } : {}), ...extra },
    status: { phase: 'Running' },
  });
  assert.equal(mustEvict(pod('ReplicaSet') as never), true);
  assert.equal(mustEvict(pod('DaemonSet') as never), false);
  assert.equal(mustEvict(pod('Node', { annotations: { 'kubernetes.io/config.mirror': 'x' } }) as never), false);
  assert.equal(mustEvict({ ...pod(undefined), status: { phase: 'Succeeded' } } as never), false);
  const nodes = [{ name: 'ip-172-20-1-1.us-east-2.compute.internal' }, { name: 'other', providerID: 'aws:///us-east-2a/i-0abc' }];
  assert.equal(findNode(nodes, 'i-0abc', [])?.name, 'other');
  assert.equal(findNode(nodes, 'i-0def', ['ip-172-20-1-1.us-east-2.compute.internal'])?.name, 'ip-172-20-1-1.us-east-2.compute.internal');
  assert.equal(findNode(nodes, 'i-0fff', ['nope']), undefined);

  // A terminating pod is waited for, not evicted again.
  let listed = 0;
  const evicted: string[] = [];
  const ops = {
    server: '',
    listNodes: async () => [],
    cordon: async () => {},
    podsToEvict: async () => (listed++ < 2 ? [{ namespace: 'd', name: 'slow', terminating: listed > 1 }] : []),
    evict: async (p: PodRef) => (evicted.push(p.name), 'evicted' as const),
    deleteNode: async () => {},
  };
  const r = await drainNode(ops, 'n', { timeoutMs: 1000, pollMs: 1, io: new RecordingIo() });
  assert.deepEqual(r, { evicted: 1, remaining: [] });
  assert.deepEqual(evicted, ['slow']);
});

test('run: the step before the control planes (the etcd snapshot) runs once, before the first one is touched; its failure stops the run', async () => {
  const groups = [
    group('zeta', 'asg-zeta', [inst('i-z1', true)]),
    group('control-plane', 'asg-cp-a', [inst('i-cp1', true)]),
    group('control-plane', 'asg-cp-b', [inst('i-cp2', true)]),
  ];
  const plan = planRollingUpdate(cluster(), groups, { force: false });
  const rec = new Recorder();
  const kube = fakeKube(rec);
  kube.ops.listNodes = async () => ['i-cp1', 'i-cp2', 'i-z1'].map((id) => ({ name: `node-${id}` }));
  await runRollingUpdate(plan, deps(rec, kube, { beforeControlPlane: async () => void rec.calls.push('etcd snapshot') }));
  assert.deepEqual(rec.calls, [
    'validate once',
    'etcd snapshot',
    'cordon node-i-cp1', 'delete-node node-i-cp1', 'replace i-cp1', 'validate wait',
    'cordon node-i-cp2', 'delete-node node-i-cp2', 'replace i-cp2', 'validate wait',
    'cordon node-i-z1', 'delete-node node-i-z1', 'replace i-z1', 'validate wait',
  ]);

  // Node groups alone: no control plane is touched, so no snapshot is asked for.
  const nodesOnly = new Recorder();
  const zeta = planRollingUpdate(cluster(), groups, { force: false, instanceGroup: 'zeta' });
  await runRollingUpdate(zeta, deps(nodesOnly, fakeKube(nodesOnly), { scoped: true, beforeControlPlane: async () => void nodesOnly.calls.push('etcd snapshot') }));
  assert.ok(!nodesOnly.calls.includes('etcd snapshot'), nodesOnly.calls.join(', '));

  // No snapshot, no change: the failure is the run's, before any cordon or replacement.
  const failing = new Recorder();
  const noBackup = new OperationError('demo.k8s.local has no etcd backup in the state store', { code: 'NoRecentBackup' });
  await assert.rejects(runRollingUpdate(plan, deps(failing, fakeKube(failing), { beforeControlPlane: async () => { throw noBackup; } })), (e) => e === noBackup);
  assert.deepEqual(failing.calls, ['validate once']);
});

test('the etcd snapshot step: taken where the provider can, else asked of a control plane through the control folder; a warning without backup scripts', async () => {
  const io = new RecordingIo();
  const codes = () => io.events.map((e) => e.code);
  const withoutScripts: Cluster = { ...cluster(), spec: { ...cluster().spec, etcd: {} } };
  const unscheduled: Cluster = { ...cluster(), spec: { ...cluster().spec, etcd: { backups: { schedule: 'off', retain: 24 } } } };
  const cloud = { name: 'aws' } as unknown as Provider<any>;

  // No spec.etcd.backups: the control planes carry no backup scripts; the run goes on and says so.
  await etcdSnapshotBeforeControlPlanes(new MemoryBlobStore(), withoutScripts, cloud, 'clients', io);
  assert.deepEqual(codes(), ['rolling-update.no-snapshot']);

  // Scheduled backups off, and a timer backup from a minute ago in the store: it is not relied on any more. No
  // control plane answers within the bound: the run stops (exit 1) before any control plane is touched, and the
  // command is cancelled so that no control plane carries it out later.
  const store = new MemoryBlobStore();
  const aMinuteAgo = new Date(Date.now() - 60_000);
  const id = aMinuteAgo.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const bytes = Buffer.from('snapshot');
  const manifest = { id, cluster: 'demo.k8s.local', node: 'cp-1', member: 'cp-1', time: aMinuteAgo.toISOString(), etcdVersion: '3.6.5', revision: 7, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), trigger: 'schedule' };
  await store.put(`demo.k8s.local/backups/etcd/${id}/snapshot.db`, bytes);
  await store.put(`demo.k8s.local/backups/etcd/${id}/manifest.json`, JSON.stringify(manifest));
  io.events.length = 0;
  await assert.rejects(etcdSnapshotBeforeControlPlanes(store, unscheduled, cloud, 'clients', io, { waitMs: 1000 }), (e: unknown) => e instanceof OperationError && e.code === 'EtcdCommandUnanswered' && e.exitCode === 1);
  assert.deepEqual(codes(), ['etcd.control.requested', 'etcd.control.cancelled']);
  const cancelled = JSON.parse((await store.get('demo.k8s.local/backups/etcd/control/command.json'))!.data.toString('utf8'));
  assert.equal(await pollControlOnce(store, 'demo.k8s.local'), undefined, 'a cancelled command was carried out');
  assert.equal(JSON.parse((await store.get(`demo.k8s.local/backups/etcd/control/${cancelled.id}/claim.json`))!.data.toString('utf8')).cancelled, true);

  // A control plane answers: its fresh snapshot, taken for this command, is the one named.
  const responder = startControlResponder(store, 'demo.k8s.local', { intervalMs: 50 });
  io.events.length = 0;
  try {
    await etcdSnapshotBeforeControlPlanes(store, unscheduled, cloud, 'clients', io, { waitMs: 20_000 });
  } finally {
    await responder.stop();
  }
  assert.equal(responder.answered.length, 1);
  // (The answer was there by the CLI's first look: no claimed event before it.)
  assert.deepEqual(codes(), ['etcd.control.requested', 'etcd.backup.stored', 'rolling-update.etcd-snapshot']);
  const fresh = (await listBackups(store, 'demo.k8s.local')).find((b) => b.command === responder.answered[0]);
  assert.ok(fresh && fresh.id !== id && fresh.complete);
  assert.deepEqual(io.events[2].data, { backup: fresh.id });

  // A provider that runs commands on its control planes takes a fresh one (even without a schedule) and stores it.
  const taken = { id: '20261201T130000Z', cluster: 'demo.k8s.local', node: 'cp-1', member: 'cp-1', time: new Date().toISOString(), etcdVersion: '3.6.5', revision: 9, size: bytes.length, sha256: manifest.sha256, trigger: 'manual' };
  const withSsh = { name: 'metal', etcdBackup: { take: async (_c: Cluster, clients: unknown) => (assert.equal(clients, 'clients'), { manifest: taken, snapshot: bytes }) } } as unknown as Provider<any>;
  io.events.length = 0;
  await etcdSnapshotBeforeControlPlanes(store, unscheduled, withSsh, 'clients', io);
  assert.deepEqual(codes(), ['etcd.backup.stored', 'rolling-update.etcd-snapshot']);
  assert.deepEqual(io.events[1].data, { backup: taken.id });
  assert.ok((await listBackups(store, 'demo.k8s.local')).some((b) => b.id === taken.id && b.complete));
});
