// The GCE side of rolling-update against the shared Compute fake through the real @google-cloud/compute client: which
// members run an old template, and recreateInstances + waiting for the group.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadCluster } from '../../src/api/index.js';
import { RecordingIo } from '../../src/core/io.js';
import { createGceClients } from '../../providers/gce/clients.js';
import { description } from '../../providers/gce/model/names.js';
import { gceRollingUpdate } from '../../providers/gce/rolling-update.js';
import { FakeCompute } from '../fakes/gce-compute.js';

const NAME = 'demo.k8s.local';
const ZONE = 'us-central1-b';
const cluster = loadCluster({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name: NAME }, spec: { cloud: 'gce', project: 'p', zones: [ZONE], kubernetesVersion: '1.34.4' } });
// Recreation shows as RECREATING for two listings, so the wait has to poll.
const fake = new FakeCompute({ project: 'p', pendingOperations: true, recreateReads: 2 });
const calls: string[] = [];
let clients: ReturnType<typeof createGceClients>;

before(async () => {
  await fake.start();
  clients = createGceClients({ cluster: NAME, project: 'p', region: 'us-central1' }, { env: { K8SUP_GCE_ENDPOINT: fake.endpoint }, onCall: (c) => calls.push(`${c.service}.${c.method}`) });
  const template = (name: string) => fake.seed('global', 'instanceTemplates', { name, properties: { machineType: name.includes('new') ? 'e2-standard-4' : 'e2-standard-2' } }).selfLink;
  const igm = (name: string, cl: string, id: string, t: string) =>
    fake.seed(`zones/${ZONE}`, 'instanceGroupManagers', { name, baseInstanceName: name, targetSize: 1, instanceTemplate: t, description: description(cl, id) });
  const oldNodes = template('k8sup-demo-k8s-local-nodes-old');
  const newNodes = template('k8sup-demo-k8s-local-nodes-new');
  igm('k8sup-demo-k8s-local-nodes-us-central1-b', NAME, `instance-group/nodes/${ZONE}`, oldNodes);
  igm('k8sup-demo-k8s-local-cp-us-central1-b', NAME, `instance-group/cp/${ZONE}`, template('k8sup-demo-k8s-local-cp-1'));
  // Another cluster whose names share the prefix (so the server-side name filter lets it through): the marker decides.
  igm('k8sup-demo-k8s-local-x-nodes-us-central1-b', 'demo.k8s.local.x', `instance-group/nodes/${ZONE}`, oldNodes);
  // One member on the old template; then the group switches templates (OPPORTUNISTIC) and grows by one on the new.
  const where = { zone: ZONE, instanceGroupManager: 'k8sup-demo-k8s-local-nodes-us-central1-b' };
  await clients.api.mutate('instanceGroupManagers', 'setInstanceTemplate', { ...where, instanceGroupManagersSetInstanceTemplateRequestResource: { instanceTemplate: newNodes } });
  await clients.api.mutate('instanceGroupManagers', 'resize', { ...where, size: 2 });
});
after(() => fake.stop());

test('GCE: members on an older template need update; recreateInstances and wait until it runs the current one', async () => {
  const groups = await gceRollingUpdate.listGroups(cluster, clients);
  assert.deepEqual(groups.map((g) => [g.group, g.cloudName, g.currentVersion, g.desired]), [
    ['control-plane', 'k8sup-demo-k8s-local-cp-us-central1-b', 'k8sup-demo-k8s-local-cp-1', 1],
    ['nodes', 'k8sup-demo-k8s-local-nodes-us-central1-b', 'k8sup-demo-k8s-local-nodes-new', 2],
  ], 'control plane first; another cluster\'s group is ignored');
  const nodes = groups[1];
  const byVersion = [...nodes.instances].sort((a, b) => a.version.localeCompare(b.version));
  assert.deepEqual(byVersion.map((i) => [i.version, i.needsUpdate, i.status, i.zone, i.nodeNames]), [
    ['k8sup-demo-k8s-local-nodes-new', false, 'RUNNING', ZONE, [byVersion[0].id]],
    ['k8sup-demo-k8s-local-nodes-old', true, 'RUNNING', ZONE, [byVersion[1].id]],
  ]);
  assert.equal(groups[0].instances[0].needsUpdate, false);
  const stale = byVersion[1];
  const oldId = fake.list('instances').find((i) => i.name === stale.id)!.id;

  calls.length = 0;
  const requestsBefore = fake.requests.length;
  const after = await gceRollingUpdate.replaceInstance(cluster, clients, nodes, stale, { io: new RecordingIo(), timeoutMs: 5000, pollMs: 1 });
  const recreate = fake.requests.slice(requestsBefore).filter((r) => r.path.endsWith('/recreateInstances'));
  assert.deepEqual(recreate.map((r) => r.path), ['/compute/v1/projects/p/zones/us-central1-b/instanceGroupManagers/k8sup-demo-k8s-local-nodes-us-central1-b/recreateInstances']);
  assert.ok(after.instances.every((i) => !i.needsUpdate && i.status === 'RUNNING'));
  assert.deepEqual(after.instances.map((i) => i.id).sort(), nodes.instances.map((i) => i.id).sort(), 'recreated under the same name');
  assert.ok(calls.filter((c) => c === 'instanceGroupManagers.listManagedInstances').length >= 3, `it waited while the member was RECREATING: ${calls.join(', ')}`);
  const now = fake.list('instances').find((i) => i.name === stale.id)!;
  assert.notEqual(now.id, oldId, 'a new instance');
  assert.match(now.machineType, /e2-standard-4$/, 'built from the current template');
  assert.equal(fake.list('instances').filter((i) => i.name.startsWith('k8sup-demo-k8s-local-x-')).length, 1, 'the other cluster was not touched');
});

test('GCE: a member that does not settle in time is an OperationError naming the states', async () => {
  const slow = new FakeCompute({ project: 'p', recreateReads: 1000 });
  await slow.start();
  try {
    const c = createGceClients({ cluster: NAME, project: 'p', region: 'us-central1' }, { env: { K8SUP_GCE_ENDPOINT: slow.endpoint } });
    const t = slow.seed('global', 'instanceTemplates', { name: 'k8sup-demo-k8s-local-nodes-a', properties: {} }).selfLink;
    slow.seed(`zones/${ZONE}`, 'instanceGroupManagers', { name: 'k8sup-demo-k8s-local-nodes-us-central1-b', baseInstanceName: 'n', targetSize: 1, instanceTemplate: t, description: description(NAME, `instance-group/nodes/${ZONE}`) });
    const [group] = await gceRollingUpdate.listGroups(cluster, c);
    await assert.rejects(gceRollingUpdate.replaceInstance(cluster, c, group, group.instances[0], { io: new RecordingIo(), timeoutMs: 300, pollMs: 20 }), (e: Error) => {
      assert.equal(e.name, 'OperationError');
      assert.match(e.message, new RegExp(`did not get back to 1 running instances.*${group.instances[0].id} RECREATING`));
      return true;
    });
  } finally {
    await slow.stop();
  }
});
