import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apply, plan } from '../../src/core/engine.js';
import { buildGraph } from '../../src/core/graph.js';
import { chainsGraph, criticalPathMs, MemoryCloud, memoryDeps } from '../fakes/memory-provider.js';

describe('scheduling', () => {
  it('finishes a skewed graph within 15% of its critical path (a wave executor needs 1.5× here)', async () => {
    // Two chains whose slow steps alternate: waves would wait 600 ms at every level (4 × 600 = 2400 ms),
    // while the critical path is 1600 ms. A third short chain and a fan of short tasks add contention.
    // Latencies are large so that timer jitter on a busy machine stays well inside the 15% margin.
    const { nodes, latency } = chainsGraph([
      [200, 600, 200, 600],
      [600, 200, 600, 200],
      [200, 200, 200],
      [200],
      [200],
      [200],
      [200],
    ]);
    const critical = criticalPathMs(nodes, latency);
    assert.equal(critical, 1600);
    const cloud = new MemoryCloud({ latencyMs: (op, _kind, id) => (op === 'create' ? latency.get(id)! : 0) });
    const deps = memoryDeps(cloud, { concurrency: { defaultPerService: 16, total: 16 } });
    const { plan: p, live } = await plan(nodes, deps);

    const started = performance.now();
    await apply(p, nodes, live, deps);
    const elapsed = performance.now() - started;

    assert.ok(elapsed >= critical - 5, `cannot beat the critical path (${elapsed.toFixed(0)} ms)`);
    assert.ok(elapsed <= critical * 1.15, `apply took ${elapsed.toFixed(0)} ms, critical path ${critical} ms`);

    // Each create started only after everything it depends on had finished.
    const graph = buildGraph(nodes);
    const creates = new Map(cloud.calls.filter((c) => c.op === 'create').map((c) => [c.id, c]));
    for (const [id, ds] of graph.deps) for (const d of ds) assert.ok(creates.get(id)!.start >= creates.get(d)!.end - 1, `${id} started before ${d} ended`);
  });
});
