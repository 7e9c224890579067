// Intents written ahead (core/apply.ts): a create's intent is recorded once every task it waits for is armed (has
// had all of its own dependencies start), two steps ahead of the create, so the state write overlaps the cloud calls
// instead of adding to the critical path (issue 17: one step ahead, an intent still in a group write when its task
// became ready sat on the chain); the create itself still waits for its intent. An intent whose create is never called is withdrawn, so destroy does not look for objects never made.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apply, plan, unresolvedIntents, type JournalEntry } from '../../src/core/engine.js';
import { exampleGraph, MemoryCloud, memoryDeps, memoryHandlers, MemoryJournal } from '../fakes/memory-provider.js';

describe('intents written ahead', () => {
  it('a dependant\'s intent is durable before the resource it waits for is created', async () => {
    const cloud = new MemoryCloud({ latencyMs: () => 5 });
    const journal = new MemoryJournal();
    const createdWhenIntentLanded = new Map<string, number>();
    const recording = {
      load: () => journal.load(),
      record: async (e: JournalEntry) => {
        if (e.action === 'intent') createdWhenIntentLanded.set(e.id, cloud.objects.size);
        await journal.record(e);
      },
    };
    const nodes = exampleGraph();
    const deps = memoryDeps(cloud, { journal: recording });
    const p = await plan(nodes, deps);
    await apply(p.plan, nodes, p.live, deps);
    // Everything depends on the network: the intents of the subnets and the firewall, and two steps ahead those of the
    // instances (which wait for a subnet and the firewall), went out while it was being created.
    const ahead = ['subnet/zone-a', 'subnet/zone-b', 'firewall/nodes', 'instance/control-plane-0', 'instance/worker-0', 'instance/worker-1'];
    for (const id of ahead) assert.equal(createdWhenIntentLanded.get(id), 0, `${id}: intent written after the network existed`);
    assert.deepEqual(unresolvedIntents(journal.entries), []);
    assert.ok(!journal.entries.some((e) => e.action === 'withdrawn'), 'nothing to withdraw after a clean apply');
  });

  it('a failed create keeps its intent; the intents of the creates it blocked are withdrawn', async () => {
    const cloud = new MemoryCloud();
    const journal = new MemoryJournal();
    const handlers = memoryHandlers().map((h) => (h.kind === 'network' ? { ...h, create: async () => Promise.reject(new Error('quota exceeded')) } : h));
    const nodes = exampleGraph();
    const deps = memoryDeps(cloud, { journal, handlers });
    const p = await plan(nodes, deps);
    await apply(p.plan, nodes, p.live, deps).catch(() => undefined);
    const withdrawn = journal.entries.filter((e) => e.action === 'withdrawn').map((e) => e.id).sort();
    // Written two steps ahead and never called: the subnets', the firewall's and the instances'.
    assert.deepEqual(withdrawn, ['firewall/nodes', 'instance/control-plane-0', 'instance/worker-0', 'instance/worker-1', 'subnet/zone-a', 'subnet/zone-b']);
    // The network's create was called (it may have happened): its intent stays for destroy to resolve.
    assert.deepEqual(unresolvedIntents(journal.entries).map((e) => e.id), ['network']);
    assert.equal(cloud.objects.size, 0);
  });
});
