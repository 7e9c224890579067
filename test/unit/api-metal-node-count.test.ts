// Bare metal has one node per host: the worker group's size is the number of worker hosts, also when a spec read back
// (get cluster -o yaml → edit the hosts → replace -f) still carries the old minSize/maxSize. validate's expected
// count comes from that size (src/validate/checks.ts expectedNodeGroups).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCluster } from '../../src/api/index.js';
import { withDefaults } from '../../src/api/defaults.js';
import { expectedNodeGroups } from '../../src/validate/checks.js';

const host = (n: number, role: 'control-plane' | 'worker') => ({ name: `h${n}`, address: `10.0.0.${n}`, role });
const created = withDefaults({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name: 'lab.k8s.local' }, spec: { cloud: 'metal', hosts: [host(1, 'control-plane'), host(2, 'worker'), host(3, 'worker')] } });

/** The stored spec with other hosts, every other field (nodeGroups included) as read back. */
const withHosts = (hosts: object[]) => loadCluster(JSON.parse(JSON.stringify({ ...created, spec: { ...created.spec, hosts } })));

test('the created spec counts its two worker hosts', () => {
  assert.deepEqual(expectedNodeGroups(created), [{ group: 'control-plane', expected: 1 }, { group: 'nodes', expected: 2 }]);
});

test('a worker host removed or added: the group size and validate follow the hosts, not the old minSize', () => {
  const fewer = withHosts([host(1, 'control-plane'), host(2, 'worker')]);
  assert.equal(fewer.spec.nodeGroups[0].minSize, 1);
  assert.equal(fewer.spec.nodeGroups[0].maxSize, 1);
  assert.deepEqual(expectedNodeGroups(fewer), [{ group: 'control-plane', expected: 1 }, { group: 'nodes', expected: 1 }]);

  const more = withHosts([host(1, 'control-plane'), host(2, 'worker'), host(3, 'worker'), host(4, 'worker')]);
  assert.deepEqual(expectedNodeGroups(more), [{ group: 'control-plane', expected: 1 }, { group: 'nodes', expected: 3 }]);

  const none = withHosts([host(1, 'control-plane')]);
  assert.deepEqual(expectedNodeGroups(none), [{ group: 'control-plane', expected: 1 }, { group: 'nodes', expected: 0 }]);
});

test('a cloud node group keeps the size it was given', () => {
  const aws = withDefaults({ metadata: { name: 'c.k8s.local' }, spec: { zones: ['us-east-2a'], nodeGroups: [{ name: 'nodes', minSize: 3, maxSize: 5 }] } });
  assert.deepEqual([aws.spec.nodeGroups[0].minSize, aws.spec.nodeGroups[0].maxSize], [3, 5]);
});
