// The resource graph: edges come from Refs found anywhere inside a node's fields plus its explicit dependsOn.
// Built once per operation, validated (unknown ids, duplicate ids, cycles) before anything touches a cloud.

import { OperationError } from './errors.js';
import { isRef, type Ref, type ResourceNode } from './resource.js';

export interface ResourceGraph {
  nodes: Map<string, ResourceNode>;
  /** id → ids it depends on (refs + dependsOn). */
  deps: Map<string, Set<string>>;
  /** id → ids that depend on it. */
  dependants: Map<string, Set<string>>;
  /** Every id in a stable topological order: dependencies first, ties broken by id. */
  order: string[];
}

/** Every Ref inside a value, however deeply nested in arrays and objects. */
export function collectRefs(value: unknown, out: Ref[] = []): Ref[] {
  if (isRef(value)) {
    out.push(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collectRefs(v, out);
  } else if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) collectRefs(v, out);
  }
  return out;
}

/** Replaces every Ref inside a value by `lookup(ref)`; the structure is copied, never mutated. */
export function mapRefs(value: unknown, lookup: (r: Ref) => unknown): unknown {
  if (isRef(value)) return lookup(value);
  if (Array.isArray(value)) return value.map((v) => mapRefs(v, lookup));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = mapRefs(v, lookup);
    return out;
  }
  return value;
}

/** Resolves every Ref from the outputs of created/live resources; a missing output is a bug, so it throws. */
export function resolveRefs(value: unknown, outputs: ReadonlyMap<string, Record<string, unknown>> | Record<string, Record<string, unknown>>): unknown {
  const get = (id: string) => (outputs instanceof Map ? outputs.get(id) : (outputs as Record<string, Record<string, unknown>>)[id]);
  return mapRefs(value, (r) => {
    const out = get(r.$ref);
    if (out === undefined) throw new OperationError(`reference to ${r.$ref}.${r.attr}: ${r.$ref} has no outputs (not created yet?)`, { code: 'UnresolvedRef' });
    if (!(r.attr in out) || out[r.attr] === undefined) {
      throw new OperationError(`reference to ${r.$ref}.${r.attr}: ${r.$ref} has no output "${r.attr}" (it has: ${Object.keys(out).join(', ') || 'none'})`, {
        code: 'UnresolvedRef',
      });
    }
    return out[r.attr];
  });
}

/** The ids a node depends on: targets of its Refs plus dependsOn, deduplicated and sorted. */
export function nodeDependencies(node: ResourceNode): string[] {
  const ids = new Set<string>(node.dependsOn ?? []);
  for (const r of collectRefs(node.fields)) ids.add(r.$ref);
  return [...ids].sort();
}

/** Builds and validates the graph. Throws OperationError (code InvalidGraph) on duplicate ids, unknown ids or cycles. */
export function buildGraph(nodeList: readonly ResourceNode[]): ResourceGraph {
  const nodes = new Map<string, ResourceNode>();
  const problems: string[] = [];
  for (const n of nodeList) {
    if (nodes.has(n.id)) problems.push(`duplicate resource id ${n.id}`);
    nodes.set(n.id, n);
  }
  const deps = new Map<string, Set<string>>();
  const dependants = new Map<string, Set<string>>();
  for (const id of nodes.keys()) dependants.set(id, new Set());
  for (const n of nodes.values()) {
    const mine = new Set<string>();
    for (const d of nodeDependencies(n)) {
      if (d === n.id) problems.push(`${n.id} references itself`);
      else if (!nodes.has(d)) problems.push(`${n.id} references unknown resource ${d}`);
      else {
        mine.add(d);
        dependants.get(d)!.add(n.id);
      }
    }
    deps.set(n.id, mine);
  }
  if (problems.length) throw new OperationError(`invalid resource graph: ${problems.join('; ')}`, { code: 'InvalidGraph' });

  const order = topologicalOrder([...nodes.keys()], deps, dependants);
  if (order.length < nodes.size) {
    const cycle = findCycle(deps, new Set(order));
    throw new OperationError(`invalid resource graph: dependency cycle ${cycle.join(' → ')}`, { code: 'InvalidGraph' });
  }
  return { nodes, deps, dependants, order };
}

/** Kahn's algorithm, always taking the smallest ready id, so the order is the same on every run. */
function topologicalOrder(ids: string[], deps: Map<string, Set<string>>, dependants: Map<string, Set<string>>): string[] {
  const remaining = new Map(ids.map((id) => [id, deps.get(id)!.size]));
  const ready = ids.filter((id) => remaining.get(id) === 0).sort();
  const order: string[] = [];
  while (ready.length) {
    const id = ready.shift()!;
    order.push(id);
    for (const d of dependants.get(id)!) {
      const left = remaining.get(d)! - 1;
      remaining.set(d, left);
      if (left === 0) insertSorted(ready, d);
    }
  }
  return order;
}

function insertSorted(list: string[], v: string): void {
  let i = 0;
  while (i < list.length && list[i] < v) i++;
  list.splice(i, 0, v);
}

/** One cycle among the ids that the topological sort could not place, for the error message. */
function findCycle(deps: Map<string, Set<string>>, placed: Set<string>): string[] {
  const stuck = [...deps.keys()].filter((id) => !placed.has(id)).sort();
  // Every stuck node has a stuck dependency, so walking them must revisit a node.
  const seen = new Map<string, number>();
  const path: string[] = [];
  let cur = stuck[0];
  while (!seen.has(cur)) {
    seen.set(cur, path.length);
    path.push(cur);
    cur = [...deps.get(cur)!].sort().find((d) => !placed.has(d))!;
  }
  return [...path.slice(seen.get(cur)!), cur];
}

/** Every id that (transitively) depends on `id`. */
export function transitiveDependants(graph: ResourceGraph, id: string): Set<string> {
  const out = new Set<string>();
  const stack = [...(graph.dependants.get(id) ?? [])];
  while (stack.length) {
    const d = stack.pop()!;
    if (out.has(d)) continue;
    out.add(d);
    stack.push(...(graph.dependants.get(d) ?? []));
  }
  return out;
}
