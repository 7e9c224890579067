// rolling-update end to end on GCE through the real CLI: Compute over K8SUP_GCE_ENDPOINT (the shared fake, whose
// managed groups recreate members the way GCE does: same name, new instance, the group's current template, after a
// while), the state in gs:// over STORAGE_EMULATOR_HOST, and the Kubernetes API played by the fake kube-apiserver
// serving a certificate of the cluster's own CA at the cluster's recorded endpoint. The kubelet player
// (test/helpers/kubelet-player.ts) plays the kubelets: every instance that boots registers a Ready node named after
// the instance (what kubeadm on GCE registers), once per instance (a recreated instance is a new one under the same
// name).

import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import type { Cluster } from '../../src/api/types.js';
import { openBlobStore } from '../../src/state/open.js';
import { FakeCompute } from '../fakes/gce-compute.js';
import { FakeGcs } from '../fakes/gcs.js';
import { healthyClusterState, type FakeKubeApiserver } from '../fakes/kube-apiserver.js';
import { k8sup, tempHome } from '../helpers/cli.js';
import { startClusterApi } from '../helpers/cluster-api.js';
import { gceBooted, gceInstances, type GceInstance } from '../helpers/gce-cluster-world.js';
import { adoptInstances, playKubelets, type KubeletPlayer } from '../helpers/kubelet-player.js';

const NAME = 'roll.k8s.local';
const PROJECT = 'roll-project';
const STATE = 'gs://k8sup-roll-state/prod';
const NEW_MACHINE_TYPE = 'e2-highcpu-8';

const compute = new FakeCompute({ project: PROJECT, pendingOperations: true });
const gcs = new FakeGcs();
const home = tempHome();
let env: Record<string, string>;
let fake: FakeKubeApiserver | undefined;
let kubelets: KubeletPlayer | undefined;

before(async () => {
  await compute.start();
  await gcs.start();
  gcs.createBucket('k8sup-roll-state', { uniformBucketLevelAccess: true });
  env = { HOME: home, K8SUP_GCE_ENDPOINT: compute.endpoint, STORAGE_EMULATOR_HOST: gcs.url, K8SUP_STATE_STORE: STATE };
});
after(async () => {
  kubelets?.stop();
  await fake?.stop();
  await compute.stop();
  await gcs.stop();
  rmSync(home, { recursive: true, force: true });
});

const run = (...args: string[]) => k8sup(args, { env, timeoutMs: 90_000 });
const lastSegment = (url: string) => url.slice(url.lastIndexOf('/') + 1);
type Instance = GceInstance;
const instances = () => gceInstances(compute, NAME);

test('rolling-update on GCE lists out-of-date node instances, recreates them one by one with --yes, then has nothing to do', { timeout: 120_000 }, async () => {
  const created = await run('create', 'cluster', NAME, '--zones', 'us-central1-b', '--project', PROJECT, '--node-count', '2', '--yes');
  assert.equal(created.code, 0, created.stderr);
  const fresh = await run('rolling-update', 'cluster', NAME, '-o', 'json');
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.equal(JSON.parse(fresh.stdout).toReplace, 0, 'nothing is out of date right after create');

  // A machine type change: update --yes makes a new node template and switches the group to it; members keep theirs.
  const doc = parse((await run('get', 'cluster', NAME, '-o', 'yaml')).stdout);
  assert.notEqual(doc.spec.nodeGroups[0].machineType, NEW_MACHINE_TYPE);
  doc.spec.nodeGroups[0].machineType = NEW_MACHINE_TYPE;
  const file = join(home, 'roll.yaml');
  writeFileSync(file, JSON.stringify(doc));
  assert.equal((await run('replace', '-f', file)).code, 0);
  const updated = await run('update', 'cluster', NAME, '--yes');
  assert.equal(updated.code, 0, updated.stderr);
  const cluster = JSON.parse((await run('get', 'cluster', NAME, '-o', 'json')).stdout) as Cluster;
  const nodeGroup = compute.list('instanceGroupManagers').find((g) => g.name.includes('-nodes-'));
  assert.ok(nodeGroup);
  const newTemplate = lastSegment(nodeGroup.instanceTemplate);
  const before = instances();
  const oldNodes = before.filter((i) => i.group === 'nodes');
  const controlPlane = before.filter((i) => i.group === 'control-plane');
  assert.equal(oldNodes.length, 2);
  assert.equal(controlPlane.length, 1);
  assert.ok(oldNodes.every((i) => i.template !== newTemplate && i.machineType !== NEW_MACHINE_TYPE), 'the running nodes still run the previous template');

  // The fake API server, trusted through the cluster's CA, as the cluster's recorded endpoint.
  const store = await openBlobStore(STATE, env, home);
  const state = healthyClusterState(cluster);
  fake = await startClusterApi(store, NAME, state);
  // The fake's nodes take the instances' names (pods follow their node); each instance has booted once.
  const asBooted = (i: Instance) => ({ ...gceBooted(i), labels: { 'node.kubernetes.io/instance-type': i.machineType } });
  const templates = adoptInstances(state, before.map(asBooted));

  // The kubelets. Each registration notes how far the API's request log had got and what template the other node
  // members ran, to tell afterwards that the instances went one at a time.
  const registrations: { name: string; at: number; othersOnOld: string[] }[] = [];
  kubelets = playKubelets({
    state,
    templates,
    booted: before.map((i) => i.id),
    instances: () => instances().map(asBooted),
    onRegister: (i) => registrations.push({ name: i.name, at: fake!.requests.length, othersOnOld: instances().filter((o) => o.group === 'nodes' && o.template !== newTemplate).map((o) => o.name) }),
    intervalMs: 100,
  });

  // Without --yes: both node instances NEED UPDATE, the control plane is up to date; nothing changes anywhere.
  const computeWrites = () => compute.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/listManagedInstances')).length;
  const writesBefore = computeWrites();
  const table = await run('rolling-update', 'cluster', NAME);
  assert.equal(table.code, 0, table.stderr);
  for (const i of oldNodes) assert.match(table.stdout, new RegExp(`${i.name}\\s.*NEEDS UPDATE`));
  assert.match(table.stdout, new RegExp(`${controlPlane[0].name}\\s.*up to date`));
  assert.match(table.stderr, /2 instance\(s\) to replace.*--yes/);
  const plan = JSON.parse((await run('rolling-update', 'cluster', NAME, '-o', 'json')).stdout);
  assert.equal(plan.toReplace, 2);
  assert.deepEqual(plan.groups.map((g: any) => [g.group, g.currentVersion]), [['control-plane', controlPlane[0].template], ['nodes', newTemplate]]);
  assert.deepEqual(instances(), before, 'no instance changed');
  assert.equal(computeWrites(), writesBefore, 'no Compute call but reads');
  assert.ok(!fake.requests.some((r) => r.method !== 'GET'), 'nothing was written to the API either');

  const rolled = await run('rolling-update', 'cluster', NAME, '--yes');
  assert.equal(rolled.code, 0, `${rolled.stdout}\n${rolled.stderr}`);
  assert.match(rolled.stderr, /Replaced 2 instance\(s\)/);
  const afterRoll = instances();
  const newNodes = afterRoll.filter((i) => i.group === 'nodes');
  assert.deepEqual(newNodes.map((i) => i.name), oldNodes.map((i) => i.name), 'recreated under the same names, the group at its size');
  assert.ok(newNodes.every((i) => !oldNodes.some((o) => o.id === i.id)), 'every node member is a new instance');
  assert.ok(newNodes.every((i) => i.template === newTemplate && i.machineType === NEW_MACHINE_TYPE), `on the new template: ${JSON.stringify(newNodes)}`);
  assert.deepEqual(afterRoll.filter((i) => i.group === 'control-plane'), controlPlane, 'the up-to-date control plane was left alone');
  const recreates = compute.requests.filter((r) => r.path.endsWith('/recreateInstances'));
  assert.equal(recreates.length, 2, 'one recreateInstances per instance');
  assert.ok(recreates.every((r) => r.path.includes(`/instanceGroupManagers/${nodeGroup.name}/`)));

  // Each old node was cordoned, drained and deleted before its instance was recreated; the control plane untouched.
  const writes = fake.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`);
  for (const o of oldNodes) {
    const cordon = writes.indexOf(`PATCH /api/v1/nodes/${o.name}`);
    const del = writes.indexOf(`DELETE /api/v1/nodes/${o.name}`);
    assert.ok(cordon >= 0 && del > cordon, `cordoned then deleted ${o.name}: ${writes.filter((w) => !w.startsWith('GET')).join(', ')}`);
    const reg = registrations.find((r) => r.name === o.name);
    assert.ok(reg && reg.at > del, `${o.name} booted again after its Node was deleted`);
  }
  assert.ok(writes.some((w) => /^POST \/api\/v1\/namespaces\/kube-system\/pods\/coredns-.*\/eviction$/.test(w)), 'CoreDNS pods on the nodes were evicted');
  assert.ok(!writes.some((w) => !w.startsWith('GET') && w.includes(controlPlane[0].name)));
  assert.ok(!writes.some((w) => !w.startsWith('GET') && /kube-proxy|calico/.test(w)), 'DaemonSet pods are not evicted');
  // One at a time: the first instance was back (and the cluster validated) before the second was cordoned, which
  // was still on the old template then.
  assert.equal(registrations.length, 2, JSON.stringify(registrations));
  const [first, second] = registrations;
  const secondCordon = writes.indexOf(`PATCH /api/v1/nodes/${second.name}`);
  assert.ok(first.at < secondCordon, `first back before the second was cordoned: ${JSON.stringify(registrations)} / ${secondCordon}`);
  assert.deepEqual(first.othersOnOld, [second.name]);
  // Validation runs after the first Node went and before the second is cordoned. (Its GET /readyz may be logged a
  // moment before the first node re-registers: the node list right after it is what sees it. Validation cannot
  // pass with the group one node short, so passing in this window means it passed after the node was back.)
  const firstDelete = writes.indexOf(`DELETE /api/v1/nodes/${first.name}`);
  assert.ok(writes.slice(firstDelete, secondCordon).some((w) => w === 'GET /readyz'), 'validated in between');

  const again = await run('rolling-update', 'cluster', NAME, '-o', 'json');
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).toReplace, 0, 'a second rolling-update has nothing to do');
  const none = await run('rolling-update', 'cluster', NAME, '--yes');
  assert.equal(none.code, 0, none.stderr);
  assert.match(none.stderr, /No instance of roll\.k8s\.local needs replacing/);
  assert.equal(compute.requests.filter((r) => r.path.endsWith('/recreateInstances')).length, 2, 'and recreates nothing');
});
