// A delete's `deleted` record is written while what waited for the delete goes on (issue 17: destroy wrote one
// journal record per step of its critical path, each a state round trip before the next step), and the journal's
// records of a replace stay readable: the old copy's `deleted` record neither hides the new copy nor its intent.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apply, destroy, plan, unresolvedIntents, type JournalEntry } from '../../src/core/engine.js';
import { earlierCreates } from '../../src/core/journal-writer.js';
import { exampleGraph, MemoryCloud, memoryDeps, MemoryJournal } from '../fakes/memory-provider.js';

/** A journal whose `deleted` records take `ms` to become durable; remembers when each did. */
function slowDeletedRecords(ms: number) {
  const journal = new MemoryJournal();
  const durableAt = new Map<string, number>();
  return {
    journal,
    durableAt,
    load: () => journal.load(),
    record: async (e: JournalEntry) => {
      if (e.action === 'deleted') await new Promise((r) => setTimeout(r, ms));
      await journal.record(e);
      if (e.action === 'deleted') durableAt.set(e.id, performance.now());
    },
  };
}

describe('deleted records off the chain', () => {
  it('destroy: a parent is deleted before its children\'s records are durable, and every record is written', async () => {
    const cloud = new MemoryCloud();
    const nodes = exampleGraph();
    const setup = memoryDeps(cloud);
    const p = await plan(nodes, setup);
    await apply(p.plan, nodes, p.live, setup);

    const slow = slowDeletedRecords(60);
    const deleteStarted = new Map<string, number>();
    cloud.onWrite = (op, id) => {
      if (op === 'delete') deleteStarted.set(id, performance.now());
    };
    await destroy(nodes, memoryDeps(cloud, { journal: slow }));
    assert.equal(cloud.objects.size, 0);
    // The network goes last (everything refers to it); its delete did not wait for the subnets' records.
    const subnetRecords = ['subnet/zone-a', 'subnet/zone-b'].map((id) => slow.durableAt.get(id)!);
    assert.ok(deleteStarted.get('network')! < Math.max(...subnetRecords), 'the network waited for its subnets\' deleted records');
    // Every delete still has its record, and destroy ended only once they were durable.
    assert.deepEqual(slow.journal.entries.filter((e) => e.action === 'deleted').map((e) => e.id).sort(), nodes.map((n) => n.id).sort());
  });

  it('apply: the old copy of a replace releases the new copy before its record is durable', async () => {
    const cloud = new MemoryCloud();
    const journal = new MemoryJournal();
    const nodes = exampleGraph();
    const deps = memoryDeps(cloud, { journal });
    let p = await plan(nodes, deps);
    await apply(p.plan, nodes, p.live, deps);

    const slow = slowDeletedRecords(60);
    slow.journal.entries.push(...journal.entries);
    let createdAt = 0;
    cloud.onWrite = (op, id) => {
      if (op === 'create' && id === 'instance/worker-0') createdAt = performance.now();
    };
    const changed = nodes.map((n) => (n.id === 'instance/worker-0' ? { ...n, fields: { ...n.fields, image: 'image-2' } } : n));
    const slowDeps = memoryDeps(cloud, { journal: slow });
    p = await plan(changed, slowDeps);
    await apply(p.plan, changed, p.live, slowDeps);
    assert.ok(createdAt > 0 && createdAt < slow.durableAt.get('instance/worker-0')!, 'the new copy waited for the old copy\'s deleted record');
  });
});

/** The example graph applied with a journal, and `replace(id)`: a plan and apply that change that instance's image. */
async function appliedExample() {
  const cloud = new MemoryCloud();
  const journal = new MemoryJournal();
  const nodes = exampleGraph();
  const deps = memoryDeps(cloud, { journal });
  const p = await plan(nodes, deps);
  await apply(p.plan, nodes, p.live, deps);
  const replace = async (id: string) => {
    const changed = nodes.map((n) => (n.id === id ? { ...n, fields: { ...n.fields, image: 'image-2' } } : n));
    const next = await plan(changed, deps);
    await apply(next.plan, changed, next.live, deps);
  };
  return { journal, before: journal.entries.length, replace };
}

describe('a replace in the journal', () => {
  it('delete first: the new copy\'s intent is written after the old copy\'s deleted record', async () => {
    const { journal, before, replace } = await appliedExample();
    // Nothing refers to a worker: its replace deletes the old copy first.
    await replace('instance/worker-0');
    const actions = journal.entries.slice(before).filter((e) => e.id === 'instance/worker-0').map((e) => e.action);
    assert.deepEqual(actions, ['deleted', 'intent', 'created']);
    // Had the run stopped after the create call, the intent would be unresolved: the re-run looks first.
    const stoppedAfterCall = journal.entries.slice(0, journal.entries.length - 1);
    assert.equal(earlierCreates(stoppedAfterCall)('instance', 'instance/worker-0'), 'maybe');
    assert.deepEqual(unresolvedIntents(stoppedAfterCall).map((e) => e.id), ['instance/worker-0']);
  });

  it('create first: the old copy\'s deleted record does not hide the new copy', async () => {
    const { journal, before, replace } = await appliedExample();
    // The load balancer (updated in place) points at the control plane: the new copy is made before the old one goes.
    await replace('instance/control-plane-0');
    const own = journal.entries.slice(before).filter((e) => e.id === 'instance/control-plane-0');
    assert.deepEqual(own.map((e) => e.action), ['intent', 'created', 'deleted']);
    // Its last record is the old copy's delete, yet the new copy exists: a later create of it looks first.
    assert.equal(earlierCreates(journal.entries)('instance', 'instance/control-plane-0'), 'maybe');
    // A resource whose every object was deleted leaves no room for one.
    const gone: JournalEntry[] = [...journal.entries, { ...own[1], action: 'deleted', at: new Date().toISOString() }];
    assert.equal(earlierCreates(gone)('instance', 'instance/control-plane-0'), 'none');
  });
});
