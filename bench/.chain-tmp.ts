import { readFileSync } from 'node:fs';
import { parseClusterText } from '../src/api/index.js';
import { buildGraph } from '../src/core/graph.js';
const [resFile, groups] = [process.argv[2], Number(process.argv[3] ?? 50)];
const res = JSON.parse(readFileSync(resFile, 'utf8'));
const weights: Record<string, number> = res.find((c: any) => c.nodeGroups === (groups || 'default')).createCallSequence;
const nodeGroups = groups ? Array.from({ length: groups }, (_, i) => ({ name: `group-${i}`, minSize: 1, maxSize: 1 })) : undefined;
const yaml = JSON.stringify({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name: 'x.k8s.local' }, spec: { zones: ['us-east-2a', 'us-east-2b', 'us-east-2c'], ...(nodeGroups ? { nodeGroups } : {}) } });
const cluster = parseClusterText(yaml, 'bench');
const { loadProvider } = await import('../providers/index.js');
const provider = await loadProvider(cluster.spec.cloud);
const g = buildGraph(await provider.buildGraph(cluster, { stateStore: 's3://k8sup-bench/bench', caCertPem: '', caCertHash: `sha256:${'0'.repeat(64)}` }));
const memo = new Map<string, { f: number; prev?: string }>();
const fin = (id: string): number => {
  const m = memo.get(id); if (m) return m.f;
  let best = 0, prev: string | undefined;
  for (const d of g.deps.get(id)!) { const f = fin(d); if (f > best) { best = f; prev = d; } }
  const f = best + (weights[g.nodes.get(id)!.kind] ?? 1);
  memo.set(id, { f, prev }); return f;
};
let end = ''; let max = 0;
for (const id of g.nodes.keys()) { const f = fin(id); if (f > max) { max = f; end = id; } }
const chain: string[] = [];
for (let id: string | undefined = end; id; id = memo.get(id)!.prev) chain.unshift(`${id}(${weights[g.nodes.get(id)!.kind]})`);
console.log(max, chain.join(' -> '));
