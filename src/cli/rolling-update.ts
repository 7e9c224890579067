import { OperationError } from '../core/errors.js';
import type { CliContext } from './context.js';

export default async function rollingUpdate(ctx: CliContext, args: string[]): Promise<number> {
  const name = ctx.clusterName(args[0]);
  throw new OperationError(`rolling-update is not available yet for ${name}`, {
    hint: 'replace nodes by scaling their group (edit the spec, update --yes); see docs/roadmap.md',
  });
}
