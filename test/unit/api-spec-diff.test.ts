import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCluster } from '../../src/api/index.js';
import { describeChanges, specChanges } from '../../src/api/spec-diff.js';

test('specChanges names each changed field by path; lists of objects item by item, scalar lists whole', () => {
  const a = loadCluster({ metadata: { name: 'd.k8s.local' }, spec: { zones: ['us-east-2a', 'us-east-2b'] } });
  const b = structuredClone(a);
  b.spec.nodeGroups[0].maxSize = 3;
  b.spec.zones = ['us-east-2a'];
  b.spec.nodeGroups[0].zones = ['us-east-2a'];
  b.spec.nodeGroups.push({ name: 'gpu', machineType: 'g5.xlarge', minSize: 0, maxSize: 2, zones: ['us-east-2a'] });
  const changes = specChanges(a, b);
  assert.deepEqual(changes.map((c) => c.path), ['spec.zones', 'spec.nodeGroups[0].maxSize', 'spec.nodeGroups[0].zones', 'spec.nodeGroups[1]']);
  assert.deepEqual(specChanges(a, structuredClone(a)), []);
  assert.match(describeChanges(changes), /spec\.nodeGroups\[0\]\.maxSize: 1 → 3/);
  assert.match(describeChanges(changes), /spec\.nodeGroups\[1\]: \(none\) → \{"name":"gpu"/);
});
