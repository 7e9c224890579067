// upgrade cluster on GCE through the real CLI: Compute over K8SUP_GCE_ENDPOINT (the shared fake: managed groups keep
// their target size from their current template, resize and deleteInstances as GCE has them), the state in gs:// over
// STORAGE_EMULATOR_HOST, the Kubernetes API played by the fake kube-apiserver trusted through the cluster's CA. The
// kubelet player (test/helpers/kubelet-player.ts) plays the kubelets: an instance that boots registers a Ready node
// under its name whose kubelet version is the one its bootstrap bundle installs — read as the instance reads it: its
// startup-script (the loader) → the bundle's sha256 → the bundle in the state store → K8S_VERSION. A control plane
// also gets its static pods. Besides the whole upgrade: kill -9 at the surge and at the retire of the control plane
// (the fake's onCall hook) then resume, and the refusals (skipped minor, downgrade, kubelet version skew).

import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Cluster } from '../../src/api/types.js';
import type { BlobStore } from '../../src/state/blob.js';
import { openBlobStore } from '../../src/state/open.js';
import { FakeCompute } from '../fakes/gce-compute.js';
import { FakeGcs } from '../fakes/gcs.js';
import { healthyClusterState, type FakeClusterState, type FakeKubeApiserver } from '../fakes/kube-apiserver.js';
import { k8sup, tempHome } from '../helpers/cli.js';
import { pointClusterApiAt, startClusterApi } from '../helpers/cluster-api.js';
import { bundleVersion } from '../helpers/loader.js';
import { runKilledOnCall } from '../helpers/kill-on-call.js';
import { gceBooted, gceBundleOf, gceInstances, type GceInstance } from '../helpers/gce-cluster-world.js';
import { adoptInstances, playKubelets, type KubeletPlayer } from '../helpers/kubelet-player.js';
import { startControlResponder, type ControlResponder } from '../helpers/etcd-control-responder.js';
import { installedBootstrap } from '../helpers/aws-cluster-world.js';
import { bootControlPlane, milestones, upgradingMilestones, type ControlPlaneBoot } from '../helpers/control-plane-boot.js';
import type { StubRoot } from '../helpers/stub-root.js';

const NAME = 'up.k8s.local';
const PROJECT = 'up-project';
const STATE = 'gs://k8sup-up-state/prod';
const FROM = '1.34.4';
const TO = '1.35.1';

const compute = new FakeCompute({ project: PROJECT, pendingOperations: true });
const gcs = new FakeGcs();
const home = tempHome();
let env: Record<string, string>;
let store: BlobStore;
const fakes: FakeKubeApiserver[] = [];
const kubelets: KubeletPlayer[] = [];
const stubs: StubRoot[] = [];

before(async () => {
  await compute.start();
  await gcs.start();
  gcs.createBucket('k8sup-up-state', { uniformBucketLevelAccess: true });
  env = { HOME: home, K8SUP_GCE_ENDPOINT: compute.endpoint, STORAGE_EMULATOR_HOST: gcs.url, K8SUP_STATE_STORE: STATE };
  store = await openBlobStore(STATE, env, home);
});
let responder: ControlResponder | undefined;
after(async () => {
  await responder?.stop();
  for (const k of kubelets) k.stop();
  for (const s of stubs) s.cleanup();
  for (const f of fakes) await f.stop();
  await compute.stop();
  await gcs.stop();
  rmSync(home, { recursive: true, force: true });
});

const run = (...args: string[]) => k8sup(args, { env, timeoutMs: 180_000 });

type Instance = GceInstance;
const instances = (cluster = NAME) => gceInstances(compute, cluster);
const asBooted = gceBooted;
const bundleOf = (loader: string, cluster = NAME) => gceBundleOf(store, cluster, loader);
const versionOf = bundleVersion;

/**
 * The cluster's API on the fake kube-apiserver, its kubelets played: a booted instance registers a Ready node of its
 * bundle's version. Returns the fake's state.
 */
async function playCluster(cluster: Cluster, before: Instance[], boot?: (i: Instance) => Promise<void> | void): Promise<FakeClusterState> {
  const name = cluster.metadata.name;
  const state = healthyClusterState(cluster);
  // The upgraded control plane's bundle applies the addons of the new minor (their images are pinned per minor,
  // docs/addons.md): the API shows their DaemonSets as they will be once applied (an extra one does not matter before).
  const upgradedState = healthyClusterState({ ...cluster, spec: { ...cluster.spec, kubernetesVersion: TO } });
  for (const ds of upgradedState.daemonSets) {
    if (!state.daemonSets.some((d) => d.metadata.namespace === ds.metadata.namespace && d.metadata.name === ds.metadata.name)) state.add('daemonsets', ds);
  }
  fakes.push(await startClusterApi(store, name, state));
  const templates = adoptInstances(state, before.map(asBooted));
  kubelets.push(playKubelets({ state, templates, booted: before.map((i) => i.id), instances: () => instances(name).map(asBooted), version: async (i) => versionOf(await bundleOf(i.loader, name)), boot, intervalMs: 100 }));
  return state;
}

const computeWrites = () => compute.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/listManagedInstances')).length;

test('a single-control-plane GCE cluster: snapshot → control plane beside → nodes, then nothing to do', { timeout: 600_000 }, async () => {
  const created = await run('create', 'cluster', NAME, '--zones', 'us-central1-b', '--project', PROJECT, '--node-count', '1', '--kubernetes-version', FROM, '--yes');
  assert.equal(created.code, 0, created.stderr);
  const cluster = JSON.parse((await run('get', 'cluster', NAME, '-o', 'json')).stdout) as Cluster;
  const before = instances();
  const [oldControlPlane] = before.filter((i) => i.group === 'control-plane');
  const [oldNode] = before.filter((i) => i.group === 'nodes');
  assert.ok(oldControlPlane && oldNode);
  assert.equal(versionOf(await bundleOf(oldControlPlane.loader)), FROM);

  // The new control plane boots its real bundle under a stub root (test/helpers/control-plane-boot.ts): the cluster's
  // ClusterConfiguration is at FROM until its `kubeadm upgrade apply` moves it.
  const clusterVersion = join(home, 'cluster-version');
  writeFileSync(clusterVersion, `v${FROM}\n`);
  const boots: ControlPlaneBoot[] = [];
  const state = await playCluster(cluster, before, async (i) => {
    if (i.group !== 'control-plane') return;
    const bundle = await bundleOf(i.loader);
    // A lone first control plane joins only beside the running one: what the CLI published for it (bootstrap/upgrade).
    const upgrade = (await store.get(`${NAME}/bootstrap/upgrade`))?.data.toString('utf8');
    boots.push(await bootControlPlane(installedBootstrap(bundle, '10.128.0.2'), { clusterVersionFile: clusterVersion, storeObjects: upgrade ? { 'bootstrap/upgrade': upgrade } : {}, stubs }));
  });

  const writes = computeWrites();
  const preview = await run('upgrade', 'cluster', NAME, '--kubernetes-version', TO, '-o', 'json');
  assert.equal(preview.code, 0, preview.stderr);
  assert.deepEqual(JSON.parse(preview.stdout).steps.map((s: any) => s.id), ['etcd-snapshot', 'apply', `control-plane/${oldControlPlane.name}`, 'validate-control-plane', 'roll/nodes', 'validate']);
  assert.equal(computeWrites(), writes, 'the preview wrote to Compute');
  assert.equal(await store.get(`${NAME}/upgrade/progress.json`), null);

  // The control plane's poller answers the snapshot command in the state store (docs/backups.md, "The control folder").
  responder = startControlResponder(store, NAME);
  const upgraded = await k8sup(['upgrade', 'cluster', NAME, '--kubernetes-version', TO, '--yes', '--progress', 'ndjson'], { env, timeoutMs: 400_000 });
  assert.equal(upgraded.code, 0, `${upgraded.stdout}\n${upgraded.stderr}`);
  assert.equal(responder.answered.length, 1, 'one snapshot before the control plane was touched');
  const events = upgraded.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  assert.deepEqual(
    events.filter((e) => e.code === 'upgrade.step' && e.phase === 'done').map((e) => e.step),
    ['etcd-snapshot', 'apply', `control-plane/${oldControlPlane.name}`, 'validate-control-plane', 'roll/nodes', 'validate'],
  );
  const codes = events.map((e) => e.code);
  assert.ok(codes.indexOf('rolling-update.surge') >= 0 && codes.indexOf('rolling-update.surge') < codes.indexOf('rolling-update.terminated'), 'the new control plane came before the old one left');

  const afterUpgrade = instances();
  const cps = afterUpgrade.filter((i) => i.group === 'control-plane');
  assert.equal(cps.length, 1, 'the control-plane group is back to its size');
  assert.notEqual(cps[0].name, oldControlPlane.name);
  const cpBundle = await bundleOf(cps[0].loader);
  assert.equal(versionOf(cpBundle), TO);
  assert.match(cpBundle, /^upgrade_in_progress\(\) \{$/m);
  // kubeadm's skew rule, run by the new control plane's own bundle: it read the cluster at FROM with the bootstrap
  // token, joined with kubeadm, kubelet and kubectl FROM, then installed kubeadm TO, snapshotted etcd, ran kubeadm
  // upgrade plan/apply, and only then moved kubelet and kubectl to TO.
  assert.equal(boots.length, 1);
  assert.deepEqual(milestones(boots[0].calls), upgradingMilestones(FROM, TO), boots[0].calls.join('\n'));
  assert.equal(boots[0].kubeadmAtJoin, FROM);
  assert.equal(readFileSync(clusterVersion, 'utf8').trim(), `v${TO}`, 'kubeadm upgrade apply moved the ClusterConfiguration');
  const nodes = afterUpgrade.filter((i) => i.group === 'nodes');
  assert.equal(nodes.length, 1);
  assert.equal(versionOf(await bundleOf(nodes[0].loader)), TO);
  assert.deepEqual([...new Set(state.nodes.map((n) => n.status.nodeInfo.kubeletVersion))], [`v${TO}`]);
  assert.equal(JSON.parse((await run('get', 'cluster', NAME, '-o', 'json')).stdout).spec.kubernetesVersion, TO);
  assert.equal(await store.get(`${NAME}/bootstrap/upgrade`), null);
  assert.equal(compute.list('instanceGroupManagers').find((g) => g.name.includes('-cp-'))?.targetSize, 1, 'the group is back to its spec size');

  const settled = computeWrites();
  const again = await run('upgrade', 'cluster', NAME, '--kubernetes-version', TO, '--yes');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /nothing to upgrade/);
  assert.equal(computeWrites(), settled);
});

// kill -9 at the control plane's surge (the group grown by one, the new member booting) and at its retire (the old
// member deleted, the step not yet recorded): the same command again finishes, with etcd's members never fewer than
// the spec's nor more than one above it.
for (const [call, cluster] of [['compute:resize', 'kill-surge.k8s.local'], ['compute:deleteInstances', 'kill-retire.k8s.local']] as const) {
  test(`GCE, killed (kill -9) at ${call}: the same command resumes and finishes, then nothing to do`, { timeout: 600_000 }, async () => {
    const up = (...args: string[]) => ['upgrade', 'cluster', cluster, '--kubernetes-version', TO, ...args];
    const created = await run('create', 'cluster', cluster, '--zones', 'us-central1-b', '--project', PROJECT, '--node-count', '1', '--kubernetes-version', FROM, '--yes');
    assert.equal(created.code, 0, created.stderr);
    const spec = JSON.parse((await run('get', 'cluster', cluster, '-o', 'json')).stdout) as Cluster;
    const before = instances(cluster);
    const [oldControlPlane] = before.filter((i) => i.group === 'control-plane');
    const [oldNode] = before.filter((i) => i.group === 'nodes');
    const state = await playCluster(spec, before);
    // A control plane's poller answers the snapshot command (docs/backups.md, "The control folder").
    await responder?.stop();
    responder = startControlResponder(store, cluster, { node: oldControlPlane.name });

    // The control planes the cloud runs, sampled in-process (the fake's own store) while the upgrade goes on.
    const controlPlanes: number[] = [];
    const sampler = setInterval(() => controlPlanes.push(instances(cluster).filter((i) => i.group === 'control-plane').length), 50);
    try {
      const killed = await runKilledOnCall(up('--yes'), env, call, (hook) => {
        compute.onCall = hook && ((method, path) => method === 'POST' && hook(`compute:${path.slice(path.lastIndexOf('/') + 1)}`));
      });
      assert.ok(killed.killed, `the run reached ${call}:\n${killed.stderr}`);
      const progress = JSON.parse((await store.get(`${cluster}/upgrade/progress.json`))!.data.toString('utf8'));
      assert.deepEqual(progress.done, ['etcd-snapshot', 'apply'], 'killed inside the control-plane step');
      const group = () => compute.list('instanceGroupManagers').find((g) => g.name.includes('-cp-') && g.name.includes(cluster.split('.')[0]));
      assert.equal(group()?.targetSize, call === 'compute:resize' ? 2 : 1, 'the call reached the cloud before the kill');

      // The apply step recorded the load balancer as the endpoint again: back to the fake. The same command, resumed:
      // the finished steps are skipped, a surged group is not grown again.
      await pointClusterApiAt(store, cluster, fakes.at(-1)!.url);
      const resumed = await k8sup(up('--yes', '--progress', 'ndjson'), { env, timeoutMs: 400_000 });
      assert.equal(resumed.code, 0, `${resumed.stdout}\n${resumed.stderr}`);
      const events = resumed.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      const steps = events.filter((e) => e.code === 'upgrade.step').map((e) => `${e.step}:${e.phase}`);
      // Killed at the retire, the old member is gone: its step has nothing left and is not planned again.
      const controlPlaneSteps = call === 'compute:resize' ? [`control-plane/${oldControlPlane.name}:start`, `control-plane/${oldControlPlane.name}:done`] : [];
      assert.deepEqual(steps, ['etcd-snapshot:skipped', 'apply:skipped', ...controlPlaneSteps, 'validate-control-plane:start', 'validate-control-plane:done', 'roll/nodes:start', 'roll/nodes:done', 'validate:start', 'validate:done']);
      assert.equal(compute.requests.filter((r) => r.path.endsWith('/resize') && r.path.includes(group()!.name)).length, 1, 'the control-plane group was grown once, over both runs');
      assert.ok(!events.some((e) => e.code === 'rolling-update.surge'), 'the resumed run did not surge again');
    } finally {
      clearInterval(sampler);
    }
    assert.ok(controlPlanes.length > 10);
    assert.ok(controlPlanes.every((n) => n >= 1 && n <= 2), `control planes in the cloud: ${[...new Set(controlPlanes)].join(', ')}`);

    const afterUpgrade = instances(cluster);
    const cps = afterUpgrade.filter((i) => i.group === 'control-plane');
    assert.equal(cps.length, 1, 'the control-plane group is back to its size');
    assert.notEqual(cps[0].name, oldControlPlane.name);
    assert.equal(versionOf(await bundleOf(cps[0].loader, cluster)), TO);
    const nodes = afterUpgrade.filter((i) => i.group === 'nodes');
    assert.equal(nodes.length, 1);
    assert.notEqual(nodes[0].id, oldNode.id);
    assert.deepEqual([...new Set(state.nodes.map((n) => n.status.nodeInfo.kubeletVersion))], [`v${TO}`]);
    assert.equal(JSON.parse((await run('get', 'cluster', cluster, '-o', 'json')).stdout).spec.kubernetesVersion, TO);
    assert.equal(await store.get(`${cluster}/upgrade/progress.json`), null);
    assert.equal(await store.get(`${cluster}/bootstrap/upgrade`), null);

    const settled = computeWrites();
    const again = await run(...up('--yes'));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /nothing to upgrade/);
    assert.equal(computeWrites(), settled);
  });
}

test('refused with exit 2 and nothing written: skipping a minor, a downgrade, a kubelet outside the skew policy for the roll', { timeout: 600_000 }, async () => {
  const cluster = 'skew.k8s.local';
  const created = await run('create', 'cluster', cluster, '--zones', 'us-central1-b', '--project', PROJECT, '--node-count', '1', '--kubernetes-version', '1.33.8', '--yes');
  assert.equal(created.code, 0, created.stderr);
  const spec = JSON.parse((await run('get', 'cluster', cluster, '-o', 'json')).stdout) as Cluster;
  const before = instances(cluster);
  const state = await playCluster(spec, before);
  const fake = fakes.at(-1)!;
  await responder?.stop();
  responder = startControlResponder(store, cluster, { node: before[0].name });
  // Everything the state store holds for the cluster (the lock too: a refusal under the lock must leave none).
  const storeNow = async () => {
    const keys = (await store.list(`${cluster}/`)).sort();
    return JSON.stringify(await Promise.all(keys.map(async (k) => `${k}=${(await store.get(k))?.data.toString('base64')}`)));
  };
  const refused = async (version: string, message: RegExp) => {
    for (const yes of [[], ['--yes']]) {
      const [objects, writes, apiWrites] = [await storeNow(), computeWrites(), fake.requests.filter((r) => r.method !== 'GET').length];
      const r = await run('upgrade', 'cluster', cluster, '--kubernetes-version', version, ...yes);
      assert.equal(r.code, 2, `${version} ${yes.join(' ')}: ${r.stdout}\n${r.stderr}`);
      // One line of what is wrong, one of how to fix it.
      assert.equal(r.stderr.split('\n').filter((l) => /^(error|hint): /.test(l)).length, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`^error: skew\\.k8s\\.local: ${message.source}`, 'm'));
      assert.match(r.stderr, /^hint: \S/m);
      assert.equal(await storeNow(), objects, `${version} ${yes.join(' ')}: the state store changed`);
      assert.equal(computeWrites(), writes, `${version} ${yes.join(' ')}: Compute was written to`);
      assert.equal(fake.requests.filter((r) => r.method !== 'GET').length, apiWrites, `${version} ${yes.join(' ')}: the API was written to`);
    }
  };
  await refused('1.35.1', /cannot skip minor versions \(1\.33\.8 → 1\.35\.1\)/);
  await refused('1.33.7', /cannot downgrade Kubernetes from 1\.33\.8 to 1\.33\.7/);

  // A node whose kubelet would be four minors behind the API servers once the control plane runs 1.34 (the policy
  // allows three), and one of a minor newer than the API servers': refused by --yes before anything is written.
  const [node] = state.nodesInGroup('nodes');
  const kubelet = (v: string) => state.modify('nodes', state.node(node), (n) => (n.status.nodeInfo.kubeletVersion = v));
  const refusedSkew = async (message: RegExp) => {
    const [objects, writes, apiWrites] = [await storeNow(), computeWrites(), fake.requests.filter((r) => r.method !== 'GET').length];
    const r = await run('upgrade', 'cluster', cluster, '--kubernetes-version', '1.34.4', '--yes');
    assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
    assert.equal(r.stderr.split('\n').filter((l) => /^(error|hint): /.test(l)).length, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^error: skew\\.k8s\\.local: cannot upgrade from 1\\.33\\.8 to 1\\.34\\.4: node ${node} ${message.source}$`, 'm'));
    assert.match(r.stderr, /^hint: .*one minor version at a time/m);
    assert.equal(await storeNow(), objects, 'the state store changed');
    assert.equal(computeWrites(), writes, 'Compute was written to');
    assert.equal(fake.requests.filter((r) => r.method !== 'GET').length, apiWrites, 'the API was written to');
  };
  kubelet('v1.30.14');
  await refusedSkew(/runs kubelet v1\.30\.14, 4 minor versions behind 1\.34\.4 once the control planes run it \(the version skew policy allows 3\)/);
  kubelet('v1.34.1');
  await refusedSkew(/runs kubelet v1\.34\.1, a minor newer than the API servers' 1\.33\.8 \(a kubelet must not be newer than kube-apiserver\)/);

  // Three minors behind is within the policy: the upgrade runs, and the node is replaced onto 1.34.4.
  kubelet('v1.31.14');
  const upgraded = await run('upgrade', 'cluster', cluster, '--kubernetes-version', '1.34.4', '--yes');
  assert.equal(upgraded.code, 0, `${upgraded.stdout}\n${upgraded.stderr}`);
  assert.deepEqual([...new Set(state.nodes.map((n) => n.status.nodeInfo.kubeletVersion))], ['v1.34.4']);
});
