// The engine API that providers and the CLI call: discover → diff → plan (pure value) → apply (DAG) / destroy,
// plus the terraform target. Cloud-agnostic: everything cloud-specific comes in through ResourceHandlers.
// See docs/engine.md for how plans, apply, resume, retries and the terraform target behave.

import { InvalidInputError, OperationError } from './errors.js';
import type { IoHost } from './io.js';
import type { Journal, JournalEntry } from './journal.js';
import type { ErrorClass, FieldChange, LiveResource, Plan, PlanStep, ResourceHandler, ResourceNode, HandlerContext } from './resource.js';
import { buildGraph, collectRefs, resolveRefs, transitiveDependants, type ResourceGraph } from './graph.js';
import { diff, handlerFor, handlerMap, matchLive, summarize } from './diff.js';
import { DISCOVER_EVENTS, errorMessage, runDag, type DagTask, type ExecutorOptions, type RetryOptions, type TaskOutcome } from './executor.js';

export { renderTerraform, terraformFile } from './terraform.js';
export { KNOWN_AFTER_APPLY, diff, isEmptyPlan, summarize } from './diff.js';
export type { Journal, JournalEntry } from './journal.js';


export interface EngineDeps<C = unknown> {
  cluster: string;
  /** The cluster's identity (`metadata.uid`); objects carrying another id are refused (see core/ownership.ts). */
  clusterId?: string;
  otherClusters?: 'refuse' | 'skip';
  handlers: ResourceHandler<C>[];
  clients: C;
  classifyError(err: unknown): ErrorClass;
  io: IoHost;
  signal?: AbortSignal;
  journal?: Journal;
  /** Max tasks in flight per handler `service` (default 4) and overall (default 16). */
  concurrency?: { perService?: Record<string, number>; defaultPerService?: number; total?: number };
  /** Backoff for throttled/transient errors (default 8 attempts, 250 ms base, 20 s cap); 'dependency' errors get maxDependencyAttempts (12). */
  retry?: RetryOptions;
  /** Per-task deadline (default 10 minutes). */
  taskTimeoutMs?: number;
  /** Clock for journal timestamps (default `new Date()`). */
  now?: () => Date;
  /** Randomness for backoff jitter (default Math.random). */
  random?: () => number;
}

export interface ApplyResult {
  /** Outputs of every resource after apply, keyed by resource id. */
  outputs: Record<string, Record<string, unknown>>;
  /** Resources that could not be processed, with the reason. */
  failed: { id: string; kind: string; error: string }[];
}

/** apply/destroy did not finish: `failed` says what and why; `outputs` holds what is known so far. */
export class ApplyError extends OperationError {
  readonly failed: ApplyResult['failed'];
  readonly outputs: ApplyResult['outputs'];
  constructor(message: string, failed: ApplyResult['failed'], outputs: ApplyResult['outputs'], code: 'ApplyFailed' | 'DestroyIncomplete' | 'Cancelled') {
    super(message, {
      code,
      hint: code === 'Cancelled' ? 'run the same command again: it resumes from what the cloud reports' : 'fix the cause and run the same command again; finished work is not redone',
    });
    this.failed = failed;
    this.outputs = outputs;
  }
}

/** How many discover-and-delete rounds destroy makes before reporting what is left. */
const DESTROY_ROUNDS = 2;

function context<C>(deps: EngineDeps<C>, signal: AbortSignal): HandlerContext<C> {
  return { clients: deps.clients, cluster: deps.cluster, clusterId: deps.clusterId, otherClusters: deps.otherClusters, signal, io: deps.io };
}

function executorOptions<C>(deps: EngineDeps<C>, extra: Partial<ExecutorOptions> = {}): ExecutorOptions {
  return {
    io: deps.io,
    classifyError: deps.classifyError,
    signal: deps.signal,
    concurrency: deps.concurrency,
    retry: deps.retry,
    taskTimeoutMs: deps.taskTimeoutMs,
    random: deps.random,
    ...extra,
  };
}

/** Lists every kind's live resources (read-only). One task per handler, retried on throttling like any other. */
export async function discover<C>(deps: EngineDeps<C>): Promise<LiveResource[]> {
  const tasks: DagTask<LiveResource[]>[] = deps.handlers.map((h) => ({
    id: `list:${h.kind}`,
    resource: h.kind,
    service: h.service,
    deps: [],
    meta: { action: 'list', kind: h.kind },
    run: (signal) => h.list(context(deps, signal)),
  }));
  const outcomes = await runDag(tasks, executorOptions(deps, { events: DISCOVER_EVENTS, progressLevel: 'debug' }));
  const failed = [...outcomes.values()].filter((o) => o.status !== 'done');
  rethrowInvalidInput(failed);
  if (failed.length) {
    const what = failed.map((o) => `${o.id.slice('list:'.length)}: ${errorMessage(o.error ?? o.status)}`).join('; ');
    throw new OperationError(`could not list live resources (${what})`, { code: deps.signal?.aborted ? 'Cancelled' : 'DiscoverFailed', cause: failed[0].error });
  }
  const live = [...outcomes.values()].flatMap((o) => o.result ?? []);
  live.sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : a.cloudId < b.cloudId ? -1 : 1));
  deps.io.emit({ code: 'discover.summary', level: 'debug', message: `found ${live.length} live resources`, data: { count: live.length } });
  return live;
}

/** discover + diff. No writes of any kind (cloud or journal). */
export async function plan<C>(nodes: ResourceNode[], deps: EngineDeps<C>): Promise<{ plan: Plan; live: LiveResource[] }> {
  buildGraph(nodes); // fail on a bad graph before any cloud call
  const live = await discover(deps);
  const result = diff(deps.cluster, nodes, live, deps.handlers);
  if (deps.journal) await warnAboutJournal(deps, live);
  const counts = summarize(result);
  deps.io.emit({
    code: 'plan.summary',
    level: 'info',
    message: `plan: ${counts.create} to create, ${counts.update} to update, ${counts.replace} to replace, ${counts.delete} to delete`,
    data: { ...counts },
  });
  return { plan: result, live };
}

/**
 * The cloud (list()) is the source of truth; the journal is a cross-check. A resource the journal says exists but
 * list() does not report was deleted behind our back or is not yet visible (eventual consistency): worth a warning.
 */
async function warnAboutJournal<C>(deps: EngineDeps<C>, live: LiveResource[]): Promise<void> {
  const last = new Map<string, JournalEntry>();
  for (const e of await deps.journal!.load()) if (e.action !== 'intent') last.set(`${e.kind}\0${e.cloudId}`, e);
  const seen = new Set(live.map((l) => `${l.kind}\0${l.cloudId}`));
  for (const e of last.values()) {
    if (e.action !== 'deleted' && !seen.has(`${e.kind}\0${e.cloudId}`)) {
      deps.io.emit({
        code: 'plan.journal-missing',
        level: 'warn',
        message: `${e.id} (${e.cloudId}) was ${e.action} at ${e.at} but the cloud does not report it; it will be created again`,
        task: e.id,
        data: { kind: e.kind, cloudId: e.cloudId },
      });
    }
  }
}

/** Executes a plan as a DAG. Throws ApplyError (an OperationError, with `failed` listed) if anything could not be applied. */
export async function apply<C>(plan: Plan, nodes: ResourceNode[], live: LiveResource[], deps: EngineDeps<C>): Promise<ApplyResult> {
  const graph = buildGraph(nodes);
  const handlers = handlerMap(deps.handlers);
  const { byId } = matchLive(live);
  const liveByCloudId = new Map(live.map((l) => [`${l.kind}\0${l.cloudId}`, l]));
  const outputs = new Map<string, Record<string, unknown>>();
  for (const [id, l] of byId) outputs.set(id, { ...l.outputs });

  const nodeSteps = new Map<string, PlanStep>();
  const orphanSteps: PlanStep[] = [];
  for (const step of plan.steps) {
    if (step.action === 'delete') orphanSteps.push(step);
    else if (!graph.nodes.has(step.id)) throw new OperationError(`plan step ${step.id} has no resource in the graph: plan again`, { code: 'StalePlan' });
    else nodeSteps.set(step.id, step);
  }
  const missing = graph.order.filter((id) => !nodeSteps.has(id));
  if (missing.length) throw new OperationError(`plan has no step for ${missing.join(', ')}: plan again`, { code: 'StalePlan' });

  const record = journalWriter(deps);
  const findLive = (step: PlanStep): LiveResource => {
    const l = (step.cloudId && liveByCloudId.get(`${step.kind}\0${step.cloudId}`)) || byId.get(step.id);
    if (!l) throw new OperationError(`${step.id}: the plan says it exists (${step.cloudId ?? '?'}) but it was not discovered: plan again`, { code: 'StalePlan' });
    return l;
  };

  const deleteLive = async (l: LiveResource, signal: AbortSignal) => {
    const h = handlerFor(handlers, l.kind, l.id);
    await deleteTolerantly(h, l, context(deps, signal), deps.classifyError);
    await record({ id: l.id, kind: l.kind, cloudId: l.cloudId, action: 'deleted' });
  };

  // Up tasks resolve with the cloud ID they created or updated (task.done reports it); delete tasks know theirs up front.
  const tasks: DagTask<string | void>[] = [];
  const orphanTaskIds = orphanSteps.map((s) => `delete:${s.id}@${s.cloudId}`);
  orphanSteps.forEach((step, i) => {
    const l = findLive(step);
    tasks.push({
      id: orphanTaskIds[i],
      resource: step.id,
      service: handlerFor(handlers, l.kind, l.id).service,
      deps: [],
      meta: { action: 'delete', kind: step.kind, cloudId: l.cloudId },
      run: async (signal) => {
        await deleteLive(l, signal);
        if (byId.get(step.id) === l) outputs.delete(step.id);
      },
    });
  });

  const hasUp = (id: string) => nodeSteps.get(id)!.action !== 'noop';
  const hasDown = (id: string) => nodeSteps.get(id)!.action === 'replace';
  for (const id of graph.order) {
    const step = nodeSteps.get(id)!;
    const node = graph.nodes.get(id)!;
    const handler = handlerFor(handlers, node.kind, id);
    if (step.action === 'noop') continue;
    // Dependants that stay (updated in place) but reference this resource: the old object cannot go before they
    // point at the new one, so this replace becomes create → update them → delete the old one.
    const keptReferrers = step.action === 'replace' ? [...graph.dependants.get(id)!].filter((d) => nodeSteps.get(d)!.action === 'update' && referencesTarget(graph.nodes.get(d)!, id)) : [];
    const createFirst = keptReferrers.length > 0;
    if (step.action === 'replace') {
      // Otherwise delete before create: dependants that are replaced too go first (children before parents), and
      // so do deletes of removed resources, which may hold on to this one.
      const l = findLive(step);
      tasks.push({
        id: `down:${id}`,
        resource: id,
        service: handlerFor(handlers, l.kind, id).service,
        deps: [
          ...[...graph.dependants.get(id)!].filter(hasDown).map((d) => `down:${d}`),
          ...orphanTaskIds,
          ...(createFirst ? [`up:${id}`, ...keptReferrers.map((d) => `up:${d}`)] : []),
        ],
        meta: { action: 'replace', phase: 'delete', kind: l.kind, cloudId: l.cloudId },
        run: async (signal) => {
          await deleteLive(l, signal);
          if (!createFirst) outputs.delete(id);
        },
      });
    }
    const upDeps = [...graph.deps.get(id)!].filter(hasUp).map((d) => `up:${d}`);
    if (step.action === 'replace' && !createFirst) upDeps.push(`down:${id}`);
    tasks.push({
      id: `up:${id}`,
      resource: id,
      service: handler.service,
      deps: upDeps,
      meta: step.action === 'replace' ? { action: 'replace', phase: 'create', kind: node.kind } : { action: step.action, kind: node.kind, ...(step.cloudId ? { cloudId: step.cloudId } : {}) },
      doneFields: (cloudId) => (cloudId ? { cloudId } : {}),
      run: async (signal) => {
        const fields = resolveRefs(node.fields, outputs) as Record<string, unknown>;
        const ctx = context(deps, signal);
        if (step.action === 'update') {
          if (!handler.update) throw new OperationError(`${id}: the plan updates it but kind ${node.kind} cannot be updated: plan again`, { code: 'StalePlan' });
          const current = findLive(step);
          const changes: FieldChange[] = step.changes.map((c) => ({ ...c, to: fields[c.field] }));
          const result = await handler.update(node, fields, current, changes, ctx);
          outputs.set(id, { ...result.outputs });
          await record({ id, kind: node.kind, cloudId: result.cloudId, action: 'updated' });
          return result.cloudId;
        } else {
          await record({ id, kind: node.kind, cloudId: '', action: 'intent', name: intentName(fields) });
          const result = await handler.create(node, fields, ctx);
          outputs.set(id, { ...result.outputs });
          await record({ id, kind: node.kind, cloudId: result.cloudId, action: 'created' });
          return result.cloudId;
        }
      },
    });
  }

  const counts = summarize(plan);
  deps.io.emit({ code: 'apply.start', level: 'info', message: `applying ${tasks.length} tasks`, data: { ...counts, tasks: tasks.length } });
  const started = performance.now();
  const outcomes = await runDag(tasks, executorOptions(deps));
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
      cancelled ? `apply cancelled; not finished: ${failed.map((f) => f.id).join(', ')}` : `apply failed for ${failed.length} resource(s): ${describe(failed)}`,
      failed,
      outputsObject,
      cancelled ? 'Cancelled' : 'ApplyFailed',
    );
  }
  return { outputs: outputsObject, failed: [] };
}

/**
 * Deletes every live resource of the cluster. Order: resources the graph does not know (leftovers of older specs,
 * usually leaves such as instances of a removed group) go first; then graph resources, each after every live
 * resource that (transitively) depends on it. A refusal classified 'dependency' is retried with a bound; then a
 * second round re-discovers what is left and tries again without the leftovers-first ordering (a leftover could
 * have been a parent). Whatever still exists after that is reported in a DestroyIncomplete ApplyError.
 */
export async function destroy<C>(nodes: ResourceNode[], deps: EngineDeps<C>): Promise<ApplyResult> {
  const graph = buildGraph(nodes);
  const handlers = handlerMap(deps.handlers);
  const record = journalWriter(deps);
  const lastError = new Map<string, string>();
  deps.io.emit({ code: 'destroy.start', level: 'info', message: `deleting cluster ${deps.cluster}` });

  for (let round = 1; round <= DESTROY_ROUNDS; round++) {
    const live = await discover(deps);
    if (live.length === 0) break;
    const taskId = (l: LiveResource) => `delete:${l.kind}:${l.cloudId}`;
    const known = live.filter((l) => graph.nodes.get(l.id)?.kind === l.kind);
    const unknown = live.filter((l) => !known.includes(l));
    // An object the graph does not name (an old instance template, a zone the spec dropped) is ordered by its kind:
    // it goes after the objects of kinds that depend on its kind, before those of kinds it depends on. A kind the
    // graph does not have at all goes first (in round 1), as the safest guess.
    const kindsAbove = kindDependants(graph);
    const before = (a: LiveResource, b: LiveResource) => kindsAbove.get(b.kind)?.has(a.kind) === true && kindsAbove.get(a.kind)?.has(b.kind) !== true;
    const tasks: DagTask<void>[] = live.map((l) => {
      const after: string[] = [];
      if (known.includes(l)) {
        const below = transitiveDependants(graph, l.id);
        for (const other of known) if (below.has(other.id)) after.push(taskId(other));
        if (round === 1) for (const u of unknown) if (!kindsAbove.has(u.kind) || before(u, l)) after.push(taskId(u));
      } else if (kindsAbove.has(l.kind)) {
        for (const other of live) if (other !== l && (!unknown.includes(other) || kindsAbove.has(other.kind)) && before(other, l)) after.push(taskId(other));
      }
      return {
        id: taskId(l),
        resource: l.id,
        service: handlerFor(handlers, l.kind, l.id).service,
        deps: after,
        meta: { action: 'delete', kind: l.kind, round, cloudId: l.cloudId },
        run: async (signal) => {
          await deleteTolerantly(handlerFor(handlers, l.kind, l.id), l, context(deps, signal), deps.classifyError);
          await record({ id: l.id, kind: l.kind, cloudId: l.cloudId, action: 'deleted' });
        },
      };
    });
    const outcomes = await runDag(tasks, executorOptions(deps, { depMode: 'soft' }));
    for (const o of outcomes.values()) if (o.status !== 'done') lastError.set(o.id, errorMessage(o.error ?? o.status));
    if (deps.signal?.aborted) break;
  }

  const left = deps.signal?.aborted ? [] : await discover(deps);
  if (deps.signal?.aborted) {
    throw new ApplyError('destroy cancelled; run it again to finish', [], {}, 'Cancelled');
  }
  if (deps.journal) warnAboutUnseenIntents(deps, await deps.journal.load());
  const failed = left.map((l) => ({ id: l.id, kind: l.kind, error: lastError.get(`delete:${l.kind}:${l.cloudId}`) ?? `still exists (${l.cloudId})` }));
  deps.io.emit({
    code: 'destroy.done',
    level: failed.length ? 'error' : 'info',
    message: failed.length ? `${failed.length} resources could not be deleted` : `cluster ${deps.cluster} deleted`,
    data: { left: failed.length },
  });
  if (failed.length) throw new ApplyError(`could not delete ${failed.length} resource(s): ${describe(failed)}`, failed, {}, 'DestroyIncomplete');
  return { outputs: {}, failed: [] };
}

/** Kind → the kinds of the objects that depend (transitively) on an object of that kind. */
function kindDependants(graph: ResourceGraph): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [id, node] of graph.nodes) {
    const set = out.get(node.kind) ?? new Set<string>();
    for (const d of transitiveDependants(graph, id)) set.add(graph.nodes.get(d)!.kind);
    out.set(node.kind, set);
  }
  return out;
}

/** The name a create call will use, for the intent record: the `name` field, else the Name tag. */
function intentName(fields: Record<string, unknown>): string | undefined {
  if (typeof fields.name === 'string') return fields.name;
  const tags = fields.tags as Record<string, unknown> | undefined;
  return typeof tags?.Name === 'string' ? tags.Name : undefined;
}

/**
 * Journal intents with no later record for that resource: a create was about to be made (or made) when the run
 * stopped. list() finds such an object by its tags/labels; if it did not, say which name to look for.
 */
export function unresolvedIntents(entries: JournalEntry[]): JournalEntry[] {
  const last = new Map<string, JournalEntry>();
  for (const e of entries) last.set(`${e.kind}\0${e.id}`, e);
  return [...last.values()].filter((e) => e.action === 'intent');
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

/** Bad input found while working (an object of another cluster): exit 2 with its own message, not "apply failed". */
function rethrowInvalidInput(outcomes: TaskOutcome<unknown>[]): void {
  const bad = outcomes.find((o) => o.error instanceof InvalidInputError);
  if (bad) throw bad.error;
}

function referencesTarget(node: ResourceNode, target: string): boolean {
  return collectRefs(node.fields).some((r) => r.$ref === target);
}

/** Delete that treats "already gone" as success. */
async function deleteTolerantly<C>(h: ResourceHandler<C>, l: LiveResource, ctx: HandlerContext<C>, classify: (e: unknown) => ErrorClass): Promise<void> {
  try {
    await h.delete(l, ctx);
  } catch (err) {
    let cls: ErrorClass = 'fatal';
    try {
      cls = classify(err);
    } catch {
      /* unclassifiable: rethrow below */
    }
    if (cls !== 'not-found') throw err;
  }
}

/** Journal writes as the work happens; a failed write stops that task (never retried: the cloud write already happened). */
function journalWriter<C>(deps: EngineDeps<C>): (e: Omit<JournalEntry, 'at'>) => Promise<void> {
  const now = deps.now ?? (() => new Date());
  return async (e) => {
    if (!deps.journal) return;
    try {
      await deps.journal.record({ ...e, at: now().toISOString() });
    } catch (err) {
      const what = e.action === 'intent' ? 'not created: could not record the intent to create it' : `${e.action} but could not record it`;
      throw new OperationError(`${e.id}: ${what} in the journal: ${errorMessage(err)}`, { code: 'JournalWrite', cause: err });
    }
  };
}

function failures(outcomes: Map<string, TaskOutcome<unknown>>, tasks: DagTask<unknown>[]): ApplyResult['failed'] {
  const byResource = new Map<string, ApplyResult['failed'][number]>();
  for (const t of tasks) {
    const o = outcomes.get(t.id)!;
    if (o.status === 'done') continue;
    const id = t.resource ?? t.id;
    if (byResource.has(id)) continue; // replace: report the first phase that failed
    byResource.set(id, { id, kind: String(t.meta?.kind ?? ''), error: o.error === undefined ? 'cancelled before it started' : errorMessage(o.error) });
  }
  return [...byResource.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
}

function describe(failed: ApplyResult['failed']): string {
  const shown = failed.slice(0, 5).map((f) => `${f.id}: ${f.error}`);
  return shown.join('; ') + (failed.length > 5 ? `; and ${failed.length - 5} more` : '');
}
