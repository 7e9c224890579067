// Intent before action, and cluster identity, in the engine: every create is journalled before its call; a crash
// between a create and its record leaves an intent that destroy resolves by what list() finds; an object of
// another cluster surfaces as InvalidInputError (exit 2), at once and unretried, from plan and from apply.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apply, ApplyError, destroy, plan, unresolvedIntents, type JournalEntry } from '../../src/core/engine.js';
import { InvalidInputError } from '../../src/core/errors.js';
import { RecordingIo } from '../../src/core/io.js';
import { isOwnObject } from '../../src/core/ownership.js';
import type { EarlierCreate, ResourceHandler } from '../../src/core/resource.js';
import { exampleGraph, MemoryCloud, MemoryCloudError, memoryDeps, MemoryJournal, type MemoryClients } from '../fakes/memory-provider.js';

async function planAndApply(nodes: ReturnType<typeof exampleGraph>, deps: ReturnType<typeof memoryDeps>) {
  const { plan: p, live } = await plan(nodes, deps);
  return apply(p, nodes, live, deps);
}

describe('intent before action', () => {
  it('journals each create (kind, graph id, name) before the create call reaches the cloud', async () => {
    const cloud = new MemoryCloud();
    const journal = new MemoryJournal();
    const missing: string[] = [];
    cloud.onWrite = (op, id) => {
      if (op === 'create' && !journal.entries.some((e) => e.action === 'intent' && e.id === id)) missing.push(id);
    };
    const nodes = exampleGraph();
    await planAndApply(nodes, memoryDeps(cloud, { journal }));
    assert.deepEqual(missing, [], 'creates without a prior intent');
    const intents = journal.entries.filter((e) => e.action === 'intent');
    assert.deepEqual(intents.map((e) => e.id).sort(), nodes.map((n) => n.id).sort());
    for (const e of intents) {
      assert.equal(e.kind, nodes.find((n) => n.id === e.id)!.kind);
      const created = journal.entries.findIndex((c) => c.action === 'created' && c.id === e.id);
      assert.ok(journal.entries.indexOf(e) < created, `${e.id}: intent after its created record`);
    }
    assert.deepEqual(unresolvedIntents(journal.entries), [], 'every intent was followed by its record');
  });

  it('a create whose intent cannot be recorded is not made', async () => {
    const cloud = new MemoryCloud();
    const journal = {
      load: async (): Promise<JournalEntry[]> => [],
      record: async (e: JournalEntry) => {
        if (e.action === 'intent' && e.id === 'network') throw new Error('state store unreachable');
      },
    };
    const err = await planAndApply(exampleGraph(), memoryDeps(cloud, { journal })).catch((e) => e);
    assert.ok(err instanceof ApplyError, String(err));
    assert.match(err.failed.find((f) => f.id === 'network')!.error, /not created: could not record the intent/);
    assert.equal(cloud.creates.get('network'), undefined, 'no create call without its intent');
  });

  it('after a crash between create and record, destroy finds the object by ownership and resolves the intent', async () => {
    const cloud = new MemoryCloud();
    const journal = new MemoryJournal();
    // The run dies right after the network's create call: its `created` record is never written.
    const crashing = {
      load: () => journal.load(),
      record: async (e: JournalEntry) => {
        if (e.action === 'created' && e.id === 'network') throw new Error('killed');
        await journal.record(e);
      },
    };
    const nodes = exampleGraph();
    await planAndApply(nodes, memoryDeps(cloud, { journal: crashing })).catch(() => undefined);
    assert.equal(cloud.creates.get('network'), 1);
    assert.deepEqual(unresolvedIntents(journal.entries).map((e) => e.id), ['network']);
    // What depends on the network may have started once the network existed (its record is written meanwhile, issue
    // 17), but only after its own intent was durable: every object the cloud holds is in the journal.
    for (const o of cloud.objects.values()) assert.ok(journal.entries.some((e) => e.action === 'intent' && e.id === o.id), `${o.id}: created without a durable intent`);

    const io = new RecordingIo();
    await destroy(nodes, memoryDeps(cloud, { journal, io }));
    assert.equal(cloud.objects.size, 0, 'the unrecorded network was found and deleted');
    assert.deepEqual(unresolvedIntents(journal.entries), []);
    assert.ok(!io.events.some((e) => e.code === 'destroy.intent-unseen'));
  });

  it('warns about an intent whose object the cloud does not report', async () => {
    const cloud = new MemoryCloud();
    const journal = new MemoryJournal();
    await journal.record({ id: 'network', kind: 'network', cloudId: '', action: 'intent', name: 'demo-net', at: new Date(0).toISOString() });
    const io = new RecordingIo();
    await destroy(exampleGraph(), memoryDeps(cloud, { journal, io }));
    const warning = io.events.find((e) => e.code === 'destroy.intent-unseen');
    assert.equal(warning?.task, 'network');
    assert.match(warning!.message, /demo-net/);
  });
});

/** The memory handlers, with list() and create() seeing an object of another cluster id named like ours. */
function withForeignNetwork(handlers: ResourceHandler<MemoryClients>[], where: 'list' | 'create'): ResourceHandler<MemoryClients>[] {
  return handlers.map((h) => {
    if (h.kind !== 'network') return h;
    if (where === 'list') return { ...h, list: async (ctx) => (isOwnObject(ctx, 'uid-other', 'network net-x') ? h.list(ctx) : []) };
    return { ...h, create: async (_n, _f, ctx) => (isOwnObject({ ...ctx, otherClusters: 'refuse' }, 'uid-other', 'network net-x'), Promise.reject(new Error('unreachable'))) };
  });
}

describe('cluster identity in the engine', () => {
  it('plan: an object of another cluster id is InvalidInputError naming both ids, not "could not list"', async () => {
    const cloud = new MemoryCloud();
    const base = memoryDeps(cloud);
    const deps = { ...base, clusterId: 'uid-mine', handlers: withForeignNetwork(base.handlers, 'list') };
    const err = await plan(exampleGraph(), deps).catch((e) => e);
    assert.ok(err instanceof InvalidInputError, String(err));
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /network net-x belongs to another cluster named demo \(cluster id uid-other\).*\(cluster id uid-mine\)/);
    // A legacy cluster (no id) matches by name, as before; skip mode leaves the other cluster's object out.
    await plan(exampleGraph(), { ...deps, clusterId: undefined });
    const skipped = await plan(exampleGraph(), { ...deps, otherClusters: 'skip' });
    assert.ok(skipped.plan.steps.length > 0);
  });

  it('apply: a create that meets another cluster\'s object fails the run with InvalidInputError, without retries', async () => {
    const cloud = new MemoryCloud();
    const base = memoryDeps(cloud);
    let attempts = 0;
    const handlers = withForeignNetwork(base.handlers, 'create').map((h) =>
      h.kind === 'network' ? { ...h, create: async (...a: Parameters<typeof h.create>) => (attempts++, h.create(...a)) } : h,
    );
    const deps = { ...base, clusterId: 'uid-mine', handlers };
    const err = await planAndApply(exampleGraph(), deps).catch((e) => e);
    assert.ok(err instanceof InvalidInputError, String(err));
    assert.equal(attempts, 1, 'bad input is not retried');
  });
});

/** The memory handlers, recording what the engine says of earlier create calls on each create attempt. */
function tellingEarlier(handlers: ResourceHandler<MemoryClients>[], told: Map<string, (EarlierCreate | undefined)[]>, loseFirstReplyOf?: string): ResourceHandler<MemoryClients>[] {
  return handlers.map((h) => ({
    ...h,
    create: async (node, fields, ctx, earlier) => {
      const attempts = told.get(node.id) ?? told.set(node.id, []).get(node.id)!;
      attempts.push(earlier);
      const made = await h.create(node, fields, ctx, earlier);
      // The call did its work; its reply is lost (the engine retries a transient error).
      if (node.id === loseFirstReplyOf && attempts.length === 1) throw new MemoryCloudError('Transient', 'connection reset after the call was made');
      return made;
    },
  }));
}

describe('what a create is told of earlier create calls (issue 17: look first only when one may have been made)', () => {
  it("'none' on every first attempt of a fresh cluster, whether apply gets the plan's journal or reads it itself", async () => {
    for (const passJournal of [true, false]) {
      const cloud = new MemoryCloud();
      const journal = new MemoryJournal();
      const told = new Map<string, (EarlierCreate | undefined)[]>();
      const base = memoryDeps(cloud, { journal });
      const deps = { ...base, handlers: tellingEarlier(base.handlers, told) };
      const nodes = exampleGraph();
      const { plan: p, live, journal: atPlan } = await plan(nodes, deps);
      assert.deepEqual(atPlan, [], 'plan hands on the journal it read');
      await apply(p, nodes, live, deps, passJournal ? atPlan : undefined);
      // Its own intents, written before each create, are not taken for earlier ones.
      assert.deepEqual([...told.keys()].sort(), nodes.map((n) => n.id).sort());
      for (const [id, attempts] of told) assert.deepEqual(attempts, ['none'], `${id} (journal ${passJournal ? 'from plan' : 'read by apply'})`);
    }
  });

  it("'maybe' after an unresolved intent or a recorded object the cloud does not report; 'none' after withdrawn or deleted", async () => {
    const cloud = new MemoryCloud();
    const journal = new MemoryJournal();
    const at = new Date(0).toISOString();
    const nodes = exampleGraph();
    const [killed, lost, withdrawn, deleted] = ['network', 'firewall/nodes', 'subnet/zone-a', 'subnet/zone-b'].map((id) => nodes.find((n) => n.id === id)!);
    // A run killed between the network's create call and its record; an object recorded, then gone from the cloud's
    // listing; an intent whose create was never called; an object made and deleted.
    await journal.record({ id: killed.id, kind: killed.kind, cloudId: '', action: 'intent', at });
    await journal.record({ id: lost.id, kind: lost.kind, cloudId: '', action: 'intent', at });
    await journal.record({ id: lost.id, kind: lost.kind, cloudId: 'fw-gone', action: 'created', at });
    await journal.record({ id: withdrawn.id, kind: withdrawn.kind, cloudId: '', action: 'intent', at });
    await journal.record({ id: withdrawn.id, kind: withdrawn.kind, cloudId: '', action: 'withdrawn', at });
    await journal.record({ id: deleted.id, kind: deleted.kind, cloudId: '', action: 'intent', at });
    await journal.record({ id: deleted.id, kind: deleted.kind, cloudId: 'sn-old', action: 'created', at });
    await journal.record({ id: deleted.id, kind: deleted.kind, cloudId: 'sn-old', action: 'deleted', at });
    const told = new Map<string, (EarlierCreate | undefined)[]>();
    const base = memoryDeps(cloud, { journal });
    const deps = { ...base, handlers: tellingEarlier(base.handlers, told) };
    const { plan: p, live, journal: atPlan } = await plan(nodes, deps);
    await apply(p, nodes, live, deps, atPlan);
    assert.deepEqual(told.get(killed.id), ['maybe']);
    assert.deepEqual(told.get(lost.id), ['maybe']);
    assert.deepEqual(told.get(withdrawn.id), ['none']);
    assert.deepEqual(told.get(deleted.id), ['none']);
    for (const n of nodes.filter((x) => ![killed, lost, withdrawn, deleted].includes(x))) assert.deepEqual(told.get(n.id), ['none'], n.id);
  });

  it("'maybe' on the attempt after one whose reply was lost, and on every create without a journal", async () => {
    const cloud = new MemoryCloud();
    const told = new Map<string, (EarlierCreate | undefined)[]>();
    const base = memoryDeps(cloud, { journal: new MemoryJournal() });
    const nodes = exampleGraph();
    await planAndApply(nodes, { ...base, handlers: tellingEarlier(base.handlers, told, 'network') });
    assert.deepEqual(told.get('network'), ['none', 'maybe'], 'the retry is told the lost call may have made it');

    const bare = memoryDeps(new MemoryCloud());
    const toldBare = new Map<string, (EarlierCreate | undefined)[]>();
    await planAndApply(nodes, { ...bare, handlers: tellingEarlier(bare.handlers, toldBare) });
    for (const [id, attempts] of toldBare) assert.deepEqual(attempts, ['maybe'], `${id}: no journal, no knowledge`);
  });
});
