// Apply: runs a plan. The schedule (schedule.ts) says which tasks there are and what each waits for; this module
// attaches the work to each task — journal intent, cloud call, outputs, journal record — and runs them as a DAG.

import { handlerFor, handlerMap, matchLive, summarize } from './diff.js';
import { deleteTolerantly, executorOptions, handlerContext, type EngineDeps } from './engine-deps.js';
import { OperationError } from './errors.js';
import { runDag, type DagTask } from './executor.js';
import { buildGraph, resolveRefs } from './graph.js';
import { earlierCreates, intentName, journalWriter, type RecordJournal } from './journal-writer.js';
import type { JournalEntry } from './journal.js';
import { ApplyError, describeFailures, failures, rethrowInvalidInput, type ApplyResult } from './outcome.js';
import type { EarlierCreate, FieldChange, LiveResource, Plan, ResourceNode } from './resource.js';
import { scheduleApply, type ScheduledTask, type UpTask } from './schedule.js';

/**
 * Executes a plan as a DAG. Throws ApplyError (an OperationError, with `failed` listed) if anything could not be applied.
 * `journalAtPlan`: the journal's entries as plan() read them (before this run recorded anything); absent, they are
 * read here. They tell each create whether an earlier call may have made its object (EarlierCreate).
 */
export async function apply<C>(plan: Plan, nodes: ResourceNode[], live: LiveResource[], deps: EngineDeps<C>, journalAtPlan?: readonly JournalEntry[]): Promise<ApplyResult> {
  const graph = buildGraph(nodes);
  const handlers = handlerMap(deps.handlers);
  const schedule = scheduleApply({ plan, graph, live, handlers });
  const outputs = new Map<string, Record<string, unknown>>();
  for (const [id, l] of matchLive(live).byId) outputs.set(id, { ...l.outputs });
  const record = journalWriter(deps);
  // Read before the first record of this run, so that its own intents are not taken for earlier ones.
  const earlierInJournal = earlierCreates(deps.journal ? (journalAtPlan ?? (await deps.journal.load())) : undefined);
  const intents = intentPipeline(schedule, record);

  /** The work of one scheduled task. Up tasks resolve with the cloud ID they created or updated (task.done reports it). */
  const work = (t: ScheduledTask) => async (signal: AbortSignal, releaseDependants: () => void): Promise<string | void> => {
    intents.started(t.id);
    const ctx = handlerContext(deps, signal);
    if (t.op === 'delete') {
      await deleteTolerantly(handlerFor(handlers, t.live.kind, t.live.id), t.live, ctx, deps.classifyError);
      if (t.dropsOutputs) outputs.delete(t.resource);
      releaseDependants(); // as in destroy: the object is gone, only its record is left to write
      await record({ id: t.live.id, kind: t.live.kind, cloudId: t.live.cloudId, action: 'deleted' });
      return;
    }
    const { node, step } = t;
    const handler = handlerFor(handlers, node.kind, node.id);
    const fields = resolveRefs(node.fields, outputs) as Record<string, unknown>;
    if (t.op === 'update') {
      if (!handler.update) throw new OperationError(`${node.id}: the plan updates it but kind ${node.kind} cannot be updated: plan again`, { code: 'StalePlan' });
      if (!t.live) throw new OperationError(`${step.id}: the plan says it exists (${step.cloudId ?? '?'}) but it was not discovered: plan again`, { code: 'StalePlan' });
      const changes: FieldChange[] = step.changes.map((c) => ({ ...c, to: fields[c.field] }));
      const result = await handler.update(node, fields, t.live, changes, ctx);
      outputs.set(node.id, { ...result.outputs });
      releaseDependants(); // as for a create, below
      await record({ id: node.id, kind: node.kind, cloudId: result.cloudId, action: 'updated' });
      return result.cloudId;
    }
    // Intent before action: the create call waits until its intent is durable (usually written while the tasks it
    // depends on ran).
    await intents.durable(t);
    // Only a first attempt of a create the journal has never seen an unresolved intent for can skip looking for an
    // earlier object: a later attempt's predecessor may have made it (its reply lost), as may a killed run's call.
    const earlier: EarlierCreate = intents.calledBefore(t.id) ? 'maybe' : earlierInJournal(node.kind, node.id);
    intents.calling(t.id);
    const result = await handler.create(node, fields, ctx, earlier);
    outputs.set(node.id, { ...result.outputs });
    // The object exists and its outputs are known: what depends on it may start while its record is written (each of
    // their creates still waits for its own intent, so every object the cloud holds has a durable intent or record,
    // and a crash here is resolved by discovery as before). Otherwise every step of the critical path would wait one
    // more state-store round trip (issue 17).
    releaseDependants();
    await record({ id: node.id, kind: node.kind, cloudId: result.cloudId, action: 'created' });
    return result.cloudId;
  };

  const tasks: DagTask<string | void>[] = schedule.map((t) => ({
    id: t.id,
    resource: t.resource,
    service: t.service,
    deps: t.after.map((e) => e.on),
    meta: t.meta,
    ...(t.op === 'delete' ? {} : { doneFields: (cloudId: string | void) => (cloudId ? { cloudId } : {}) }),
    run: work(t),
  }));

  const counts = summarize(plan);
  deps.io.emit({ code: 'apply.start', level: 'info', message: `applying ${tasks.length} tasks`, data: { ...counts, tasks: tasks.length } });
  const started = performance.now();
  const outcomes = await runDag(tasks, executorOptions(deps));
  await intents.withdrawUnused();
  rethrowInvalidInput([...outcomes.values()]);
  const failed = failures(outcomes, tasks);
  const outputsObject = Object.fromEntries([...outputs].filter(([id]) => graph.nodes.has(id)).sort(([a], [b]) => (a < b ? -1 : 1)));
  deps.io.emit({
    code: 'apply.done',
    level: failed.length ? 'error' : 'info',
    message: failed.length ? `apply finished with ${failed.length} unfinished resources` : 'apply complete',
    data: { durationMs: Math.round(performance.now() - started), failed: failed.length },
  });
  if (failed.length) {
    const cancelled = deps.signal?.aborted === true;
    throw new ApplyError(
      cancelled ? `apply cancelled; not finished: ${failed.map((f) => f.id).join(', ')}` : `apply failed for ${failed.length} resource(s): ${describeFailures(failed)}`,
      failed,
      outputsObject,
      cancelled ? 'Cancelled' : 'ApplyFailed',
    );
  }
  return { outputs: outputsObject, failed: [] };
}

/**
 * Intents written ahead, off the critical path: a create's intent is recorded as soon as every task it waits for is
 * armed (has had all of its own dependencies start), so it is durable (group-committed with others) by the time its
 * create may run; the create call still waits for it. An intent whose create was never called (a task it waited for failed, or the run was cancelled) is
 * withdrawn at the end, so the journal does not claim a create that was never made.
 */
function intentPipeline(schedule: readonly ScheduledTask[], record: RecordJournal) {
  const creates = schedule.filter((t): t is UpTask => t.op === 'create');
  const byId = new Map(creates.map((t) => [t.id, t]));
  const waitsOn = new Map<string, string[]>(creates.map((t) => [t.id, t.after.map((e) => e.on)]));
  const waiters = new Map<string, UpTask[]>();
  for (const t of creates) for (const on of waitsOn.get(t.id)!) (waiters.get(on) ?? waiters.set(on, []).get(on)!).push(t);
  const started = new Set<string>();
  const written = new Map<string, { task: UpTask; durable: Promise<void> }>();
  const called = new Set<string>();

  const write = (t: UpTask): Promise<void> => {
    let w = written.get(t.id);
    if (!w) {
      const durable = record({ id: t.node.id, kind: t.node.kind, cloudId: '', action: 'intent', name: intentName(t.node.fields) });
      durable.catch(() => undefined); // awaited by the create, if it ever runs
      w = { task: t, durable };
      written.set(t.id, w);
    }
    return w.durable;
  };

  // A task is armed once every task it waits for has started. A create's intent is written once every task it waits
  // for is armed: two steps ahead of its create, so that it is durable, group-committed with others, well before
  // the create may run (one step ahead, an intent still in a group write when its task became ready sat on the
  // critical path: issue 17). Further ahead would leave more intents unresolved after a kill -9 (each makes the
  // re-run look first and destroy warn), for no gain: two steps are two state writes of slack.
  const allTasks = new Map(schedule.map((t) => [t.id, t.after.map((e) => e.on)]));
  const taskWaiters = new Map<string, string[]>();
  for (const [id, on] of allTasks) for (const d of on) (taskWaiters.get(d) ?? taskWaiters.set(d, []).get(d)!).push(id);
  const armed = (id: string) => (allTasks.get(id) ?? []).every((on) => started.has(on));
  // The new copy of a replace that deletes first is the one exception: its intent goes out only when its create runs,
  // after the old copy's `deleted` record (journal writes keep their order), because that record resolves whatever
  // intent came before it (journal-writer.ts).
  const afterOwnDelete = (t: UpTask) => t.after.some((e) => e.rule === 'delete-before-create');
  const writeIfDue = (t: UpTask | undefined) => {
    if (t && !afterOwnDelete(t) && waitsOn.get(t.id)!.every(armed)) void write(t).catch(() => undefined);
  };
  for (const t of creates) writeIfDue(t);

  return {
    started(id: string): void {
      if (started.has(id)) return;
      started.add(id);
      writeIfDue(byId.get(id)); // its own first (already written, unless it had no scheduled dependency)
      // Its start arms the tasks that wait for it, which may make the intents of their own waiters due.
      for (const w of taskWaiters.get(id) ?? []) {
        writeIfDue(byId.get(w));
        if (armed(w)) for (const x of taskWaiters.get(w) ?? []) writeIfDue(byId.get(x));
      }
    },
    durable: write,
    calling(id: string): void {
      called.add(id);
    },
    /** Whether an earlier attempt of this run already called the create (its call may have reached the cloud). */
    calledBefore(id: string): boolean {
      return called.has(id);
    },
    async withdrawUnused(): Promise<void> {
      const unused = [...written.values()].filter((w) => !called.has(w.task.id));
      // Best effort: an intent left in place only makes destroy look for an object that was never made.
      await Promise.allSettled(unused.map(({ task, durable }) => durable.then(() => record({ id: task.node.id, kind: task.node.kind, cloudId: '', action: 'withdrawn' }))));
    },
  };
}
