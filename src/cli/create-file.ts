import { checkApplyFlags } from './apply-flow.js';
import type { CliContext } from './context.js';
import { createCluster } from './create-common.js';
import { readSpecFile } from './spec-file.js';
import { InvalidInputError } from '../core/errors.js';

export default async function createFromFile(ctx: CliContext, _args: string[], opts: Record<string, any>): Promise<number> {
  if (!opts.filename) throw new InvalidInputError('nothing to create', { hint: 'use `k8sup create cluster NAME --zones …` or `k8sup create -f cluster.yaml`' });
  checkApplyFlags(opts);
  const cluster = await readSpecFile(opts.filename, ctx);
  // A --name that names another cluster contradicts the file, as for replace -f (K8SUP_CLUSTER_NAME is only a default).
  ctx.clusterName(cluster.metadata.name, `metadata.name of ${opts.filename}`);
  return createCluster(ctx, cluster, opts);
}
