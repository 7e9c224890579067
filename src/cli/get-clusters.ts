import { clusterSummaries } from '../lifecycle/cluster-summaries.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';

export default async function getClusters(ctx: CliContext): Promise<number> {
  const store = await ctx.openStore();
  const rows = await clusterSummaries(store);
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
