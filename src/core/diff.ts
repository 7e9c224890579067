// Pure planning: desired nodes vs live resources → Plan. No I/O; the same inputs always give the same plan.

import { buildGraph, mapRefs } from './graph.js';
import { OperationError } from './errors.js';
import { isRef, type FieldChange, type LiveResource, type Plan, type PlanStep, type Ref, type ResourceHandler, type ResourceNode } from './resource.js';

/** What a Ref to a resource that does not exist yet (or is being replaced) shows in a plan. */
export const KNOWN_AFTER_APPLY = '(known after apply)';

/** Structural equality: objects compare by keys (order-insensitive), arrays by position. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') {
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  // Keys whose value is undefined are absent for our purposes (JSON round trips drop them).
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && deepEqual(ao[k], bo[k]));
}

/** JSON with object keys sorted, so equal values give equal text whatever order their keys came in. */
function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, (x as Record<string, unknown>)[k]])) : x,
  );
}

/** Order-insensitive list equality (subnet ids, source ranges, target group ARNs…); false unless both are arrays. */
export function sameSet(a: unknown, b: unknown): boolean {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  const sa = a.map(canonicalJson).sort();
  const sb = b.map(canonicalJson).sort();
  return sa.every((x, i) => x === sb[i]);
}

/**
 * Every desired entry is present in the live map (tags, labels): clouds and users may add their own, and we never
 * remove foreign ones.
 */
export function includesEntries(desired: unknown, live: unknown): boolean {
  const l = (live ?? {}) as Record<string, unknown>;
  return Object.entries((desired ?? {}) as Record<string, unknown>).every(([k, v]) => l[k] === v);
}

export function handlerMap<C>(handlers: readonly ResourceHandler<C>[]): Map<string, ResourceHandler<C>> {
  const m = new Map<string, ResourceHandler<C>>();
  for (const h of handlers) {
    if (m.has(h.kind)) throw new OperationError(`two handlers for resource kind ${h.kind}`, { code: 'InvalidGraph' });
    m.set(h.kind, h);
  }
  return m;
}

export function handlerFor<C>(handlers: Map<string, ResourceHandler<C>>, kind: string, id: string): ResourceHandler<C> {
  const h = handlers.get(kind);
  if (!h) throw new OperationError(`no handler for resource kind ${kind} (resource ${id})`, { code: 'InvalidGraph' });
  return h;
}

/**
 * Live resources keyed by graph id. If a cloud holds two objects with the same id (a create that was retried
 * by hand, or a cloud without idempotency tokens), the one with the smallest cloud id is the match and the
 * others are extras to delete.
 */
export function matchLive(live: readonly LiveResource[]): { byId: Map<string, LiveResource>; extras: LiveResource[] } {
  const sorted = [...live].sort((a, b) => cmp(a.id, b.id) || cmp(a.cloudId, b.cloudId));
  const byId = new Map<string, LiveResource>();
  const extras: LiveResource[] = [];
  for (const l of sorted) {
    if (byId.has(l.id)) extras.push(l);
    else byId.set(l.id, l);
  }
  return { byId, extras };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Desired vs live → plan. Steps are in topological order of the graph (ties by id), followed by deletes of
 * live resources that have no desired node (sorted by kind, id, cloud id).
 */
export function diff(cluster: string, nodes: readonly ResourceNode[], live: readonly LiveResource[], handlers: readonly ResourceHandler<any>[]): Plan {
  const graph = buildGraph(nodes);
  const byKind = handlerMap(handlers);
  const { byId, extras } = matchLive(live);
  const steps: PlanStep[] = [];
  // Resources whose outputs are unknown until apply: created or replaced ones.
  const unknown = new Set<string>();

  const display = (v: unknown) => mapRefs(v, (r: Ref) => (unknown.has(r.$ref) ? KNOWN_AFTER_APPLY : (byId.get(r.$ref)?.outputs[r.attr] ?? KNOWN_AFTER_APPLY)));

  for (const id of graph.order) {
    const node = graph.nodes.get(id)!;
    const handler = handlerFor(byKind, node.kind, id);
    const current = byId.get(id);
    if (!current) {
      unknown.add(id);
      const changes = Object.keys(node.fields)
        .sort()
        .map((field) => ({ field, from: undefined, to: display(node.fields[field]) }));
      steps.push({ id, kind: node.kind, action: 'create', changes });
      continue;
    }
    if (current.kind !== node.kind) {
      // Same id, different kind: only a replace can fix that.
      unknown.add(id);
      steps.push({ id, kind: node.kind, action: 'replace', cloudId: current.cloudId, changes: [{ field: 'kind', from: current.kind, to: node.kind }] });
      continue;
    }
    const changes = fieldChanges(node, current, handler, unknown, display);
    let action: PlanStep['action'] = 'noop';
    if (changes.length) {
      const immutable = new Set(handler.immutable ?? []);
      action = !handler.update || changes.some((c) => immutable.has(c.field)) ? 'replace' : 'update';
    }
    if (action === 'replace') unknown.add(id);
    steps.push({ id, kind: node.kind, action, changes, cloudId: current.cloudId });
  }

  const orphans = [...[...byId.values()].filter((l) => !graph.nodes.has(l.id)), ...extras].sort(
    (a, b) => cmp(a.kind, b.kind) || cmp(a.id, b.id) || cmp(a.cloudId, b.cloudId),
  );
  for (const l of orphans) steps.push({ id: l.id, kind: l.kind, action: 'delete', cloudId: l.cloudId, changes: [] });
  return { cluster, steps };
}

function fieldChanges(
  node: ResourceNode,
  current: LiveResource,
  handler: ResourceHandler<any>,
  unknown: Set<string>,
  display: (v: unknown) => unknown,
): FieldChange[] {
  const writeOnly = new Set(handler.writeOnly ?? []);
  const changes: FieldChange[] = [];
  for (const field of Object.keys(node.fields).sort()) {
    if (writeOnly.has(field)) continue;
    const liveValue = current.fields[field];
    // The cloud does not report this field: nothing to compare against.
    if (liveValue === undefined) continue;
    const desired = node.fields[field];
    if (dependsOnUnknown(desired, unknown)) {
      changes.push({ field, from: liveValue, to: display(desired) });
      continue;
    }
    const resolved = display(desired);
    if (deepEqual(resolved, liveValue)) continue;
    if (handler.equal?.(field, resolved, liveValue)) continue;
    changes.push({ field, from: liveValue, to: resolved });
  }
  return changes;
}

function dependsOnUnknown(value: unknown, unknown: Set<string>): boolean {
  if (isRef(value)) return unknown.has(value.$ref);
  if (Array.isArray(value)) return value.some((v) => dependsOnUnknown(v, unknown));
  if (typeof value === 'object' && value !== null) return Object.values(value).some((v) => dependsOnUnknown(v, unknown));
  return false;
}

/** Counts of each action, for `plan.summary` and the CLI's one-line summary. */
export function summarize(plan: Plan): Record<PlanStep['action'], number> {
  const s = { create: 0, update: 0, replace: 0, delete: 0, noop: 0 };
  for (const step of plan.steps) s[step.action]++;
  return s;
}

/** True when applying the plan would change nothing. */
export function isEmptyPlan(plan: Plan): boolean {
  return plan.steps.every((s) => s.action === 'noop');
}
