// The plan of `upgrade cluster` on a cloud (src/lifecycle/cloud-upgrade.ts), pure over what the cloud lists: before the
// apply step every control plane gets a step; after it only those still on an older configuration do, and the
// finished ones of an interrupted run stay listed so the plan reads whole. Node groups roll in spec order. Its preflight
// refuses an upgrade from a version without pinned packages (the new control planes join with them).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCluster, type Cluster } from '../../src/api/index.js';
import { cloudUpgradeCapability, planCloudUpgrade, type CloudUpgradeDeps } from '../../src/lifecycle/cloud-upgrade.js';
import { InvalidInputError } from '../../src/core/errors.js';
import type { CloudInstanceGroup, GroupInstance } from '../../src/core/provider.js';

function haCluster(): Cluster {
  return loadCluster({
    apiVersion: 'k8sup.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'demo.k8s.local' },
    spec: {
      cloud: 'aws',
      zones: ['us-east-2a', 'us-east-2b', 'us-east-2c'],
      controlPlane: { count: 3, zones: ['us-east-2a', 'us-east-2b', 'us-east-2c'] },
      kubernetesVersion: '1.34.4',
      nodeGroups: [
        { name: 'zeta', machineType: 't3.large', minSize: 1, maxSize: 1, zones: ['us-east-2a'] },
        { name: 'alpha', machineType: 't3.large', minSize: 1, maxSize: 1, zones: ['us-east-2a'] },
      ],
    },
  });
}

const inst = (id: string, needsUpdate: boolean): GroupInstance => ({ id, version: needsUpdate ? 'lt:1' : 'lt:2', needsUpdate, status: 'InService', nodeNames: [`node-${id}`] });
const controlPlanes = (instances: GroupInstance[]): CloudInstanceGroup => ({ group: 'control-plane', role: 'control-plane', cloudName: 'cp', currentVersion: 'lt:2', desired: instances.length, instances });

test('before apply: every control plane one at a time, then the node groups in spec order, validation between', () => {
  const steps = planCloudUpgrade(haCluster(), [controlPlanes([inst('i-a', false), inst('i-b', false), inst('i-c', false)])], '1.35.1', null);
  assert.deepEqual(steps.map((s) => s.id), ['etcd-snapshot', 'apply', 'control-plane/i-a', 'control-plane/i-b', 'control-plane/i-c', 'validate-control-plane', 'roll/zeta', 'roll/alpha', 'validate']);
  assert.match(steps.find((s) => s.id === 'control-plane/i-a')!.description, /beside i-a .*kubeadm upgrade plan\/apply v1\.35\.1/);
});

test('resumed after apply: the replaced control plane stays listed as done history, the new one gets no step', () => {
  // i-a was replaced by i-new (current configuration); i-b and i-c are left.
  const groups = [controlPlanes([inst('i-b', true), inst('i-c', true), inst('i-new', false)])];
  const steps = planCloudUpgrade(haCluster(), groups, '1.35.1', { done: ['etcd-snapshot', 'apply', 'control-plane/i-a'] });
  assert.deepEqual(steps.map((s) => s.id), ['etcd-snapshot', 'apply', 'control-plane/i-a', 'control-plane/i-b', 'control-plane/i-c', 'validate-control-plane', 'roll/zeta', 'roll/alpha', 'validate']);
  assert.ok(!steps.some((s) => s.target === 'i-new'));
});

// The first new control plane joins with the old version's packages (kubeadm's skew rule, docs/upgrades.md): an old
// version this k8sup has no pins for is refused before the API or the cloud is asked anything.
test('preflight: an upgrade from a version without pinned packages is refused (exit 2) before anything is asked', async () => {
  const cluster = haCluster();
  const asked: string[] = [];
  const deps = {
    capability: {
      surgeInstance: async () => { asked.push('surge'); throw new Error('not here'); },
      retireInstance: async () => { asked.push('retire'); throw new Error('not here'); },
      listGroups: async () => { asked.push('listGroups'); return []; },
    },
    openKube: async () => { asked.push('api'); throw new Error('not here'); },
  } as unknown as CloudUpgradeDeps<unknown>;
  const capability = cloudUpgradeCapability(cluster, deps);
  const upgraded = loadCluster({ ...cluster, spec: { ...cluster.spec, kubernetesVersion: '1.33.8' } });
  await assert.rejects(
    capability.preflight!(cluster, {}, { io: undefined as never, from: '1.32.9', to: '1.33.8', upgraded }),
    (e: unknown) => e instanceof InvalidInputError && /no pinned packages for Kubernetes 1\.32\.9, which the new control planes must join with/.test(e.message) && /1\.33\.0–1\.33\.8/.test(e.hint ?? ''),
  );
  assert.deepEqual(asked, []);
});
