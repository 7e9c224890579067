import { assertSameName, mutateCluster, readSpec, writeSpec } from '../cluster/spec-store.js';
import type { CliContext } from './context.js';
import { readSpecFile } from './spec-file.js';
import { describeChanges, specChanges } from '../api/spec-diff.js';
import { suggest } from './suggest.js';

/** replace -f: the file becomes the next revision. Applying it is `update cluster --yes`. */
export default async function replace(ctx: CliContext, _args: string[], opts: Record<string, any>): Promise<number> {
  const cluster = await readSpecFile(opts.filename, ctx);
  const name = ctx.clusterName(cluster.metadata.name);
  assertSameName(cluster, name, opts.filename);
  const store = await ctx.openStore();
  return mutateCluster(store, name, ctx.actor, 'replace', async (cs) => {
    const current = await readSpec(cs, name);
    const { revision, changed } = await writeSpec(cs, cluster, current.revision, ctx.actor, `replace -f ${opts.filename}`);
    ctx.note(changed ? `Replaced ${name}: revision ${revision} changes\n${describeChanges(specChanges(current.cluster, cluster))}\nApply it with: ${suggest(ctx, `update cluster ${name} --yes`)}` : `No change: ${name} is already at this spec (revision ${revision}).`);
    return 0;
  });
}
