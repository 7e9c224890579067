import { parseClusterText } from '../api/index.js';
import { readClusterInfo } from '../cluster/cluster-info.js';
import { ClusterStore } from '../state/cluster-store.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';

export default async function getClusters(ctx: CliContext): Promise<number> {
  const store = await ctx.openStore();
  const names = await ClusterStore.listClusters(store);
  const rows: { name: string; cloud: string; region: string; kubernetesVersion: string; revision: number; appliedRevision: number | null }[] = [];
  for (const name of names) {
    const cs = new ClusterStore(store, name);
    const [latest, info] = await Promise.all([cs.latest(), readClusterInfo(cs)]);
    if (!latest) continue;
    const c = parseClusterText(latest.yaml, name);
    rows.push({ name, cloud: c.spec.cloud, region: c.spec.region, kubernetesVersion: c.spec.kubernetesVersion, revision: latest.revision, appliedRevision: info.appliedRevision ?? null });
  }
  printData(ctx, rows, {
    table: {
      headers: ['NAME', 'CLOUD', 'REGION', 'VERSION', 'REVISION', 'APPLIED'],
      rows: rows.map((r) => [r.name, r.cloud, r.region, r.kubernetesVersion, r.revision, r.appliedRevision ?? 'never']),
      empty: 'No clusters in this state store.',
    },
    names: () => rows.map((r) => r.name),
  });
  return 0;
}
