// Destroy: deletes every live resource of the cluster, in rounds of discover → schedule (schedule.ts) → delete.

import { handlerFor, handlerMap } from './diff.js';
import { discover } from './discover.js';
import { deleteTolerantly, executorOptions, handlerContext, type EngineDeps } from './engine-deps.js';
import { errorMessage, runDag, type DagTask } from './executor.js';
import { buildGraph } from './graph.js';
import type { JournalEntry } from './journal.js';
import { journalWriter, unresolvedIntents } from './journal-writer.js';
import { ApplyError, describeFailures, type ApplyResult } from './outcome.js';
import type { LiveResource, ResourceNode } from './resource.js';
import { destroyTaskId, scheduleDestroy } from './schedule.js';

/** How many discover-and-delete rounds destroy makes before reporting what is left. */
const DESTROY_ROUNDS = 2;

/**
 * Deletes every live resource of the cluster. Order (scheduleDestroy): resources the graph does not know (leftovers
 * of older specs, usually leaves such as instances of a removed group) go first; then graph resources, each after
 * every live resource that (transitively) depends on it. A refusal classified 'dependency' is retried with a bound;
 * then a second round re-discovers what is left and tries again without the leftovers-first ordering (a leftover
 * could have been a parent). Whatever still exists after that is reported in a DestroyIncomplete ApplyError.
 *
 * `listed`: what the plan just found under the same lock; the first round deletes it instead of listing the cloud
 * again (a whole discovery, several round trips deep, on the delete's critical path: issue 17). The second round's
 * listing finds whatever appeared since.
 */
export async function destroy<C>(nodes: ResourceNode[], deps: EngineDeps<C>, listed?: readonly LiveResource[]): Promise<ApplyResult> {
  const graph = buildGraph(nodes);
  const handlers = handlerMap(deps.handlers);
  const record = journalWriter(deps);
  const lastError = new Map<string, string>();
  deps.io.emit({ code: 'destroy.start', level: 'info', message: `deleting cluster ${deps.cluster}` });

  /** Whether the last discover found nothing: then there is nothing left to look for again. */
  let foundNothing = false;
  for (let round = 1; round <= DESTROY_ROUNDS; round++) {
    const given = round === 1 && listed !== undefined;
    const live = given ? [...listed] : await discover(deps);
    foundNothing = live.length === 0;
    // Only a listing of its own ends the destroy: an empty one handed in is confirmed by the next round.
    if (foundNothing && !given) break;
    const tasks: DagTask<void>[] = scheduleDestroy(graph, live, round, handlers).map((t) => ({
      id: t.id,
      resource: t.resource,
      service: t.service,
      deps: t.after.map((e) => e.on),
      meta: t.meta,
      run: async (signal, releaseDependants) => {
        await deleteTolerantly(handlerFor(handlers, t.live.kind, t.live.id), t.live, handlerContext(deps, signal), deps.classifyError);
        // Gone: what waited for it may go while its record is written (a crash before the record leaves a journal
        // that names an object the next listing does not find, which is how a delete ends anyway).
        releaseDependants();
        await record({ id: t.live.id, kind: t.live.kind, cloudId: t.live.cloudId, action: 'deleted' });
      },
    }));
    const outcomes = await runDag(tasks, executorOptions(deps, { depMode: 'soft' }));
    for (const o of outcomes.values()) if (o.status !== 'done') lastError.set(o.id, errorMessage(o.error ?? o.status));
    if (deps.signal?.aborted) break;
  }

  const cancelled = () => new ApplyError('destroy cancelled; run it again to finish', [], {}, 'Cancelled');
  if (deps.signal?.aborted) throw cancelled();
  // Every record of the rounds is durable (each task ended with its record): the journal is read beside the last listing.
  const [left, entries] = await Promise.all([foundNothing ? [] : discover(deps), deps.journal?.load()]);
  if (deps.signal?.aborted) throw cancelled();
  if (entries) warnAboutUnseenIntents(deps, entries);
  const failed = left.map((l) => ({ id: l.id, kind: l.kind, error: lastError.get(destroyTaskId(l)) ?? `still exists (${l.cloudId})` }));
  deps.io.emit({
    code: 'destroy.done',
    level: failed.length ? 'error' : 'info',
    message: failed.length ? `${failed.length} resources could not be deleted` : `cluster ${deps.cluster} deleted`,
    data: { left: failed.length },
  });
  if (failed.length) throw new ApplyError(`could not delete ${failed.length} resource(s): ${describeFailures(failed)}`, failed, {}, 'DestroyIncomplete');
  return { outputs: {}, failed: [] };
}

function warnAboutUnseenIntents<C>(deps: EngineDeps<C>, entries: JournalEntry[]): void {
  for (const e of unresolvedIntents(entries)) {
    deps.io.emit({
      code: 'destroy.intent-unseen',
      level: 'warn',
      message: `${e.id} was being created${e.name ? ` as ${e.name}` : ''} at ${e.at} when a run stopped; the cloud reports no such object of this cluster (it was probably never made)`,
      task: e.id,
      data: { kind: e.kind, name: e.name ?? null },
    });
  }
}
