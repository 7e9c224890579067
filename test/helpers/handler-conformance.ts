// The handler conformance suite: what every resource handler of every provider must do, checked on its real or fake
// backend (AWS on moto, GCE on the Compute fake). It applies a graph that has every kind of the provider, then per
// kind and node:
//  - list() finds exactly the desired ids, each with a cloud id;
//  - a second create() of an existing node (a retry after a lost reply) adopts it: same cloud id, no duplicate;
//  - the plan right after apply is empty (the fields list() reports equal the desired ones);
//  - after delete() the id is gone from list(), and deleting it again succeeds or is classified not-found.
// A new kind is covered as soon as it is registered: the suite fails when a handler has no node in the graph.

import assert from 'node:assert/strict';
import { apply, plan, type EngineDeps } from '../../src/core/engine.js';
import { buildGraph, resolveRefs } from '../../src/core/graph.js';
import type { HandlerContext, ResolvedFields, ResourceHandler, ResourceNode } from '../../src/core/resource.js';

export interface ConformanceTarget<C> {
  /** Engine dependencies on the backend under test (handlers, clients, error classes). */
  deps: EngineDeps<C>;
  /** A desired graph with at least one node of every handler's kind (but those in `elsewhere`). */
  nodes: ResourceNode[];
  /** Kinds no one graph can hold together with the rest, each with the test that holds its guarantees instead. */
  elsewhere?: Record<string, string>;
}

export interface ConformanceReport {
  kinds: string[];
  adopted: string[];
  deleted: string[];
}

function handlerOf<C>(handlers: ResourceHandler<C>[], kind: string): ResourceHandler<C> {
  const h = handlers.find((x) => x.kind === kind);
  assert.ok(h, `no handler for kind ${kind}`);
  return h;
}

const describeError = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

export async function runHandlerConformance<C>({ deps, nodes, elsewhere = {} }: ConformanceTarget<C>): Promise<ConformanceReport> {
  const ctx: HandlerContext<C> = { clients: deps.clients, cluster: deps.cluster, clusterId: deps.clusterId, signal: new AbortController().signal, io: deps.io };
  const kinds = deps.handlers.map((h) => h.kind);
  const uncovered = kinds.filter((k) => !nodes.some((n) => n.kind === k) && !(k in elsewhere));
  assert.deepEqual(uncovered, [], 'every registered kind has a node in the conformance graph');

  const first = await plan(nodes, deps);
  const applied = await apply(first.plan, nodes, first.live, deps);
  assert.deepEqual(applied.failed, [], 'apply succeeds');

  // list finds what was created.
  for (const h of deps.handlers) {
    const want = nodes.filter((n) => n.kind === h.kind).map((n) => n.id).sort();
    const live = await h.list(ctx);
    assert.deepEqual(live.map((l) => l.id).sort(), want, `${h.kind}: list() reports exactly the created ids`);
    for (const l of live) assert.ok(l.cloudId, `${l.id}: has a cloud id`);
  }

  // A second create adopts: same object, still one.
  const adopted: string[] = [];
  for (const node of nodes) {
    const h = handlerOf(deps.handlers, node.kind);
    const before = (await h.list(ctx)).filter((l) => l.id === node.id);
    const again = await h.create(node, resolveRefs(node.fields, applied.outputs) as ResolvedFields, ctx);
    const after = (await h.list(ctx)).filter((l) => l.id === node.id);
    assert.equal(after.length, 1, `${node.id}: exactly one object after a repeated create`);
    assert.equal(again.cloudId, before[0]?.cloudId, `${node.id}: the repeated create returned the existing object`);
    adopted.push(node.id);
  }

  // Plan after apply (and after the repeated creates) is empty.
  const second = await plan(nodes, deps);
  const pending = second.plan.steps.filter((s) => s.action !== 'noop').map((s) => `${s.action} ${s.id}: ${s.changes.map((c) => c.field).join(', ')}`);
  assert.deepEqual(pending, [], 'the plan right after apply is empty');

  // Delete in reverse dependency order: gone from list, and a second delete is success or not-found.
  const graph = buildGraph(nodes);
  const deleted: string[] = [];
  for (const id of [...graph.order].reverse()) {
    const node = graph.nodes.get(id)!;
    const h = handlerOf(deps.handlers, node.kind);
    const cur = (await h.list(ctx)).find((l) => l.id === id);
    assert.ok(cur, `${id}: listed before delete`);
    await h.delete(cur, ctx);
    assert.equal((await h.list(ctx)).filter((l) => l.id === id).length, 0, `${id}: list() no longer reports it after delete`);
    try {
      await h.delete(cur, ctx);
    } catch (err) {
      assert.equal(deps.classifyError(err), 'not-found', `${id}: deleting it again is not-found or success, not ${describeError(err)}`);
    }
    deleted.push(id);
  }
  for (const h of deps.handlers) assert.deepEqual((await h.list(ctx)).map((l) => l.id), [], `${h.kind}: nothing left after delete`);
  return { kinds, adopted, deleted };
}
