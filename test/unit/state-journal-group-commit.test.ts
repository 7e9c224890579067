// Group commit of the applied journal (issue 17): records that arrive while a write is in flight go out together in
// the next write, each record resolves only once its entry is durable, and a crash mid-apply still resumes without
// duplicates. Counted on the real StoreJournal over the in-memory backend, through a call-counting wrapper.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apply, isEmptyPlan, plan, unresolvedIntents, type JournalEntry } from '../../src/core/engine.js';
import { ClusterStore } from '../../src/state/cluster-store.js';
import { StoreJournal, type StoredJournalEntry } from '../../src/state/journal.js';
import { MemoryBlobStore } from '../../src/state/memory.js';
import { LatencyStore } from '../helpers/latency-store.js';
import { exampleGraph, MemoryCloud, memoryDeps } from '../fakes/memory-provider.js';

const KEY = 'demo/applied.json';

function entry(i: number): JournalEntry {
  return { id: `r${i}`, kind: 'K', cloudId: `c-${i}`, action: 'created', at: new Date(0).toISOString() };
}

function durableEntries(store: LatencyStore): StoredJournalEntry[] {
  const data = store.durable.get(KEY);
  return data ? (JSON.parse(data.toString('utf8')) as { entries: StoredJournalEntry[] }).entries : [];
}

describe('applied journal: group commit', () => {
  it('25 concurrent records take a couple of writes, not 25 read-modify-writes, and none is lost', async () => {
    const store = new LatencyStore(new MemoryBlobStore(), 5);
    const journal = new StoreJournal(store, KEY);
    await Promise.all(Array.from({ length: 25 }, (_, i) => journal.record(entry(i))));
    const ids = (await journal.load()).map((e) => e.id);
    assert.deepEqual(ids.sort(), Array.from({ length: 25 }, (_, i) => `r${i}`).sort());
    // Records of the same turn of the event loop go out together: one write.
    assert.equal(store.calls.put, 1, `puts: ${store.calls.put}`);
    assert.ok(store.calls.get <= 2, `gets: ${store.calls.get}`);
  });

  it('records that arrive while a write is in flight go out together in the next one', async () => {
    const store = new LatencyStore(new MemoryBlobStore(), 5);
    const journal = new StoreJournal(store, KEY);
    const first = journal.record(entry(0));
    await new Promise((r) => setImmediate(r)); // the first write is in flight
    await Promise.all([first, ...Array.from({ length: 10 }, (_, i) => journal.record(entry(i + 1)))]);
    assert.equal(store.calls.put, 2, `puts: ${store.calls.put}`);
    assert.equal((await journal.load()).length, 11);
  });

  it('a record resolves only once the write holding its entry is durable', async () => {
    const store = new LatencyStore(new MemoryBlobStore(), 5);
    const journal = new StoreJournal(store, KEY);
    const seenAtResolve: boolean[] = [];
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        journal.record(entry(i)).then(() => seenAtResolve.push(durableEntries(store).some((e) => e.id === `r${i}`))),
      ),
    );
    assert.deepEqual(seenAtResolve, Array(10).fill(true));
  });

  it('writes after its own write are one conditional PUT without a read; another writer in between costs a re-read, not an entry', async () => {
    const inner = new MemoryBlobStore();
    const store = new LatencyStore(inner);
    const mine = new StoreJournal(store, KEY);
    await mine.record(entry(1));
    const gets = store.calls.get;
    await mine.record(entry(2));
    assert.equal(store.calls.get, gets, 'the second write did not read');

    // Another run appends in between: our cached version is stale, the PUT is refused, we re-read and merge.
    await new StoreJournal(inner, KEY).record(entry(3));
    await mine.record(entry(4));
    assert.deepEqual((await mine.load()).map((e) => e.id), ['r1', 'r2', 'r3', 'r4']);
  });

  it("the first write after load() is one conditional PUT on what load read (plan's read is apply's base); a writer in between costs a re-read", async () => {
    for (const existing of [false, true]) {
      const inner = new MemoryBlobStore();
      if (existing) await new StoreJournal(inner, KEY).record(entry(0));
      const store = new LatencyStore(inner);
      const journal = new StoreJournal(store, KEY);
      await journal.load();
      const gets = store.calls.get;
      await journal.record(entry(1));
      assert.equal(store.calls.get, gets, `${existing ? 'existing' : 'absent'} journal: the first write read it again`);
      assert.equal(store.calls.put, 1);
      assert.deepEqual(durableEntries(store).map((e) => e.id), existing ? ['r0', 'r1'] : ['r1']);
    }
    // Another run writes between our load and our first record: the conditional PUT is refused, we re-read, merge.
    const inner = new MemoryBlobStore();
    const store = new LatencyStore(inner);
    const journal = new StoreJournal(store, KEY);
    await journal.load();
    await new StoreJournal(inner, KEY).record(entry(7));
    await journal.record(entry(8));
    assert.deepEqual(durableEntries(store).map((e) => e.id), ['r7', 'r8']);
  });

  it('a failed write rejects every record of its group; the next group still goes out', async () => {
    const inner = new MemoryBlobStore();
    let puts = 0;
    const store = new LatencyStore(inner, 2);
    const put = store.put.bind(store);
    store.put = async (key, data, opts) => {
      if (++puts === 2) throw new Error('state store unreachable'); // the second group (entries 1 and 2)
      return put(key, data, opts);
    };
    const journal = new StoreJournal(store, KEY);
    const first = journal.record(entry(0));
    await new Promise((r) => setImmediate(r)); // the first write is in flight
    const group = [journal.record(entry(1)), journal.record(entry(2))];
    await first;
    const outcomes = await Promise.allSettled(group);
    assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected']);
    await journal.record(entry(3));
    assert.deepEqual((await journal.load()).map((e) => e.id), ['r0', 'r3']);
  });

  it('an apply of the example cluster makes fewer journal writes than it has resources, each create after its durable intent', async () => {
    const store = new LatencyStore(new MemoryBlobStore(), 3);
    const cs = new ClusterStore(store, 'demo');
    const cloud = new MemoryCloud({ latencyMs: () => 3 });
    const early: string[] = [];
    cloud.onWrite = (op, id) => {
      if (op === 'create' && !durableEntries(store).some((e) => e.action === 'intent' && e.id === id)) early.push(id);
    };
    const nodes = exampleGraph({ workers: 20, zones: ['zone-a', 'zone-b', 'zone-c'] });
    const deps = memoryDeps(cloud, { journal: cs.journal, concurrency: { defaultPerService: 16, total: 32 } });
    const { plan: p, live } = await plan(nodes, deps);
    store.calls.put = 0;
    await apply(p, nodes, live, deps);
    assert.deepEqual(early, [], 'creates made before their intent was durable');
    const records = (await cs.journal.load()).length;
    assert.equal(records, 2 * nodes.length, 'one intent and one created record per resource');
    assert.ok(store.calls.put < nodes.length, `${store.calls.put} journal writes for ${nodes.length} resources (${records} records)`);
  });

  it('a crash mid-apply (the process stops: no further cloud call or state write lands) resumes with no duplicates', async () => {
    const inner = new MemoryBlobStore();
    const store = new LatencyStore(inner, 2);
    const cloud = new MemoryCloud({ latencyMs: () => 2 });
    const nodes = exampleGraph({ workers: 6, zones: ['zone-a', 'zone-b', 'zone-c'] });
    let dead = false;
    const put = store.put.bind(store);
    store.put = async (key, data, opts) => {
      if (dead) throw new Error('killed');
      return put(key, data, opts);
    };
    // No cloud write of the dead process lands either (tasks already past their intent would otherwise go on).
    const call = cloud.call.bind(cloud);
    cloud.call = (op, kind, id, effect) =>
      call(op, kind, id, () => {
        if (dead && op !== 'list') throw new Error('killed');
        return effect();
      });
    let creates = 0;
    const crashed = new AbortController();
    cloud.onWrite = (op) => {
      if (op === 'create' && ++creates === 5) {
        dead = true; // from here on nothing this "process" writes lands
        crashed.abort();
      }
    };
    const deps = memoryDeps(cloud, { journal: new ClusterStore(store, 'demo').journal, signal: crashed.signal });
    const first = await plan(nodes, deps);
    await apply(first.plan, nodes, first.live, deps).catch(() => undefined);
    assert.equal(creates, 5);
    const afterCrash = await new ClusterStore(inner, 'demo').journal.load();
    // Every object the cloud holds has a durable intent (the create waited for it).
    for (const o of cloud.objects.values()) assert.ok(afterCrash.some((e) => e.action === 'intent' && e.id === o.id), `${o.id}: created without a durable intent`);

    cloud.onWrite = undefined;
    dead = false;
    const rerun = memoryDeps(cloud, { journal: new ClusterStore(inner, 'demo').journal });
    const again = await plan(nodes, rerun);
    await apply(again.plan, nodes, again.live, rerun);
    assert.equal(cloud.objects.size, nodes.length);
    for (const [id, n] of cloud.creates) assert.equal(n, 1, `${id} created ${n} times`);
    assert.ok(isEmptyPlan((await plan(nodes, rerun)).plan));
    // Intents the crash left without a record belong to objects list() found and adopted (destroy resolves them).
    for (const e of unresolvedIntents(await new ClusterStore(inner, 'demo').journal.load())) assert.ok(cloud.find(e.id), `${e.id}: unresolved intent of no object`);
  });
});
