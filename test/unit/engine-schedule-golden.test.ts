// The schedule (plan + graph → tasks, core/schedule.ts) of representative plans, as golden text: every task, what it
// waits for and the ordering rule behind each edge. Plans are computed by the real diff against the in-memory cloud
// after a real apply, so the goldens show what apply and destroy would do. UPDATE_GOLDEN=1 rewrites them.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apply, plan } from '../../src/core/engine.js';
import { handlerMap } from '../../src/core/diff.js';
import { buildGraph } from '../../src/core/graph.js';
import type { ResourceNode } from '../../src/core/resource.js';
import { ORDERING_RULES, renderSchedule, scheduleApply, scheduleDestroy, type ScheduledTask } from '../../src/core/schedule.js';
import { expectGolden } from '../helpers/golden.js';
import { exampleGraph, MemoryCloud, memoryDeps, memoryHandlers } from '../fakes/memory-provider.js';

const handlers = handlerMap(memoryHandlers());

/** Applies `before`, then schedules the plan that takes the cloud to `after`. */
async function scheduleFor(before: ResourceNode[], after: ResourceNode[]): Promise<ScheduledTask[]> {
  const cloud = new MemoryCloud();
  const deps = memoryDeps(cloud);
  const first = await plan(before, deps);
  await apply(first.plan, before, first.live, deps);
  const next = await plan(after, deps);
  return scheduleApply({ plan: next.plan, graph: buildGraph(after), live: next.live, handlers });
}

function withImage(nodes: ResourceNode[], id: string, image: string): ResourceNode[] {
  return nodes.map((n) => (n.id === id ? { ...n, fields: { ...n.fields, image } } : n));
}

/** Every rule some case below put on an edge. */
const used = new Set<string>();
const note = (tasks: ScheduledTask[]) => {
  for (const t of tasks) for (const e of t.after) used.add(e.rule);
  return tasks;
};

const edge = (tasks: ScheduledTask[], from: string, on: string) => tasks.find((t) => t.id === from)?.after.find((e) => e.on === on)?.rule;

describe('schedule golden files', () => {
  it('create only: every up task waits for what it references', async () => {
    const tasks = await scheduleFor([], exampleGraph());
    assert.ok(tasks.every((t) => t.op === 'create'));
    assert.equal(edge(tasks, 'up:subnet/zone-a', 'up:network'), 'references-first');
    await expectGolden('test/golden/schedule/create.txt', renderSchedule(note(tasks)));
  });

  it('update in place: only the changed resources, after the ups they reference', async () => {
    const tasks = await scheduleFor(exampleGraph(), exampleGraph({ size: 'large' }));
    assert.deepEqual(tasks.map((t) => `${t.op} ${t.resource}`), ['update instance/control-plane-0', 'update instance/worker-0', 'update instance/worker-1']);
    await expectGolden('test/golden/schedule/update.txt', renderSchedule(note(tasks)));
  });

  it('replace, delete before create: nothing kept refers to the old worker', async () => {
    const tasks = await scheduleFor(exampleGraph(), withImage(exampleGraph(), 'instance/worker-0', 'image-2'));
    assert.equal(edge(tasks, 'up:instance/worker-0', 'down:instance/worker-0'), 'delete-before-create');
    const down = tasks.find((t) => t.id === 'down:instance/worker-0')!;
    assert.ok(down.op === 'delete' && down.dropsOutputs);
    await expectGolden('test/golden/schedule/replace-delete-first.txt', renderSchedule(note(tasks)));
  });

  it('replace, create before delete: the load balancer (updated in place) points at the old control plane until the new one exists', async () => {
    const tasks = await scheduleFor(exampleGraph(), withImage(exampleGraph(), 'instance/control-plane-0', 'image-2'));
    assert.equal(tasks.find((t) => t.resource === 'lb/api')?.op, 'update');
    assert.equal(edge(tasks, 'down:instance/control-plane-0', 'up:instance/control-plane-0'), 'create-before-delete');
    assert.equal(edge(tasks, 'down:instance/control-plane-0', 'up:lb/api'), 'create-before-delete');
    assert.equal(edge(tasks, 'up:instance/control-plane-0', 'down:instance/control-plane-0'), undefined);
    const down = tasks.find((t) => t.id === 'down:instance/control-plane-0')!;
    assert.ok(down.op === 'delete' && !down.dropsOutputs, 'the new copy\'s outputs stay');
    await expectGolden('test/golden/schedule/replace-create-first.txt', renderSchedule(note(tasks)));
  });

  it('replace cascade with a removed resource: old copies go children first, after the deletes of removed resources', async () => {
    const before = exampleGraph({ workers: 3 });
    const after = exampleGraph({ workers: 2, networkCidr: '10.1.0.0/16' });
    const tasks = await scheduleFor(before, after);
    const removed = tasks.find((t) => t.resource === 'instance/worker-2')!;
    assert.equal(removed.op, 'delete');
    assert.equal(edge(tasks, 'down:network', 'down:subnet/zone-a'), 'replaced-dependants-first');
    assert.equal(edge(tasks, 'down:network', removed.id), 'removed-first');
    await expectGolden('test/golden/schedule/replace-cascade.txt', renderSchedule(note(tasks)));
  });

  it('destroy: children first, and objects the graph does not name (a removed worker) before what they may hold on to', async () => {
    const cloud = new MemoryCloud();
    const deps = memoryDeps(cloud);
    const big = exampleGraph({ workers: 3 });
    const p = await plan(big, deps);
    await apply(p.plan, big, p.live, deps);
    const live = (await plan([], deps)).live;
    const graph = buildGraph(exampleGraph({ workers: 2 }));
    const round1 = scheduleDestroy(graph, live, 1, handlers);
    const id = (graphId: string) => round1.find((t) => t.resource === graphId)!.id;
    const rule = (from: string, on: string) => round1.find((t) => t.id === id(from))!.after.find((e) => e.on === id(on))?.rule;
    assert.equal(rule('network', 'subnet/zone-a'), 'dependants-first');
    assert.equal(rule('network', 'instance/worker-0'), 'dependants-first');
    assert.equal(rule('subnet/zone-a', 'instance/worker-2'), 'unknown-first');
    const round2 = scheduleDestroy(graph, live, 2, handlers);
    assert.ok(!round2.some((t) => t.after.some((e) => e.rule === 'unknown-first')), 'round 2 drops the leftovers-first guess');
    await expectGolden('test/golden/schedule/destroy.txt', `# round 1\n${renderSchedule(note(round1))}# round 2\n${renderSchedule(note(round2))}`);
  });

  it('every ordering rule of the catalogue is exercised by one of the cases above', () => {
    assert.deepEqual([...used].sort(), Object.keys(ORDERING_RULES).sort());
  });
});
