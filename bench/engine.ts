// Engine scheduling benchmark: our DAG executor vs a naive wave executor (what kops does: run everything that
// is ready, wait for the slowest, repeat) on a skewed graph where each chain's slow step sits at a different depth.
// Run standalone: node --import tsx bench/engine.ts (prints JSON); bench/run.ts calls benchEngine().

import { pathToFileURL } from 'node:url';
import { apply, plan } from '../src/core/engine.js';
import { buildGraph, resolveRefs } from '../src/core/graph.js';
import { silentIo } from '../src/core/io.js';
import type { ResourceNode } from '../src/core/resource.js';
import { chainsGraph, criticalPathMs, MemoryCloud, memoryDeps, memoryHandlers, type MemoryClients } from '../test/fakes/memory-provider.js';

const SLOW_MS = 120;
const FAST_MS = 20;
const CHAINS = 6;
const FAN = 20;

/** Chain c has its slow step at depth c, so every wave contains one slow task; plus a fan of short independent tasks. */
function skewedGraph(): { nodes: ResourceNode[]; latency: Map<string, number> } {
  const chains = Array.from({ length: CHAINS }, (_, c) => Array.from({ length: CHAINS }, (_, i) => (i === c ? SLOW_MS : FAST_MS)));
  for (let i = 0; i < FAN; i++) chains.push([FAST_MS]);
  return chainsGraph(chains);
}

/** The naive wave executor: level by level, each level waits for its slowest task. */
async function runWaves(nodes: ResourceNode[], cloud: MemoryCloud): Promise<void> {
  const graph = buildGraph(nodes);
  const handlers = new Map(memoryHandlers().map((h) => [h.kind, h]));
  const level = new Map<string, number>();
  for (const id of graph.order) level.set(id, Math.max(-1, ...[...graph.deps.get(id)!].map((d) => level.get(d)!)) + 1);
  const outputs = new Map<string, Record<string, unknown>>();
  const ctx = { clients: { cloud } as MemoryClients, cluster: 'bench', signal: new AbortController().signal, io: silentIo };
  for (let l = 0; l <= Math.max(...level.values()); l++) {
    const wave = graph.order.filter((id) => level.get(id) === l);
    await Promise.all(
      wave.map(async (id) => {
        const node = graph.nodes.get(id)!;
        const result = await handlers.get(node.kind)!.create(node, resolveRefs(node.fields, outputs) as Record<string, unknown>, ctx);
        outputs.set(id, result.outputs);
      }),
    );
  }
}

export async function benchEngine(): Promise<Record<string, unknown>> {
  const { nodes, latency } = skewedGraph();
  const latencyMs = (op: string, _kind: string, id: string) => (op === 'create' ? (latency.get(id) ?? 0) : 0);
  const criticalPath = criticalPathMs(nodes, latency);

  const dagCloud = new MemoryCloud({ latencyMs });
  const deps = memoryDeps(dagCloud, { cluster: 'bench', concurrency: { defaultPerService: 64, total: 64 } });
  const { plan: p, live } = await plan(nodes, deps);
  let t = performance.now();
  await apply(p, nodes, live, deps);
  const dagMs = performance.now() - t;

  // The same graph with the default limits (4 per service): what bounded concurrency costs here.
  const boundedCloud = new MemoryCloud({ latencyMs });
  const bounded = memoryDeps(boundedCloud, { cluster: 'bench' });
  const planned = await plan(nodes, bounded);
  t = performance.now();
  await apply(planned.plan, nodes, planned.live, bounded);
  const boundedMs = performance.now() - t;

  const waveCloud = new MemoryCloud({ latencyMs });
  t = performance.now();
  await runWaves(nodes, waveCloud);
  const waveMs = performance.now() - t;

  return {
    graph: { resources: nodes.length, chains: CHAINS, chainLength: CHAINS, fan: FAN, slowMs: SLOW_MS, fastMs: FAST_MS },
    criticalPathMs: criticalPath,
    dagExecutorMs: Math.round(dagMs),
    dagExecutorDefaultLimitsMs: Math.round(boundedMs),
    waveExecutorMs: Math.round(waveMs),
    dagOverCriticalPath: +(dagMs / criticalPath).toFixed(3),
    waveOverCriticalPath: +(waveMs / criticalPath).toFixed(3),
    speedupVsWaves: +(waveMs / dagMs).toFixed(2),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchEngine(), null, 2));
}
