import { loadCluster } from '../api/index.js';
import { InvalidInputError } from '../core/errors.js';
import { checkApplyFlags } from './apply-flow.js';
import { clusterDocFromFlags } from './cluster-flags.js';
import type { CliContext } from './context.js';
import { createCluster } from './create-common.js';

export default async function createClusterCommand(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  // `-f` belongs to `create -f FILE`; taken here it would be silently ignored in favour of the flags.
  if (opts.filename !== undefined) {
    throw new InvalidInputError('-f and `create cluster NAME` are two ways to create a cluster: give one', { hint: 'use `k8sup create -f FILE`, or `k8sup create cluster NAME --zones …` without -f' });
  }
  checkApplyFlags(opts);
  const doc = await clusterDocFromFlags(name, opts, ctx);
  const cluster = loadCluster(doc, 'Fix the flag for that field; see `k8sup create cluster --help`.');
  return createCluster(ctx, cluster, opts);
}
