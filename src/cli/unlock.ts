import { ClusterStore } from '../state/cluster-store.js';
import type { CliContext } from './context.js';

export default async function unlock(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const cs = new ClusterStore(await ctx.openStore(), name);
  await cs.forceUnlock(String(opts.lockId));
  ctx.note(`Released lock ${opts.lockId} on ${name}.`);
  return 0;
}
