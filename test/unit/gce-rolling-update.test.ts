// The GCE side of rolling-update against a hand-written stand-in for the Compute API (the shared Compute fake has no
// managed-instance listing): which members run an old template, and recreateInstances + waiting for the group.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCluster } from '../../src/api/index.js';
import { RecordingIo } from '../../src/core/io.js';
import type { GceClients } from '../../providers/gce/clients.js';
import { description } from '../../providers/gce/model/names.js';
import { gceRollingUpdate } from '../../providers/gce/rolling-update.js';

const NAME = 'demo.k8s.local';
const cluster = loadCluster({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name: NAME }, spec: { cloud: 'gce', project: 'p', zones: ['us-central1-b'], kubernetesVersion: '1.31.4' } });
const T = (n: string) => `https://compute/projects/p/global/instanceTemplates/${n}`;

function fakeClients() {
  const calls: string[] = [];
  const igms = [
    { name: 'k8sup-demo-nodes-us-central1-b', zone: 'zones/us-central1-b', targetSize: 2, instanceTemplate: T('nodes-new'), description: description(NAME, 'instance-group/nodes/us-central1-b') },
    { name: 'k8sup-demo-cp-us-central1-b', zone: 'zones/us-central1-b', targetSize: 1, instanceTemplate: T('cp-1'), description: description(NAME, 'instance-group/cp/us-central1-b') },
    { name: 'someone-else', zone: 'zones/us-central1-b', targetSize: 1, instanceTemplate: T('x'), description: description('other.k8s.local', 'instance-group/nodes/us-central1-b') },
  ];
  const members: Record<string, any[]> = {
    'k8sup-demo-nodes-us-central1-b': [
      { instance: 'zones/us-central1-b/instances/nodes-a', instanceStatus: 'RUNNING', currentAction: 'NONE', version: { instanceTemplate: T('nodes-old') } },
      { instance: 'zones/us-central1-b/instances/nodes-b', instanceStatus: 'RUNNING', currentAction: 'NONE', version: { instanceTemplate: T('nodes-new') } },
    ],
    'k8sup-demo-cp-us-central1-b': [{ instance: 'zones/us-central1-b/instances/cp-a', instanceStatus: 'RUNNING', currentAction: 'NONE', version: { instanceTemplate: T('cp-1') } }],
  };
  let polls = 0;
  const api = {
    async call(service: string, method: string, req: any) {
      calls.push(`${method} ${req.instanceGroupManager ?? ''}`);
      if (method === 'get') return igms.find((g) => g.name === req.instanceGroupManager);
      if (method === 'listManagedInstances') {
        const list = members[req.instanceGroupManager];
        // The recreated member is busy for one poll, then runs the group's template under the same name.
        const busy = list.find((m) => m.currentAction === 'RECREATING');
        if (busy && polls++ > 0) Object.assign(busy, { currentAction: 'NONE', version: { instanceTemplate: T('nodes-new') } });
        return structuredClone(list);
      }
      throw new Error(`unexpected ${service}.${method}`);
    },
    async aggregatedList(service: string) {
      assert.equal(service, 'instanceGroupManagers');
      return igms;
    },
    async mutate(service: string, method: string, req: any) {
      calls.push(`${method} ${req.instanceGroupManager} ${JSON.stringify(req.instanceGroupManagersRecreateInstancesRequestResource)}`);
      members[req.instanceGroupManager].find((m) => m.instance.endsWith('/nodes-a')).currentAction = 'RECREATING';
      return { status: 'DONE' };
    },
    list: async () => [],
  };
  return { calls, clients: { settings: { cluster: NAME, project: 'p', region: 'us-central1' }, api } as unknown as GceClients };
}

test('GCE: members on an older template need update; recreateInstances and wait until it runs the current one', async () => {
  const { calls, clients } = fakeClients();
  const groups = await gceRollingUpdate.listGroups(cluster, clients);
  assert.deepEqual(groups.map((g) => [g.group, g.cloudName, g.currentVersion]), [
    ['control-plane', 'k8sup-demo-cp-us-central1-b', 'cp-1'],
    ['nodes', 'k8sup-demo-nodes-us-central1-b', 'nodes-new'],
  ], 'control plane first; another cluster\'s group is ignored');
  const nodes = groups[1];
  assert.deepEqual(nodes.instances.map((i) => [i.id, i.version, i.needsUpdate, i.nodeNames]), [
    ['nodes-a', 'nodes-old', true, ['nodes-a']],
    ['nodes-b', 'nodes-new', false, ['nodes-b']],
  ]);
  assert.equal(groups[0].instances[0].needsUpdate, false);

  const after = await gceRollingUpdate.replaceInstance(cluster, clients, nodes, nodes.instances[0], { io: new RecordingIo(), timeoutMs: 5000, pollMs: 1 });
  assert.ok(calls.includes('recreateInstances k8sup-demo-nodes-us-central1-b {"instances":["projects/p/zones/us-central1-b/instances/nodes-a"]}'), calls.join('\n'));
  assert.ok(after.instances.every((i) => !i.needsUpdate && i.status === 'RUNNING'));
  assert.ok(calls.filter((c) => c.startsWith('listManagedInstances k8sup-demo-nodes')).length >= 3, 'it waited while the member was RECREATING');
});
