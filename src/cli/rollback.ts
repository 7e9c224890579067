import { describeChanges, specChanges } from '../api/spec-diff.js';
import { parseKubeVersion, versionChangeIssue } from '../api/version.js';
import { readRevisions, reviseCluster, type RevisionReader } from '../lifecycle/revision-flow.js';
import { InvalidInputError } from '../core/errors.js';
import type { CliContext } from './context.js';
import { printRevision } from './render/revision.js';
import { suggest } from './suggest.js';

/**
 * rollback cluster: revision N's spec again, as a new revision (history is never rewritten). Without --yes it only
 * says what the new revision would change. A rollback that changes the Kubernetes version the way `upgrade` refuses
 * (down, or more than one minor) is refused too, unless --force.
 */
export default async function rollback(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  if (!/^\d+$/.test(String(opts.revision)) || Number(opts.revision) < 1) {
    throw new InvalidInputError(`--revision: "${opts.revision}" is not a revision number`, { hint: `list revisions with \`${suggest(ctx, `history cluster ${name}`)}\`` });
  }
  const n = Number(opts.revision);
  const store = await ctx.openStore();

  const target = async (r: RevisionReader) => {
    const { current } = r;
    const cluster = await r.revision(n);
    if (!cluster) throw new InvalidInputError(`cluster ${name} has no revision ${n} (latest is ${current.revision})`, { hint: `list revisions with \`${suggest(ctx, `history cluster ${name}`)}\`` });
    const issue = versionChangeIssue(parseKubeVersion(current.cluster.spec.kubernetesVersion)!, parseKubeVersion(cluster.spec.kubernetesVersion)!);
    if (issue && !opts.force) {
      throw new InvalidInputError(`revision ${n} runs Kubernetes ${cluster.spec.kubernetesVersion}: ${issue.message}`, {
        hint: `${issue.hint}; --force rolls back anyway (only safe if the cluster never ran ${current.cluster.spec.kubernetesVersion})`,
      });
    }
    const list = specChanges(current.cluster, cluster);
    return { current, cluster, changed: list.length > 0, list, changes: describeChanges(list) };
  };

  // Read without the lock first: a rollback to the spec that is already current is a no-op, with or without --yes,
  // and a no-op writes nothing, not even a lock object.
  const { current, changed, list, changes } = await readRevisions(store, name, target);
  if (!changed) {
    printRevision(ctx, { cluster: name, revision: current.revision, changed, written: false, changes: list });
    ctx.note(`No change: revision ${current.revision} already has the spec of revision ${n}.`);
    return 0;
  }
  if (!ctx.globals.yes) {
    printRevision(ctx, { cluster: name, revision: current.revision + 1, changed, written: false, changes: list });
    const command = suggest(ctx, `rollback cluster ${name} --revision ${n}${opts.force ? ' --force' : ''} --yes`);
    ctx.io.emit({ code: 'cluster.preview', level: 'info', message: `Rolling ${name} back to the spec of revision ${n} would write revision ${current.revision + 1}, which changes\n${changes}\nNothing was written.`, data: { cluster: name, revision: current.revision + 1 } });
    ctx.io.emit({ code: 'next', level: 'info', message: `Write it with: ${command}`, data: { command } });
    return 0;
  }
  return reviseCluster(store, name, ctx.actor, 'rollback cluster', async (session) => {
    const { current, cluster, changes } = await target(session);
    const { revision, changed, changes: list } = await session.write(cluster, `rollback to revision ${n}`);
    printRevision(ctx, { cluster: name, revision, changed, written: changed, changes: list });
    if (!changed) {
      ctx.note(`No change: revision ${current.revision} already has the spec of revision ${n}.`);
      return 0;
    }
    const apply = suggest(ctx, `update cluster ${name} --yes`);
    ctx.io.emit({ code: 'spec.revision', level: 'info', message: `Rolled ${name} back to the spec of revision ${n}: revision ${revision} changes\n${changes}`, data: { cluster: name, revision, changed } });
    ctx.io.emit({ code: 'next', level: 'info', message: `Apply it with: ${apply}`, data: { command: apply } });
    return 0;
  });
}
