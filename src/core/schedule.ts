// Plan + graph → tasks, as data. Pure: no clients, no journal, no clock. Every dependency edge carries the ordering
// rule that put it there, so the order apply and destroy follow can be read (and golden-tested) without running it;
// apply.ts and destroy.ts only attach the work to each task.

import { OperationError } from './errors.js';
import type { TaskFields } from './events.js';
import { collectRefs, transitiveDependants, type ResourceGraph } from './graph.js';
import { handlerFor, matchLive } from './diff.js';
import type { LiveResource, Plan, PlanStep, ResourceHandler, ResourceNode } from './resource.js';

/** Why one task waits for another. The schedule names one of these on every edge. */
export const ORDERING_RULES = {
  'references-first': 'a create or update waits for the creates and updates of what it references or dependsOn',
  'replaced-dependants-first': 'the old copy of a replaced resource goes after the old copies of its replaced dependants (children before parents)',
  'removed-first': 'the old copy of a replaced resource goes after the deletes of removed resources, which may still hold on to it',
  'delete-before-create': 'a replaced resource that no kept resource refers to is deleted before its new copy is made (its name and addresses are freed)',
  'create-before-delete': 'a replaced resource that a kept (updated) resource refers to is deleted only after its new copy exists and those referrers point at it',
  'dependants-first': 'destroy: a resource is deleted after every live resource that (transitively) depends on it',
  'unknown-first': 'destroy, first round: objects the graph does not name go before the graph objects of kinds they may hold on to',
  'kind-order': 'destroy: an object the graph does not name goes after the objects of kinds that depend on its kind',
} as const;

export type OrderingRule = keyof typeof ORDERING_RULES;

/** One dependency edge: the task waits for task `on` because of `rule`. */
export interface Edge {
  on: string;
  rule: OrderingRule;
}

/** How a replace is carried out (see the two rules of the same names). */
export type ReplaceStrategy = 'delete-before-create' | 'create-before-delete';

interface TaskBase {
  /** Unique among the tasks of one run: `up:<id>`, `down:<id>`, `delete:…`. */
  id: string;
  /** The graph id the task is about (the `task` of its events). */
  resource: string;
  kind: string;
  /** The handler's concurrency bucket. */
  service: string;
  after: Edge[];
  /** The fields every event of the task carries. */
  meta: TaskFields;
}

/** Make or change the resource of the graph: create (also the new copy of a replace) or update in place. */
export interface UpTask extends TaskBase {
  op: 'create' | 'update';
  step: PlanStep;
  node: ResourceNode;
  /** update: the live object being changed (missing when the plan no longer matches what was discovered). */
  live?: LiveResource;
}

/** Delete one live object: a removed resource, the old copy of a replace, or (destroy) anything of the cluster. */
export interface DeleteTask extends TaskBase {
  op: 'delete';
  live: LiveResource;
  /** Whether the resource's known outputs go with the object (not when a new copy already replaced them). */
  dropsOutputs: boolean;
}

export type ScheduledTask = UpTask | DeleteTask;

/** What apply's schedule is computed from. */
export interface ApplyScheduleInput<C> {
  plan: Plan;
  graph: ResourceGraph;
  live: readonly LiveResource[];
  /** Only for each kind's concurrency bucket (`service`). */
  handlers: Map<string, ResourceHandler<C>>;
}

function stale(message: string): OperationError {
  return new OperationError(`${message}: plan again`, { code: 'StalePlan' });
}

/** Whether `node`'s fields reference `target` (not only dependsOn: only a reference has to be repointed). */
function referencesTarget(node: ResourceNode, target: string): boolean {
  return collectRefs(node.fields).some((r) => r.$ref === target);
}

/**
 * The tasks of one apply, in a stable order: deletes of removed resources first, then per graph id (topological)
 * the old copy's delete and the up task. Throws StalePlan when the plan does not fit the graph or the live objects.
 */
export function scheduleApply<C>({ plan, graph, live, handlers }: ApplyScheduleInput<C>): ScheduledTask[] {
  const { byId } = matchLive(live);
  const liveByCloudId = new Map(live.map((l) => [`${l.kind}\0${l.cloudId}`, l]));
  const nodeSteps = new Map<string, PlanStep>();
  const removed: PlanStep[] = [];
  for (const step of plan.steps) {
    if (step.action === 'delete') removed.push(step);
    else if (!graph.nodes.has(step.id)) throw stale(`plan step ${step.id} has no resource in the graph`);
    else nodeSteps.set(step.id, step);
  }
  const missing = graph.order.filter((id) => !nodeSteps.has(id));
  if (missing.length) throw stale(`plan has no step for ${missing.join(', ')}`);

  const liveOf = (step: PlanStep): LiveResource | undefined => (step.cloudId && liveByCloudId.get(`${step.kind}\0${step.cloudId}`)) || byId.get(step.id);
  const mustLive = (step: PlanStep): LiveResource => {
    const l = liveOf(step);
    if (!l) throw stale(`${step.id}: the plan says it exists (${step.cloudId ?? '?'}) but it was not discovered`);
    return l;
  };
  const serviceOf = (kind: string, id: string) => handlerFor(handlers, kind, id).service;

  const tasks: ScheduledTask[] = [];
  const removedIds = removed.map((s) => `delete:${s.id}@${s.cloudId}`);
  removed.forEach((step, i) => {
    const l = mustLive(step);
    tasks.push({
      id: removedIds[i],
      resource: step.id,
      kind: step.kind,
      service: serviceOf(l.kind, l.id),
      after: [],
      meta: { action: 'delete', kind: step.kind, cloudId: l.cloudId },
      op: 'delete',
      live: l,
      // A removed object whose graph id now names another live object (adopted under a new cloud ID) keeps those outputs.
      dropsOutputs: byId.get(step.id) === l,
    });
  });

  const hasUp = (id: string) => nodeSteps.get(id)!.action !== 'noop';
  const hasDown = (id: string) => nodeSteps.get(id)!.action === 'replace';
  for (const id of graph.order) {
    const step = nodeSteps.get(id)!;
    const node = graph.nodes.get(id)!;
    if (step.action === 'noop') continue;
    const strategy = step.action === 'replace' ? replaceStrategy(id, graph, nodeSteps) : undefined;
    if (strategy) {
      const l = mustLive(step);
      const after: Edge[] = [
        ...[...graph.dependants.get(id)!].filter(hasDown).map((d): Edge => ({ on: `down:${d}`, rule: 'replaced-dependants-first' })),
        ...removedIds.map((on): Edge => ({ on, rule: 'removed-first' })),
      ];
      if (strategy.strategy === 'create-before-delete') {
        after.push({ on: `up:${id}`, rule: 'create-before-delete' }, ...strategy.keptReferrers.map((d): Edge => ({ on: `up:${d}`, rule: 'create-before-delete' })));
      }
      tasks.push({
        id: `down:${id}`,
        resource: id,
        kind: l.kind,
        service: serviceOf(l.kind, id),
        after,
        meta: { action: 'replace', phase: 'delete', kind: l.kind, cloudId: l.cloudId },
        op: 'delete',
        live: l,
        dropsOutputs: strategy.strategy === 'delete-before-create',
      });
    }
    const after = [...graph.deps.get(id)!].filter(hasUp).map((d): Edge => ({ on: `up:${d}`, rule: 'references-first' }));
    if (strategy?.strategy === 'delete-before-create') after.push({ on: `down:${id}`, rule: 'delete-before-create' });
    const service = serviceOf(node.kind, id);
    if (step.action === 'update') {
      tasks.push({ id: `up:${id}`, resource: id, kind: node.kind, service, after, meta: { action: 'update', kind: node.kind, ...(step.cloudId ? { cloudId: step.cloudId } : {}) }, op: 'update', step, node, live: liveOf(step) });
    } else {
      const meta: TaskFields = step.action === 'replace' ? { action: 'replace', phase: 'create', kind: node.kind } : { action: step.action, kind: node.kind, ...(step.cloudId ? { cloudId: step.cloudId } : {}) };
      tasks.push({ id: `up:${id}`, resource: id, kind: node.kind, service, after, meta, op: 'create', step, node });
    }
  }
  return tasks;
}

/**
 * A replace deletes the old copy first unless resources that stay (updated in place) reference it: the old object
 * cannot go before they point at the new one, so then it is create → update them → delete the old one.
 */
export function replaceStrategy(id: string, graph: ResourceGraph, steps: ReadonlyMap<string, PlanStep>): { strategy: ReplaceStrategy; keptReferrers: string[] } {
  const keptReferrers = [...graph.dependants.get(id)!].filter((d) => steps.get(d)!.action === 'update' && referencesTarget(graph.nodes.get(d)!, id));
  return { strategy: keptReferrers.length ? 'create-before-delete' : 'delete-before-create', keptReferrers };
}

/** The task id of deleting one live object in destroy. */
export function destroyTaskId(l: LiveResource): string {
  return `delete:${l.kind}:${l.cloudId}`;
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

/**
 * One destroy round: a delete task per live object. Graph objects go after every live object that depends on them;
 * an object the graph does not name (an old instance template, a zone the spec dropped) is ordered by its kind: after
 * the objects of kinds that depend on its kind, before those of kinds it depends on. A kind the graph does not have at
 * all goes first (in round 1), as the safest guess; round 2 drops that guess (a leftover could have been a parent).
 */
export function scheduleDestroy<C>(graph: ResourceGraph, live: readonly LiveResource[], round: number, handlers: Map<string, ResourceHandler<C>>): DeleteTask[] {
  const known = live.filter((l) => graph.nodes.get(l.id)?.kind === l.kind);
  const unknown = live.filter((l) => !known.includes(l));
  const kindsAbove = kindDependants(graph);
  const before = (a: LiveResource, b: LiveResource) => kindsAbove.get(b.kind)?.has(a.kind) === true && kindsAbove.get(a.kind)?.has(b.kind) !== true;
  return live.map((l) => {
    const after: Edge[] = [];
    if (known.includes(l)) {
      const below = transitiveDependants(graph, l.id);
      for (const other of known) if (below.has(other.id)) after.push({ on: destroyTaskId(other), rule: 'dependants-first' });
      if (round === 1) for (const u of unknown) if (!kindsAbove.has(u.kind) || before(u, l)) after.push({ on: destroyTaskId(u), rule: 'unknown-first' });
    } else if (kindsAbove.has(l.kind)) {
      for (const other of live) if (other !== l && (!unknown.includes(other) || kindsAbove.has(other.kind)) && before(other, l)) after.push({ on: destroyTaskId(other), rule: 'kind-order' });
    }
    return {
      id: destroyTaskId(l),
      resource: l.id,
      kind: l.kind,
      service: handlerFor(handlers, l.kind, l.id).service,
      after,
      meta: { action: 'delete', kind: l.kind, round, cloudId: l.cloudId },
      op: 'delete',
      live: l,
      dropsOutputs: true,
    };
  });
}

/** The schedule as text, one task a line with what it waits for and why: what the golden tests hold. */
export function renderSchedule(tasks: readonly ScheduledTask[]): string {
  return tasks
    .map((t) => {
      const what = t.op === 'delete' ? `delete ${t.kind} ${t.live.cloudId}${t.dropsOutputs ? '' : ' (outputs kept)'}` : `${t.op} ${t.kind}`;
      const after = t.after.length ? t.after.map((e) => `\n    after ${e.on}  [${e.rule}]`).join('') : '';
      return `${t.id}  ${what}  (${t.service})${after}\n`;
    })
    .join('');
}
