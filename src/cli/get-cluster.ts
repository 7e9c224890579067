import { ClusterStore } from '../state/cluster-store.js';
import { readSpec } from '../cluster/spec-store.js';
import type { CliContext } from './context.js';
import { renderTable } from './render/table.js';

export default async function getCluster(ctx: CliContext, args: string[]): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const cs = new ClusterStore(await ctx.openStore(), name);
  const { cluster, revision, yaml } = await readSpec(cs, name);
  if (ctx.globals.output === 'yaml') ctx.out(yaml);
  else if (ctx.globals.output === 'json') ctx.out(`${JSON.stringify(cluster, null, 2)}\n`);
  else {
    const s = cluster.spec;
    const nodes = s.nodeGroups.map((g) => `${g.name}:${g.minSize === g.maxSize ? g.minSize : `${g.minSize}-${g.maxSize}`}`).join(',');
    ctx.out(renderTable(['NAME', 'CLOUD', 'ZONES', 'VERSION', 'CONTROL PLANE', 'NODE GROUPS', 'REVISION'], [
      [name, s.cloud, s.zones.join(','), s.kubernetesVersion, String(s.controlPlane.count), nodes || '-', revision],
    ]));
  }
  return 0;
}
