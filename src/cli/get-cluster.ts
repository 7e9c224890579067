import { ClusterStore } from '../state/cluster-store.js';
import { readSpec, withRevision } from '../lifecycle/spec-store.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';

export default async function getCluster(ctx: CliContext, args: string[]): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const cs = new ClusterStore(await ctx.openStore(), name);
  const { cluster, revision } = await readSpec(cs, name);
  // The document carries the revision it shows (and the uid), so `replace -f` can tell a stale copy.
  const s = cluster.spec;
  const nodes = s.nodeGroups.map((g) => `${g.name}:${g.minSize === g.maxSize ? g.minSize : `${g.minSize}-${g.maxSize}`}`).join(',');
  printData(ctx, withRevision(cluster, revision), {
    table: {
      headers: ['NAME', 'CLOUD', 'ZONES', 'VERSION', 'CONTROL PLANE', 'NODE GROUPS', 'REVISION'],
      rows: [[name, s.cloud, s.zones.join(','), s.kubernetesVersion, String(s.controlPlane.count), nodes || '-', revision]],
    },
    names: () => [name],
  });
  return 0;
}
