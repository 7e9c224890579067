import { parseClusterText } from '../api/index.js';
import { ClusterStore } from '../state/cluster-store.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';
import { renderTable } from './render/table.js';

export default async function getClusters(ctx: CliContext): Promise<number> {
  const store = await ctx.openStore();
  const names = await ClusterStore.listClusters(store);
  const rows: { name: string; cloud: string; region: string; kubernetesVersion: string; revision: number }[] = [];
  for (const name of names) {
    const latest = await new ClusterStore(store, name).latest();
    if (!latest) continue;
    const c = parseClusterText(latest.yaml, name);
    rows.push({ name, cloud: c.spec.cloud, region: c.spec.region, kubernetesVersion: c.spec.kubernetesVersion, revision: latest.revision });
  }
  await printData(ctx, rows, () =>
    rows.length === 0
      ? 'No clusters in this state store.\n'
      : renderTable(['NAME', 'CLOUD', 'REGION', 'VERSION', 'REVISION'], rows.map((r) => [r.name, r.cloud, r.region, r.kubernetesVersion, r.revision])),
  );
  return 0;
}
