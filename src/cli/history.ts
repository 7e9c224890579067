import { ClusterStore } from '../state/cluster-store.js';
import { NotFoundError } from '../core/errors.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';

export default async function history(ctx: CliContext, args: string[]): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const cs = new ClusterStore(await ctx.openStore(), name);
  const revisions = await cs.revisions();
  if (revisions.length === 0) throw new NotFoundError(`cluster "${name}" not found in the state store`, { hint: 'list clusters with `k8sup get clusters`' });
  printData(ctx, revisions, {
    table: { headers: ['REVISION', 'CREATED', 'AUTHOR', 'MESSAGE'], rows: revisions.map((r) => [r.revision, r.createdAt, r.author, r.message ?? '']) },
    names: () => revisions.map((r) => String(r.revision)),
  });
  return 0;
}
