import { parseClusterText } from '../api/index.js';
import { InvalidInputError } from '../core/errors.js';
import { mutateCluster, readSpec, writeSpec } from '../cluster/spec-store.js';
import type { CliContext } from './context.js';
import { describeChanges, specChanges } from '../api/spec-diff.js';

/** Writes revision N's spec again as a new revision (history is never rewritten). */
export default async function rollback(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  if (!/^\d+$/.test(String(opts.revision)) || Number(opts.revision) < 1) {
    throw new InvalidInputError(`--revision: "${opts.revision}" is not a revision number`, { hint: `list revisions with \`k8sup history cluster ${name}\`` });
  }
  const n = Number(opts.revision);
  const store = await ctx.openStore();
  return mutateCluster(store, name, ctx.actor, 'rollback cluster', async (cs) => {
    const current = await readSpec(cs, name);
    const old = n <= current.revision ? await cs.revision(n) : null;
    if (!old) throw new InvalidInputError(`cluster ${name} has no revision ${n} (latest is ${current.revision})`, { hint: `list revisions with \`k8sup history cluster ${name}\`` });
    const cluster = parseClusterText(old.yaml, `${name} revision ${n}`);
    const { revision, changed } = await writeSpec(cs, cluster, current.revision, ctx.actor, `rollback to revision ${n}`);
    ctx.note(changed ? `Rolled ${name} back to the spec of revision ${n}: revision ${revision} changes\n${describeChanges(specChanges(current.cluster, cluster))}\nApply it with: k8sup update cluster ${name} --yes` : `No change: revision ${current.revision} already has the spec of revision ${n}.`);
    return 0;
  });
}
