import { loadCluster } from '../api/index.js';
import { checkApplyFlags } from './apply-flow.js';
import { clusterDocFromFlags } from './cluster-flags.js';
import type { CliContext } from './context.js';
import { createCluster } from './create-common.js';

export default async function createClusterCommand(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  checkApplyFlags(opts);
  const doc = await clusterDocFromFlags(name, opts, ctx);
  const cluster = loadCluster(doc, 'Fix the flag for that field; see `k8sup create cluster --help`.');
  return createCluster(ctx, cluster, opts);
}
