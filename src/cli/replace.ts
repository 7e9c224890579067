import { readRevisions, reviseCluster } from '../lifecycle/revision-flow.js';
import { assertNotStale, assertSameName, isCurrentSpec } from '../lifecycle/spec-store.js';
import type { CliContext } from './context.js';
import { readSpecFile } from './spec-file.js';
import { describeChanges } from '../api/spec-diff.js';
import { printRevision } from './render/revision.js';
import { suggest } from './suggest.js';

/**
 * replace -f: the file becomes the next revision. Applying it is `update cluster --yes`. A file read at an older
 * revision (its metadata.revision) exits 3 unless --force: it would undo what was changed since.
 */
export default async function replace(ctx: CliContext, _args: string[], opts: Record<string, any>): Promise<number> {
  const cluster = await readSpecFile(opts.filename, ctx);
  const name = ctx.clusterName(cluster.metadata.name, `metadata.name of ${opts.filename}`);
  assertSameName(cluster, name, opts.filename);
  const store = await ctx.openStore();
  // Checked without the lock first (and again under it): a stale file or an immutable field exits before any write,
  // and a file equal to the current spec (a pipeline's replace on every merge request) writes nothing, not even a lock.
  const unchanged = await readRevisions(store, name, async ({ current, checkImmutable }) => {
    assertNotStale(cluster, current, opts.filename, Boolean(opts.force));
    await checkImmutable(cluster, opts.filename);
    return isCurrentSpec(cluster, current) ? current.revision : undefined;
  });
  if (unchanged !== undefined) {
    printRevision(ctx, { cluster: name, revision: unchanged, changed: false, written: false, changes: [] });
    ctx.note(`No change: ${name} is already at this spec (revision ${unchanged}).`);
    return 0;
  }
  return reviseCluster(store, name, ctx.actor, 'replace', async (session) => {
    const { current } = session;
    // Checked even when the file equals the current spec: a stale copy that happens to match (someone else made
    // the same edit) still means this run's own change was never applied on top of theirs.
    assertNotStale(cluster, current, opts.filename, Boolean(opts.force));
    await session.checkImmutable(cluster, opts.filename);
    const { revision, changed, changes } = await session.write(cluster, `replace -f ${opts.filename}`);
    printRevision(ctx, { cluster: name, revision, changed, written: changed, changes });
    ctx.note(changed ? `Replaced ${name}: revision ${revision} changes\n${describeChanges(changes)}\nApply it with: ${suggest(ctx, `update cluster ${name} --yes`)}` : `No change: ${name} is already at this spec (revision ${revision}).`);
    return 0;
  });
}
