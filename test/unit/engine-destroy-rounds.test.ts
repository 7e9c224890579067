// destroy lists what exists (or takes the plan's listing), deletes it, and lists again to see that nothing is left: two list calls per kind for a
// clean delete, not a third one right after a listing that already came back empty (issue 17: wall time).

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { apply, destroy, plan } from '../../src/core/engine.js';
import { exampleGraph, MemoryCloud, memoryDeps, memoryHandlers } from '../fakes/memory-provider.js';

it('a clean destroy lists each kind twice: before deleting and once to confirm nothing is left', async () => {
  const cloud = new MemoryCloud();
  const deps = memoryDeps(cloud);
  const nodes = exampleGraph();
  const p = await plan(nodes, deps);
  await apply(p.plan, nodes, p.live, deps);
  const before = cloud.calls.length;
  await destroy(nodes, deps);
  assert.equal(cloud.objects.size, 0);
  const lists = cloud.calls.slice(before).filter((c) => c.op === 'list');
  assert.equal(lists.length, 2 * memoryHandlers().length);
});

it('a destroy handed the plan\'s listing deletes it without listing again: one listing per kind, to confirm', async () => {
  const cloud = new MemoryCloud();
  const deps = memoryDeps(cloud);
  const nodes = exampleGraph();
  const p = await plan(nodes, deps);
  await apply(p.plan, nodes, p.live, deps);
  const listed = await plan([], deps);
  const before = cloud.calls.length;
  await destroy(nodes, deps, listed.live);
  assert.equal(cloud.objects.size, 0);
  const lists = cloud.calls.slice(before).filter((c) => c.op === 'list');
  assert.equal(lists.length, memoryHandlers().length);
});

it('what appeared after the plan\'s listing is found by the second round', async () => {
  const cloud = new MemoryCloud();
  const deps = memoryDeps(cloud);
  const nodes = exampleGraph();
  const listedEmpty = (await plan([], deps)).live;
  const p = await plan(nodes, deps);
  await apply(p.plan, nodes, p.live, deps);
  await destroy(nodes, deps, listedEmpty);
  assert.equal(cloud.objects.size, 0);
});
