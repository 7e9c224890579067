// upgrade cluster on AWS with three control planes over three zones, through the real CLI on moto (state in S3, every
// call through the fault proxy), the Kubernetes API played by the fake kube-apiserver trusted through the cluster's
// CA. The kubelet player (test/helpers/kubelet-player.ts) boots each new instance: a control plane runs its real
// bootstrap bundle under the stub root (test/helpers/stub-root.ts), whose stub kubectl/kubeadm share one
// ClusterConfiguration version — the cluster's — so the bundle's own choice between `kubeadm upgrade apply` and only
// joining is what the test sees; then it registers a Ready node of the bundle's version. A sampler counts the control
// planes the cloud runs while the upgrade goes on (etcd keeps quorum only if at most one is being replaced at a time).

import assert from 'node:assert/strict';
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Cluster } from '../../src/api/types.js';
import type { BlobStore } from '../../src/state/blob.js';
import { openBlobStore } from '../../src/state/open.js';
import { healthyClusterState, type FakeKubeApiserver } from '../fakes/kube-apiserver.js';
import { awsBooted, awsClusterWorld, installedBootstrap, type AwsClusterWorld, type AwsInstance } from '../helpers/aws-cluster-world.js';
import { k8sup, tempHome } from '../helpers/cli.js';
import { bundleVersion } from '../helpers/loader.js';
import { startClusterApi } from '../helpers/cluster-api.js';
import { etcdBackupIds, putEtcdBackup } from '../helpers/etcd-backup-fixture.js';
import { runKilledOnCall } from '../helpers/kill-on-call.js';
import { adoptInstances, playKubelets, type KubeletPlayer } from '../helpers/kubelet-player.js';
import { motoLaunchTemplateVersionFix, startMoto, type Moto } from '../helpers/moto.js';
import { createStubRoot, FAKE_BOOTSTRAP_TOKEN, type StubRoot } from '../helpers/stub-root.js';
import { startThrottleProxy, type ThrottleProxy } from '../helpers/throttle-proxy.js';

const NAME = 'ha-up.k8s.local';
const STATE = 's3://k8sup-state/clusters';
const ZONES = 'us-east-2a,us-east-2b,us-east-2c';
const FROM = '1.34.4';
const TO = '1.35.1';

let moto: Moto;
let proxy: ThrottleProxy;
let onCall: ((key: string) => void) | undefined;
let env: Record<string, string>;
let home: string;
let store: BlobStore;
let world: AwsClusterWorld;
let fake: FakeKubeApiserver | undefined;
let kubelets: KubeletPlayer | undefined;
let sampler: NodeJS.Timeout | undefined;
const stubs: StubRoot[] = [];

before(async () => {
  process.env.PYTHONPATH = [motoLaunchTemplateVersionFix(), process.env.PYTHONPATH].filter(Boolean).join(':');
  moto = await startMoto();
  proxy = await startThrottleProxy(moto.endpoint, { throttleRate: 0.03, resetRate: 0, onCall: (key) => onCall?.(key) });
  home = tempHome();
  env = { HOME: home, ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, K8SUP_STATE_STORE: STATE };
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: 'k8sup-state', CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
  store = await openBlobStore(STATE, env, home);
  world = awsClusterWorld(moto.endpoint, store, NAME);
});
after(async () => {
  clearInterval(sampler);
  kubelets?.stop();
  for (const s of stubs) s.cleanup();
  await fake?.stop();
  await proxy?.stop();
  await moto?.stop();
  rmSync(home, { recursive: true, force: true });
});

const run = (...args: string[]) => k8sup(args, { env, timeoutMs: 300_000 });
const ndjson = (text: string) => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
const specVersion = async () => JSON.parse((await run('get', 'cluster', NAME, '-o', 'json')).stdout).spec.kubernetesVersion;

/** A control plane's boot: its bundle as run by the instance, and what it ran. */
interface Boot {
  node: string;
  version: string;
  calls: string[];
}

test('HA over three zones: snapshot → each control plane one at a time → nodes; one kubeadm upgrade apply, etcd quorum kept, a kill resumes, a re-run does nothing', { timeout: 1_200_000 }, async () => {
  const created = await run('create', 'cluster', NAME, '--zones', ZONES, '--control-plane-zones', ZONES, '--control-plane-count', '3', '--node-count', '1', '--kubernetes-version', FROM, '--yes');
  assert.equal(created.code, 0, created.stderr);
  const cluster = JSON.parse((await run('get', 'cluster', NAME, '-o', 'json')).stdout) as Cluster;
  assert.equal(cluster.spec.controlPlane.count, 3);
  const before = await world.instances();
  const oldCps = before.filter((i) => i.group === 'control-plane').sort((a, b) => a.id.localeCompare(b.id));
  const oldNodes = before.filter((i) => i.group === 'nodes');
  assert.equal(oldCps.length, 3);
  assert.deepEqual(new Set(oldCps.map((i) => i.zone)), new Set(ZONES.split(',')), 'one control plane per zone');
  assert.equal(oldNodes.length, 1);

  // The cluster's ClusterConfiguration version, shared by every control plane's stub kubectl/kubeadm (a symlink in
  // each stub root): `kubeadm upgrade apply` moves it, the next control plane reads it.
  const clusterVersion = join(home, 'cluster-version');
  writeFileSync(clusterVersion, `v${FROM}\n`);
  const boots: Boot[] = [];
  const bootControlPlane = async (i: AwsInstance) => {
    const stub = createStubRoot();
    stubs.push(stub);
    symlinkSync(clusterVersion, join(stub.root, '..', 'cluster-version'));
    // What the running cluster published in the state store for joining control planes.
    stub.putStoreObject('bootstrap/initialized', `initialized=true\nnode=${oldCps[0].dns}\n`);
    stub.putStoreObject('bootstrap/token', `token=${FAKE_BOOTSTRAP_TOKEN}\nexpires=2030-01-01T00:00:00Z\nissuer=${oldCps[0].dns}\n`);
    const bundle = await world.bundleOf(i);
    const ran = await stub.runAsync(installedBootstrap(bundle));
    if (ran.status !== 0) throw new Error(`the bootstrap of ${i.id} failed (${ran.status}):\n${ran.stderr.slice(-2000)}`);
    boots.push({ node: i.dns, version: bundleVersion(bundle)!, calls: ran.calls });
  };

  const state = healthyClusterState(cluster);
  fake = await startClusterApi(store, NAME, state);
  kubelets = playKubelets({
    state,
    templates: adoptInstances(state, [...before].sort((a, b) => a.id.localeCompare(b.id)).map(awsBooted)),
    booted: before.map((i) => i.id),
    instances: async () => (await world.instances()).map(awsBooted),
    version: async (i) => bundleVersion(await world.bundleOf(i)),
    boot: (i) => (i.group === 'control-plane' ? bootControlPlane(i) : undefined),
  });

  // Without --yes: the snapshot, then each control plane on its own step, then the node group; nothing written.
  const untouched = await world.fingerprint();
  const preview = await run('upgrade', 'cluster', NAME, '--kubernetes-version', TO, '-o', 'json');
  assert.equal(preview.code, 0, preview.stderr);
  const plan = JSON.parse(preview.stdout);
  // One control-plane step per old instance (in the order of their zones' groups), each on its own.
  const order: AwsInstance[] = plan.steps.filter((s: any) => s.id.startsWith('control-plane/')).map((s: any) => oldCps.find((i) => i.id === s.target)!);
  assert.deepEqual(new Set(order.map((i: AwsInstance) => i.id)), new Set(oldCps.map((i) => i.id)));
  assert.deepEqual(plan.steps.map((s: any) => s.id), [
    'etcd-snapshot',
    'apply',
    ...order.map((i: AwsInstance) => `control-plane/${i.id}`),
    'validate-control-plane',
    'roll/nodes',
    'validate',
  ]);
  for (const i of oldCps) assert.match(plan.steps.find((s: any) => s.target === i.id).description, new RegExp(`beside ${i.id}.*then drain and remove ${i.id}`));
  assert.match(preview.stderr, /in 8 steps; nothing was written/);
  assert.equal(await world.fingerprint(), untouched, 'the preview wrote something');
  assert.ok(!fake.requests.some((r) => r.method !== 'GET'), 'the preview wrote to the API');

  // What the cloud runs while the upgrade goes on: control-plane instances, and which of them are the old ones.
  const samples: { total: number; old: number }[] = [];
  let sampling = false;
  sampler = setInterval(async () => {
    if (sampling) return;
    sampling = true;
    try {
      const cps = (await world.instances()).filter((i) => i.group === 'control-plane');
      samples.push({ total: cps.length, old: cps.filter((i) => oldCps.some((o) => o.id === i.id)).length });
    } catch {
      // moto stopping under a last sample (after()).
    } finally {
      sampling = false;
    }
  }, 300);

  const backup = await putEtcdBackup(store, NAME, oldCps[0].dns);
  // kill -9 the moment the first old control plane is terminated (the call reaches the cloud): its replacement has
  // joined, its Node is gone, the group is still above its spec's MaxSize.
  const killed = await runKilledOnCall(['upgrade', 'cluster', NAME, '--kubernetes-version', TO, '--yes'], env, 'autoscaling:TerminateInstanceInAutoScalingGroup', (hook) => (onCall = hook), 240_000);
  assert.ok(killed.killed, `the run reached TerminateInstanceInAutoScalingGroup:\n${killed.stderr}\n${kubelets.errors.map((e) => e.message).join('\n')}`);
  const progress = JSON.parse((await store.get(`${NAME}/upgrade/progress.json`))!.data.toString('utf8'));
  assert.deepEqual(progress.done, ['etcd-snapshot', 'apply']);
  assert.equal(await specVersion(), TO, 'the apply step wrote the revision the new instances run');
  assert.equal(boots.length, 1, `one new control plane booted before the kill: ${boots.map((b) => b.node).join(', ')}`);

  // The apply step recorded the load balancer as the endpoint again: back to the fake; the same command resumes.
  await world.pointApiAt(fake.url);
  const resumed = await k8sup(['upgrade', 'cluster', NAME, '--kubernetes-version', TO, '--yes', '--progress', 'ndjson'], { env, timeoutMs: 900_000 });
  assert.equal(resumed.code, 0, `${resumed.stdout}\n${resumed.stderr}`);
  clearInterval(sampler);
  const events = ndjson(resumed.stderr);
  const steps = events.filter((e) => e.code === 'upgrade.step').map((e) => `${e.step}:${e.phase}`);
  // The first control plane's instance is gone: its step has nothing left; the other two run, one after the other.
  assert.deepEqual(steps, [
    'etcd-snapshot:skipped',
    'apply:skipped',
    ...order.slice(1).flatMap((i: AwsInstance) => [`control-plane/${i.id}:start`, `control-plane/${i.id}:done`]),
    'validate-control-plane:start',
    'validate-control-plane:done',
    'roll/nodes:start',
    'roll/nodes:done',
    'validate:start',
    'validate:done',
  ]);

  // kubeadm's procedure, decided by each new control plane's own bundle: the first finds the cluster older than itself,
  // snapshots etcd and runs kubeadm upgrade plan/apply; the two after it find the cluster current and only join.
  assert.equal(boots.length, 3, boots.map((b) => b.node).join(', '));
  assert.ok(boots.every((b) => b.version === TO));
  const applies = boots.filter((b) => b.calls.some((c) => c.startsWith('kubeadm upgrade apply')));
  assert.deepEqual(applies.map((b) => b.node), [boots[0].node], 'exactly one control plane runs kubeadm upgrade apply: the first new one');
  const first = boots[0].calls;
  const at = (re: RegExp) => first.findIndex((c) => re.test(c));
  assert.ok(at(/^kubeadm join /) >= 0 && at(/^kubeadm join /) < at(/^k8sup-etcd-backup --force$/), first.join('\n'));
  assert.ok(at(/^k8sup-etcd-backup --force$/) < at(new RegExp(`^kubeadm upgrade plan v${TO.replaceAll('.', '\\.')}$`)));
  assert.ok(at(/^kubeadm upgrade plan /) < at(new RegExp(`^kubeadm upgrade apply v${TO.replaceAll('.', '\\.')} --yes$`)));
  for (const b of boots.slice(1)) {
    assert.ok(b.calls.some((c) => /^kubeadm join /.test(c)), `${b.node} joined`);
    assert.ok(!b.calls.some((c) => c.startsWith('kubeadm upgrade') || c.startsWith('kubeadm init')), `${b.node} ran only the join:\n${b.calls.filter((c) => c.startsWith('kubeadm')).join('\n')}`);
  }

  // etcd quorum: the cloud never ran fewer than three control planes nor more than four (one replaced at a time), and
  // at most one old one was missing before its replacement had joined.
  assert.ok(samples.length > 10, `sampled the cloud ${samples.length} times`);
  assert.ok(samples.every((s) => s.total >= 3 && s.total <= 4), `control planes in the cloud: ${samples.map((s) => `${s.total}(${s.old} old)`).join(' ')}`);
  assert.ok(samples.every((s, k) => k === 0 || s.old <= samples[k - 1].old), 'an old control plane never came back');
  // The API side: each old control plane's Node went only once a new one of v1.35.1 was Ready beside it.
  const writes = fake.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`);
  const deletions = order.map((i: AwsInstance) => writes.indexOf(`DELETE /api/v1/nodes/${i.dns}`));
  assert.ok(deletions.every((d) => d >= 0), `every old control plane's Node was deleted: ${deletions.join(', ')}`);
  assert.deepEqual([...deletions].sort((a, b) => a - b), deletions, 'in their steps\' order');

  // The end state: three new control planes of the new version, still one per zone; the node replaced; everything at v1.35.1.
  const afterUpgrade = await world.instances();
  const newCps = afterUpgrade.filter((i) => i.group === 'control-plane');
  assert.equal(newCps.length, 3);
  assert.ok(newCps.every((i) => !oldCps.some((o) => o.id === i.id)), 'every control plane was replaced');
  assert.deepEqual(new Set(newCps.map((i) => i.zone)), new Set(ZONES.split(',')), `still one control plane per zone: ${newCps.map((i) => i.zone).join(', ')}`);
  for (const i of afterUpgrade) assert.equal(bundleVersion(await world.bundleOf(i)), TO, `${i.id} runs the ${TO} bundle`);
  assert.ok(!afterUpgrade.some((i) => oldNodes.some((o) => o.id === i.id)), 'the node was replaced');
  assert.deepEqual([...new Set(state.nodes.map((n) => n.status.nodeInfo.kubeletVersion))], [`v${TO}`]);
  assert.equal(await specVersion(), TO);
  assert.equal(await store.get(`${NAME}/upgrade/progress.json`), null);
  assert.ok((await etcdBackupIds(store, NAME)).includes(backup), 'the backup the upgrade started from is kept');
  assert.deepEqual(kubelets.errors, []);
  // The group's limits are the spec's again (the interrupted retire's MaxSize too): update plans nothing.
  const update = await run('update', 'cluster', NAME, '-o', 'json');
  assert.equal(update.code, 0, update.stderr);
  const { summary, steps: planned } = JSON.parse(update.stdout);
  assert.deepEqual({ ...summary, noop: 0 }, { create: 0, update: 0, replace: 0, delete: 0, noop: 0 }, `update plans changes after the upgrade: ${JSON.stringify(planned.filter((s: any) => s.action !== 'noop'))}`);

  // A re-run does nothing: no cloud or store write, nothing in the API.
  const settled = await world.fingerprint();
  const apiWrites = fake.requests.filter((r) => r.method !== 'GET').length;
  const again = await run('upgrade', 'cluster', NAME, '--kubernetes-version', TO, '--yes');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /runs Kubernetes 1\.35\.1: nothing to upgrade/);
  assert.equal(await world.fingerprint(), settled);
  assert.equal(fake.requests.filter((r) => r.method !== 'GET').length, apiWrites);
});
