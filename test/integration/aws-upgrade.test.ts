// upgrade cluster on AWS through the real CLI on moto (state in S3, every call through the fault proxy), the
// Kubernetes API played by the fake kube-apiserver trusted through the cluster's CA. The kubelet player
// (test/helpers/kubelet-player.ts) plays the kubelets: a running instance registers a Ready node named after its
// private DNS name whose kubelet version is the one its bootstrap bundle installs — read the way the instance reads
// it: the launch template's user data (the loader) → the bundle's sha256 → the bundle in the state store → its
// K8S_VERSION. A control plane also gets its static pods, as its kubelet would start them.
//
// The HA test (three control planes over three zones) boots each new control plane by running its real bootstrap
// script under the stub root (test/helpers/stub-root.ts), whose stub kubectl/kubeadm share one ClusterConfiguration
// version — the cluster's — so the bundle's own choice between `kubeadm upgrade apply` and only joining is what the
// test sees; a sampler counts the control planes the cloud runs meanwhile (etcd keeps quorum only if at most one is
// replaced at a time).

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Cluster } from '../../src/api/types.js';
import { openBlobStore } from '../../src/state/open.js';
import type { BlobStore } from '../../src/state/blob.js';
import { healthyClusterState, type FakeClusterState, type FakeKubeApiserver } from '../fakes/kube-apiserver.js';
import { k8sup, tempHome } from '../helpers/cli.js';
import { bundleVersion } from '../helpers/loader.js';
import { startClusterApi } from '../helpers/cluster-api.js';
import { awsBooted, awsClusterWorld, installedBootstrap, type AwsClusterWorld, type AwsInstance } from '../helpers/aws-cluster-world.js';
import { runKilledOnCall } from '../helpers/kill-on-call.js';
import { adoptInstances, playKubelets, type KubeletPlayer } from '../helpers/kubelet-player.js';
import type { StubRoot } from '../helpers/stub-root.js';
import { bootControlPlane as runControlPlaneBootstrap, joiningMilestones, milestones, upgradingMilestones, type ControlPlaneBoot } from '../helpers/control-plane-boot.js';
import { startControlResponder, type ControlResponder } from '../helpers/etcd-control-responder.js';
import { listBackups } from '../../src/lifecycle/etcd-backup.js';
import { motoLaunchTemplateVersionFix, startMoto, type Moto } from '../helpers/moto.js';
import { startThrottleProxy, type ThrottleProxy } from '../helpers/throttle-proxy.js';

const NAME = 'up.k8s.local';
const STATE = 's3://k8sup-state/clusters';
const FROM = '1.34.4';
const TO = '1.35.1';

let moto: Moto;
let proxy: ThrottleProxy;
let onCall: ((key: string) => void) | undefined;
let env: Record<string, string>;
let home: string;
let store: BlobStore;
let fake: FakeKubeApiserver | undefined;
let kubelets: KubeletPlayer | undefined;
// The HA test's own API, kubelets and stub roots.
const fakes: FakeKubeApiserver[] = [];
const players: KubeletPlayer[] = [];
const stubs: StubRoot[] = [];
let sampler: NodeJS.Timeout | undefined;

before(async () => {
  process.env.PYTHONPATH = [motoLaunchTemplateVersionFix(), process.env.PYTHONPATH].filter(Boolean).join(':');
  moto = await startMoto();
  // Throttles on the way (the CLI retries them); onCall lets a run be killed at a chosen call.
  proxy = await startThrottleProxy(moto.endpoint, { throttleRate: 0.03, resetRate: 0, onCall: (key) => onCall?.(key) });
  home = tempHome();
  env = { HOME: home, ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, K8SUP_STATE_STORE: STATE };
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: 'k8sup-state', CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
  store = await openBlobStore(STATE, env, home);
  world = awsClusterWorld(moto.endpoint, store, NAME);
});
let responder: ControlResponder | undefined;
after(async () => {
  await responder?.stop();
  clearInterval(sampler);
  kubelets?.stop();
  for (const p of players) p.stop();
  for (const s of stubs) s.cleanup();
  await fake?.stop();
  for (const f of fakes) await f.stop();
  await proxy?.stop();
  await moto?.stop();
});

const run = (...args: string[]) => k8sup(args, { env, timeoutMs: 300_000 });
let world: AwsClusterWorld;
const instances = () => world.instances();
const bundleOf = (i: AwsInstance) => world.bundleOf(i);
const versionOf = bundleVersion;

/** The kubelets: a booted instance registers a Ready node of its bundle's version (a control plane with its static pods). */
function kubeletsOf(state: FakeClusterState, live: AwsInstance[]): void {
  const templates = adoptInstances(state, [...live].sort((a, b) => a.id.localeCompare(b.id)).map(awsBooted));
  kubelets = playKubelets({
    state,
    templates,
    booted: live.map((i) => i.id),
    instances: async () => (await instances()).map(awsBooted),
    version: async (i) => versionOf(await bundleOf(i)),
  });
}

/** After the upgrade: update plans nothing, and the same upgrade again writes nothing (cloud, state store, API). */
async function assertSettled(cluster: string, w: AwsClusterWorld, api: FakeKubeApiserver): Promise<void> {
  const update = await run('update', 'cluster', cluster, '-o', 'json');
  assert.equal(update.code, 0, update.stderr);
  const { summary, steps } = JSON.parse(update.stdout);
  assert.deepEqual({ ...summary, noop: 0 }, { create: 0, update: 0, replace: 0, delete: 0, noop: 0 }, `update plans changes after the upgrade: ${JSON.stringify(steps.filter((s: any) => s.action !== 'noop'))}`);
  const settled = await w.fingerprint();
  const apiWrites = () => api.requests.filter((r) => r.method !== 'GET').length;
  const writes = apiWrites();
  const again = await run('upgrade', 'cluster', cluster, '--kubernetes-version', TO, '--yes');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /runs Kubernetes 1\.35\.1: nothing to upgrade/);
  assert.equal(await w.fingerprint(), settled);
  assert.equal(apiWrites(), writes);
}

/** The upgrade.step events of a run resumed after apply, in which the control planes `ids` were still to replace. */
const resumedSteps = (ids: string[]) => [
  'etcd-snapshot:skipped',
  'apply:skipped',
  ...[...ids.map((id) => `control-plane/${id}`), 'validate-control-plane', 'roll/nodes', 'validate'].flatMap((step) => [`${step}:start`, `${step}:done`]),
];

const ndjson = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

test('a single-control-plane AWS cluster: the plan is snapshot → control plane → nodes; --yes runs it, a kill resumes, a re-run does nothing', { timeout: 900_000 }, async () => {
  const created = await run('create', 'cluster', NAME, '--zones', 'us-east-2a', '--node-count', '1', '--kubernetes-version', FROM, '--yes');
  assert.equal(created.code, 0, created.stderr);
  const cluster = JSON.parse((await run('get', 'cluster', NAME, '-o', 'json')).stdout) as Cluster;
  assert.equal(cluster.spec.controlPlane.count, 1, 'the default: a single control plane');
  const before = await instances();
  const [oldControlPlane] = before.filter((i) => i.group === 'control-plane');
  const oldNodes = before.filter((i) => i.group === 'nodes');
  assert.ok(oldControlPlane);
  assert.equal(oldNodes.length, 1);
  assert.equal(versionOf(await bundleOf(oldControlPlane)), FROM);

  const state = healthyClusterState(cluster);
  fake = await startClusterApi(store, NAME, state);
  kubeletsOf(state, before);

  // Without --yes: the plan, in order, and nothing written anywhere (state store, cloud, API).
  const untouched = await world.fingerprint();
  const preview = await run('upgrade', 'cluster', NAME, '--kubernetes-version', TO, '-o', 'json');
  assert.equal(preview.code, 0, preview.stderr);
  const plan = JSON.parse(preview.stdout);
  assert.equal(plan.from, FROM);
  assert.equal(plan.to, TO);
  assert.deepEqual(plan.steps.map((s: any) => s.id), ['etcd-snapshot', 'apply', `control-plane/${oldControlPlane.id}`, 'validate-control-plane', 'roll/nodes', 'validate']);
  assert.ok(plan.steps.every((s: any) => s.done === false));
  assert.match(preview.stderr, /Would upgrade up\.k8s\.local from Kubernetes 1\.34\.4 to 1\.35\.1 in 6 steps; nothing was written/);
  assert.equal(await world.fingerprint(), untouched, 'the preview wrote something');
  assert.ok(!fake.requests.some((r) => r.method !== 'GET'), 'the preview wrote to the API');

  // No control plane answers the snapshot command within the bound: refused at the first step, the spec still says
  // the old version.
  const noBackup = await k8sup(['upgrade', 'cluster', NAME, '--kubernetes-version', TO, '--yes'], { env: { ...env, K8SUP_ETCD_SNAPSHOT_WAIT: '3s' }, timeoutMs: 300_000 });
  assert.equal(noBackup.code, 1, noBackup.stderr);
  assert.match(noBackup.stderr, /no control plane of up\.k8s\.local answered etcd backup command \S+ within 3s/);
  assert.equal(JSON.parse((await run('get', 'cluster', NAME, '-o', 'json')).stdout).spec.kubernetesVersion, FROM);
  assert.deepEqual((await instances()).map((i) => i.id).sort(), before.map((i) => i.id).sort(), 'nothing was replaced');

  // The control plane's poller answers the snapshot command (docs/backups.md, "The control folder").
  responder = startControlResponder(store, NAME);

  // --yes, killed (kill -9) the moment the control-plane group is asked to grow: snapshot and apply are recorded.
  const killed = await runKilledOnCall(['upgrade', 'cluster', NAME, '--kubernetes-version', TO, '--yes'], env, 'autoscaling:SetDesiredCapacity', (hook) => (onCall = hook));
  assert.ok(killed.killed, `the run reached SetDesiredCapacity:\n${killed.stderr}`);
  const progress = JSON.parse((await store.get(`${NAME}/upgrade/progress.json`))!.data.toString('utf8'));
  assert.deepEqual(progress.done, ['etcd-snapshot', 'apply']);
  assert.equal(progress.from, FROM);
  // The apply step wrote the new revision and told a lone control plane of 1.35.1 that it may join beside the old one.
  assert.equal(JSON.parse((await run('get', 'cluster', NAME, '-o', 'json')).stdout).spec.kubernetesVersion, TO);
  assert.equal((await store.get(`${NAME}/bootstrap/upgrade`))?.data.toString('utf8'), `from=${FROM}\nto=${TO}\n`);
  // …and recorded where the control planes' bundles of TO come from: they join with FROM's packages.
  assert.deepEqual(JSON.parse((await store.get(`${NAME}/upgrade/origin.json`))!.data.toString('utf8')), { from: FROM, to: TO });
  // The preview of the interrupted upgrade says what is done and what is left.
  const midway = JSON.parse((await run('upgrade', 'cluster', NAME, '--kubernetes-version', TO, '-o', 'json')).stdout);
  assert.deepEqual(midway.steps.map((s: any) => [s.id, s.done]), [['etcd-snapshot', true], ['apply', true], [`control-plane/${oldControlPlane.id}`, false], ['validate-control-plane', false], ['roll/nodes', false], ['validate', false]]);
  // Another version is refused while this one is unfinished.
  const other = await run('upgrade', 'cluster', NAME, '--kubernetes-version', '1.35.0', '--yes');
  assert.equal(other.code, 2, other.stderr);
  assert.match(other.stderr, /the upgrade from 1\.34\.4 to 1\.35\.1 has not finished/);

  // The apply step recorded the cluster's real endpoint (the load balancer) again: point it back at the fake.
  await world.pointApiAt(fake.url);
  // The same command resumes (the lock of the killed process on this host is taken over: its pid is gone).
  // The lone-control-plane marker as the nodes would read it during the run, each new content once.
  const markers: string[] = [];
  const watch = setInterval(() => {
    void store.get(`${NAME}/bootstrap/upgrade`).then((b) => {
      const t = b?.data.toString('utf8');
      if (t && markers.at(-1) !== t) markers.push(t);
    }, () => {});
  }, 200);
  const resumed = await k8sup(['upgrade', 'cluster', NAME, '--kubernetes-version', TO, '--yes', '--progress', 'ndjson'], { env, timeoutMs: 600_000 }).finally(() => clearInterval(watch));
  assert.equal(resumed.code, 0, `${resumed.stdout}\n${resumed.stderr}`);
  const events = ndjson(resumed.stderr + '\n' + resumed.stdout);
  const steps = events.filter((e) => e.code === 'upgrade.step').map((e) => `${e.step}:${e.phase}`);
  assert.deepEqual(steps, resumedSteps([oldControlPlane.id]));
  const codes = events.map((e) => e.code);
  assert.ok(codes.indexOf('rolling-update.terminated') > codes.indexOf('rolling-update.surge') || !codes.includes('rolling-update.surge'), 'the old control plane goes only after the new one');
  assert.equal(events.filter((e) => e.code === 'upgrade.done').length, 1);

  // The cloud: the old control plane and node are gone; their replacements run the 1.35.1 bundle, whose control-plane
  // side carries the upgrade path (join beside the running control plane, snapshot, kubeadm upgrade plan/apply).
  const afterUpgrade = await instances();
  const newControlPlanes = afterUpgrade.filter((i) => i.group === 'control-plane');
  const newNodes = afterUpgrade.filter((i) => i.group === 'nodes');
  assert.equal(newControlPlanes.length, 1, 'the control-plane group is back to one instance');
  assert.notEqual(newControlPlanes[0].id, oldControlPlane.id);
  assert.equal(newNodes.length, 1);
  assert.notEqual(newNodes[0].id, oldNodes[0].id);
  const cpBundle = await bundleOf(newControlPlanes[0]);
  assert.equal(versionOf(cpBundle), TO);
  assert.equal(versionOf(await bundleOf(newNodes[0])), TO);
  assert.match(cpBundle, /^upgrade_in_progress\(\) \{$/m);
  assert.match(cpBundle, /^ {6}kubeadm upgrade plan "v\$\{K8S_VERSION\}"$/m);
  assert.match(cpBundle, /^ {6}kubeadm upgrade apply "v\$\{K8S_VERSION\}" --yes$/m);
  assert.match(cpBundle, /^ {6}k8sup-etcd-backup --force \|\| die/m);
  // Rendered for the upgrade: the control plane carries FROM's pinned packages to join with (kubeadm's skew rule);
  // the node's bundle carries only its own packages, and waits for the control planes' upgrade before it joins.
  assert.match(cpBundle, new RegExp(`^K8S_FROM_PACKAGE_VERSION='${FROM.replaceAll('.', '\\.')}-1\\.1'$`, 'm'));
  assert.match(cpBundle, /^K8S_FROM_APT_URL='https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v1\.34\/deb\/'$/m);
  const nodeBundle = await bundleOf(newNodes[0]);
  assert.doesNotMatch(nodeBundle, /K8S_FROM_PACKAGE_VERSION|K8S_FROM_APT_URL/);
  assert.match(nodeBundle, /grep -qx "control-planes=\$\{K8S_VERSION\}"/);
  // What such a worker waited for: the CLI said every control plane runs TO before it rolled the nodes.
  assert.ok(markers.includes(`from=${FROM}\nto=${TO}\ncontrol-planes=${TO}\n`), markers.join(' | '));
  // The Kubernetes side: the old nodes were deleted, every node reports 1.35.1.
  assert.ok(!state.nodes.some((n) => n.metadata.name === oldControlPlane.dns || n.metadata.name === oldNodes[0].dns));
  assert.deepEqual([...new Set(state.nodes.map((n) => n.status.nodeInfo.kubeletVersion))], [`v${TO}`]);
  // The state: the spec says 1.35.1, progress and the lone-control-plane marker are gone, the backup is still there.
  assert.equal(JSON.parse((await run('get', 'cluster', NAME, '-o', 'json')).stdout).spec.kubernetesVersion, TO);
  assert.equal(await store.get(`${NAME}/upgrade/progress.json`), null);
  assert.equal(await store.get(`${NAME}/bootstrap/upgrade`), null);
  assert.equal(responder.answered.length, 1, 'one snapshot, before the control plane was touched');
  const backup = (await listBackups(store, NAME)).find((b) => b.command === responder!.answered[0]);
  assert.ok(backup?.complete, 'the snapshot answering the command is in the store');
  // The group's size limits are what the spec says again.
  await assertSettled(NAME, world, fake);
});

const HA = 'ha-up.k8s.local';
const ZONES = 'us-east-2a,us-east-2b,us-east-2c';
const specVersion = async (cluster: string) => JSON.parse((await run('get', 'cluster', cluster, '-o', 'json')).stdout).spec.kubernetesVersion;

/** A control plane's boot: its bundle as run by the instance, and what it ran. */
interface Boot extends ControlPlaneBoot {
  node: string;
  version: string;
}

test('HA over three zones: snapshot → each control plane one at a time → nodes; one kubeadm upgrade apply, etcd quorum kept, a kill resumes, a re-run does nothing', { timeout: 1_200_000 }, async () => {
  const ha = awsClusterWorld(moto.endpoint, store, HA);
  const created = await run('create', 'cluster', HA, '--zones', ZONES, '--control-plane-zones', ZONES, '--control-plane-count', '3', '--node-count', '1', '--kubernetes-version', FROM, '--yes');
  assert.equal(created.code, 0, created.stderr);
  const cluster = JSON.parse((await run('get', 'cluster', HA, '-o', 'json')).stdout) as Cluster;
  assert.equal(cluster.spec.controlPlane.count, 3);
  const before = await ha.instances();
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
    const bundle = await ha.bundleOf(i);
    // What the running cluster published in the state store for joining control planes (and the bootstrap token).
    const upgrade = (await store.get(`${HA}/bootstrap/upgrade`))?.data.toString('utf8');
    const storeObjects = { 'bootstrap/initialized': `initialized=true\nnode=${oldCps[0].dns}\n`, ...(upgrade ? { 'bootstrap/upgrade': upgrade } : {}) };
    // The first new control plane's machine stops (kill -9) between its join and kubeadm upgrade plan/apply, and
    // boots again: the bootstrap continues where it stopped.
    const boot = await runControlPlaneBootstrap(installedBootstrap(bundle), { clusterVersionFile: clusterVersion, storeObjects, firstRunFault: boots.length === 0 ? 'kill-before-upgrade-plan' : undefined, stubs });
    boots.push({ node: i.dns, version: bundleVersion(bundle)!, ...boot });
  };

  const state = healthyClusterState(cluster);
  const fake = await startClusterApi(store, HA, state);
  fakes.push(fake);
  const kubelets = playKubelets({
    state,
    templates: adoptInstances(state, [...before].sort((a, b) => a.id.localeCompare(b.id)).map(awsBooted)),
    booted: before.map((i) => i.id),
    instances: async () => (await ha.instances()).map(awsBooted),
    version: async (i) => bundleVersion(await ha.bundleOf(i)),
    boot: (i) => (i.group === 'control-plane' ? bootControlPlane(i) : undefined),
  });
  players.push(kubelets);

  // Without --yes: the snapshot, then each control plane on its own step, then the node group; nothing written.
  const untouched = await ha.fingerprint();
  const preview = await run('upgrade', 'cluster', HA, '--kubernetes-version', TO, '-o', 'json');
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
  assert.equal(await ha.fingerprint(), untouched, 'the preview wrote something');
  assert.ok(!fake.requests.some((r) => r.method !== 'GET'), 'the preview wrote to the API');

  // What the cloud runs while the upgrade goes on: control-plane instances, and which of them are the old ones.
  const samples: { total: number; old: number }[] = [];
  let sampling = false;
  sampler = setInterval(async () => {
    if (sampling) return;
    sampling = true;
    try {
      const cps = (await ha.instances()).filter((i) => i.group === 'control-plane');
      samples.push({ total: cps.length, old: cps.filter((i) => oldCps.some((o) => o.id === i.id)).length });
    } catch {
      // moto stopping under a last sample (after()).
    } finally {
      sampling = false;
    }
  }, 300);

  // A control plane's poller answers the snapshot command (docs/backups.md, "The control folder").
  await responder?.stop();
  responder = startControlResponder(store, HA, { node: oldCps[0].dns });
  // kill -9 the moment the first old control plane is terminated (the call reaches the cloud): its replacement has
  // joined, its Node is gone, the group is still above its spec's MaxSize.
  const killed = await runKilledOnCall(['upgrade', 'cluster', HA, '--kubernetes-version', TO, '--yes'], env, 'autoscaling:TerminateInstanceInAutoScalingGroup', (hook) => (onCall = hook), 240_000);
  assert.ok(killed.killed, `the run reached TerminateInstanceInAutoScalingGroup:\n${killed.stderr}\n${kubelets.errors.map((e) => e.message).join('\n')}`);
  const progress = JSON.parse((await store.get(`${HA}/upgrade/progress.json`))!.data.toString('utf8'));
  assert.deepEqual(progress.done, ['etcd-snapshot', 'apply']);
  assert.equal(await specVersion(HA), TO, 'the apply step wrote the revision the new instances run');
  assert.equal(boots.length, 1, `one new control plane booted before the kill: ${boots.map((b) => b.node).join(', ')}`);

  // The apply step recorded the load balancer as the endpoint again: back to the fake; the same command resumes.
  await ha.pointApiAt(fake.url);
  const resumed = await k8sup(['upgrade', 'cluster', HA, '--kubernetes-version', TO, '--yes', '--progress', 'ndjson'], { env, timeoutMs: 900_000 });
  assert.equal(resumed.code, 0, `${resumed.stdout}\n${resumed.stderr}`);
  clearInterval(sampler);
  const events = ndjson(resumed.stderr);
  const steps = events.filter((e) => e.code === 'upgrade.step').map((e) => `${e.step}:${e.phase}`);
  // The first control plane's instance is gone: its step has nothing left; the other two run, one after the other.
  assert.deepEqual(steps, resumedSteps(order.slice(1).map((i) => i.id)));

  // kubeadm's procedure, decided by each new control plane's own bundle: the first finds the cluster older than itself,
  // snapshots etcd and runs kubeadm upgrade plan/apply; the two after it find the cluster current and only join.
  assert.equal(boots.length, 3, boots.map((b) => b.node).join(', '));
  assert.ok(boots.every((b) => b.version === TO));
  const applies = boots.filter((b) => b.calls.some((c) => c.startsWith('kubeadm upgrade apply')));
  assert.deepEqual(applies.map((b) => b.node), [boots[0].node], 'exactly one control plane runs kubeadm upgrade apply: the first new one');
  // kubeadm's skew rule (docs/upgrades.md, "Why launched beside"): the first one reads the cluster's version with the
  // bootstrap token, joins with kubeadm, kubelet and kubectl FROM (a kubelet never newer than the API servers), and
  // only then installs kubeadm TO, snapshots etcd, runs kubeadm upgrade plan/apply and moves kubelet and kubectl to TO.
  // Killed right before the plan, its next boot continues: no second install of FROM, no second join.
  assert.deepEqual(boots[0].statuses, [null, 0], 'the first boot was killed, the second finished');
  assert.deepEqual(milestones(boots[0].calls), upgradingMilestones(FROM, TO, true), boots[0].calls.join('\n'));
  assert.equal(boots[0].kubeadmAtJoin, FROM, 'kubeadm join ran with the kubeadm the cluster was created with');
  // The two after it find the cluster at TO: they install TO and only join.
  for (const b of boots.slice(1)) {
    assert.deepEqual(milestones(b.calls), joiningMilestones(TO), `${b.node}:\n${b.calls.join('\n')}`);
    assert.equal(b.kubeadmAtJoin, TO);
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
  const afterUpgrade = await ha.instances();
  const newCps = afterUpgrade.filter((i) => i.group === 'control-plane');
  assert.equal(newCps.length, 3);
  assert.ok(newCps.every((i) => !oldCps.some((o) => o.id === i.id)), 'every control plane was replaced');
  assert.deepEqual(new Set(newCps.map((i) => i.zone)), new Set(ZONES.split(',')), `still one control plane per zone: ${newCps.map((i) => i.zone).join(', ')}`);
  for (const i of afterUpgrade) assert.equal(bundleVersion(await ha.bundleOf(i)), TO, `${i.id} runs the ${TO} bundle`);
  assert.ok(!afterUpgrade.some((i) => oldNodes.some((o) => o.id === i.id)), 'the node was replaced');
  assert.deepEqual([...new Set(state.nodes.map((n) => n.status.nodeInfo.kubeletVersion))], [`v${TO}`]);
  assert.equal(await specVersion(HA), TO);
  assert.equal(await store.get(`${HA}/upgrade/progress.json`), null);
  assert.equal(responder.answered.length, 1, 'one snapshot over the killed and the resumed run');
  assert.ok((await listBackups(store, HA)).some((b) => b.complete && b.command === responder!.answered[0]), 'the backup the upgrade started from is kept');
  assert.deepEqual(kubelets.errors, []);
  // The group's limits are the spec's again (the interrupted retire's MaxSize too).
  await assertSettled(HA, ha, fake);
});
