// get clusters reads the clusters of a store in parallel, a bounded number at a time (issue 17: 100 clusters on a
// store 50 ms away in under 2 s), and still lists every cluster once, sorted, with its latest revision.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterToYaml } from '../../src/api/index.js';
import { withDefaults } from '../../src/api/defaults.js';
import { clusterSummaries } from '../../src/lifecycle/cluster-summaries.js';
import { ClusterStore } from '../../src/state/cluster-store.js';
import { MemoryBlobStore } from '../../src/state/memory.js';
import { LatencyStore } from '../helpers/latency-store.js';

test('100 clusters on a slow store: read in parallel (bounded), every one listed once with its latest revision', async () => {
  const inner = new MemoryBlobStore();
  const names = Array.from({ length: 100 }, (_, i) => `c${String(i).padStart(2, '0')}.k8s.local`);
  for (const [i, name] of names.entries()) {
    const yaml = clusterToYaml(withDefaults({ metadata: { name }, spec: { zones: ['us-east-2a'] } }));
    const cs = new ClusterStore(inner, name);
    await cs.writeRevision(yaml, { expectedRevision: 0, author: 'test' });
    if (i % 2) await cs.writeRevision(yaml, { expectedRevision: 1, author: 'test' });
    if (i % 5 === 0) await cs.putObject('cluster-info.json', JSON.stringify({ appliedRevision: 1 }));
  }
  const store = new LatencyStore(inner, 10);
  const rows = await clusterSummaries(store);
  assert.deepEqual(rows.map((r) => r.name), names);
  assert.deepEqual(rows.map((r) => r.revision), names.map((_, i) => (i % 2 ? 2 : 1)));
  assert.deepEqual(rows.map((r) => r.appliedRevision), names.map((_, i) => (i % 5 === 0 ? 1 : null)));
  assert.ok(rows.every((r) => r.cloud === 'aws'));
  // One listing, then the latest revision of each and the cluster-info.json of those that have one.
  assert.deepEqual({ list: store.calls.list, get: store.calls.get }, { list: 1, get: 100 + 20 });
  // One cluster at a time would keep at most 2 calls in flight (the revision and cluster-info.json).
  assert.ok(store.maxInFlight >= 12, `at most ${store.maxInFlight} reads in flight`);
  // 32 clusters at a time (READS_IN_FLIGHT), two reads each at most: never all 100 clusters' reads at once.
  assert.ok(store.maxInFlight <= 64, `${store.maxInFlight} reads in flight: unbounded`);
});
