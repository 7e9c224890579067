import { ClusterStore } from '../state/cluster-store.js';
import { clusterToYaml } from '../api/index.js';
import { readSpec, withRevision } from '../cluster/spec-store.js';
import type { CliContext } from './context.js';
import { renderTable } from './render/table.js';

export default async function getCluster(ctx: CliContext, args: string[]): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const cs = new ClusterStore(await ctx.openStore(), name);
  const { cluster, revision } = await readSpec(cs, name);
  // The document carries the revision it shows (and the uid), so `replace -f` can tell a stale copy.
  if (ctx.globals.output === 'yaml') ctx.out(clusterToYaml(withRevision(cluster, revision)));
  else if (ctx.globals.output === 'json') ctx.out(`${JSON.stringify(withRevision(cluster, revision), null, 2)}\n`);
  else {
    const s = cluster.spec;
    const nodes = s.nodeGroups.map((g) => `${g.name}:${g.minSize === g.maxSize ? g.minSize : `${g.minSize}-${g.maxSize}`}`).join(',');
    ctx.out(renderTable(['NAME', 'CLOUD', 'ZONES', 'VERSION', 'CONTROL PLANE', 'NODE GROUPS', 'REVISION'], [
      [name, s.cloud, s.zones.join(','), s.kubernetesVersion, String(s.controlPlane.count), nodes || '-', revision],
    ]));
  }
  return 0;
}
