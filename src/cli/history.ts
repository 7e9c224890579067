import { ClusterStore } from '../state/cluster-store.js';
import { clusterNotFound } from '../lifecycle/spec-store.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';

export default async function history(ctx: CliContext, args: string[]): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const cs = new ClusterStore(await ctx.openStore(), name);
  const revisions = await cs.revisions();
  if (revisions.length === 0) throw clusterNotFound(name);
  printData(ctx, revisions, {
    table: { headers: ['REVISION', 'CREATED', 'AUTHOR', 'MESSAGE'], rows: revisions.map((r) => [r.revision, r.createdAt, r.author, r.message ?? '']) },
    names: () => revisions.map((r) => String(r.revision)),
  });
  return 0;
}
