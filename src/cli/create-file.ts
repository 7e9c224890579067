import { checkApplyFlags } from './apply-flow.js';
import type { CliContext } from './context.js';
import { createCluster } from './create-common.js';
import { readSpecFile } from './spec-file.js';
import { InvalidInputError } from '../core/errors.js';

export default async function createFromFile(ctx: CliContext, _args: string[], opts: Record<string, any>): Promise<number> {
  if (!opts.filename) throw new InvalidInputError('nothing to create', { hint: 'use `k8sup create cluster NAME --zones …` or `k8sup create -f cluster.yaml`' });
  checkApplyFlags(opts);
  const cluster = await readSpecFile(opts.filename, ctx);
  return createCluster(ctx, cluster, opts);
}
