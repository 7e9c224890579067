import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apply, ApplyError, destroy, isEmptyPlan, plan } from '../../src/core/engine.js';
import { RecordingIo } from '../../src/core/io.js';
import type { JournalEntry } from '../../src/core/engine.js';
import { exampleGraph, MemoryCloud, memoryDeps, MemoryJournal, type StoredObject } from '../fakes/memory-provider.js';

async function planAndApply(nodes = exampleGraph(), deps = memoryDeps(new MemoryCloud())) {
  const { plan: p, live } = await plan(nodes, deps);
  return apply(p, nodes, live, deps);
}

function maxOverlap(calls: { start: number; end: number }[]): number {
  const points = calls.flatMap((c) => [
    [c.start, 1],
    [c.end, -1],
  ]);
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of points) max = Math.max(max, (cur += d));
  return max;
}

describe('faults', () => {
  it('converges with 30% of calls throttled, retrying with backoff and reporting retries as events', async () => {
    const cloud = new MemoryCloud({ throttleRate: 0.3, seed: 42 });
    const io = new RecordingIo();
    const deps = memoryDeps(cloud, { io, retry: { baseDelayMs: 1, maxDelayMs: 10, maxAttempts: 20 } });
    const nodes = exampleGraph({ workers: 6 });
    await planAndApply(nodes, deps);
    assert.ok(cloud.throttled >= 5, `expected throttling to happen (got ${cloud.throttled})`);
    assert.ok(isEmptyPlan((await plan(nodes, deps)).plan));
    assert.equal(cloud.objects.size, nodes.length);
    assert.ok([...cloud.creates.values()].every((n) => n === 1), 'nothing created twice');
    const retries = io.events.filter((e) => e.code === 'task.retry');
    assert.ok(retries.length > 0);
    assert.ok(retries.every((e) => typeof e.task === 'string' && e.data?.errorClass === 'throttled' && typeof e.data?.delayMs === 'number'));
    const starts = io.events.filter((e) => e.code === 'task.start');
    assert.equal(starts.length, nodes.length);
    assert.ok(starts.every((e) => e.data?.action === 'create' && typeof e.data?.kind === 'string'));
    assert.equal(io.events.find((e) => e.code === 'apply.done')?.data?.failed, 0);
    // Every started task finished.
    const started = new Set(io.events.filter((e) => e.code === 'task.start').map((e) => e.task));
    const done = new Set(io.events.filter((e) => e.code === 'task.done').map((e) => e.task));
    assert.deepEqual([...done].sort(), [...started].sort());
  });

  it('gives up after maxAttempts and reports the failed resource and the skipped dependants', async () => {
    const cloud = new MemoryCloud({ throttleRate: 1 });
    const deps = memoryDeps(cloud, { retry: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 3 } });
    // discover itself is throttled too: it must fail clearly rather than plan from nothing.
    await assert.rejects(plan(exampleGraph(), deps), /could not list live resources/);
    cloud.options.throttleRate = 0;
    const nodes = exampleGraph();
    const { plan: p, live } = await plan(nodes, deps);
    cloud.options.throttleRate = 1;
    const err = await apply(p, nodes, live, deps).catch((e) => e);
    assert.ok(err instanceof ApplyError && err.code === 'ApplyFailed', String(err));
    const network = err.failed.find((f) => f.id === 'network')!;
    assert.match(network.error, /Rate exceeded/);
    assert.match(err.failed.find((f) => f.id === 'dns/api')!.error, /skipped/);
    assert.equal(err.failed.length, nodes.length);
    assert.equal(cloud.writes, 3, 'the root was tried maxAttempts times; nothing after it started');
  });

  it('resumes after an abort mid-apply without creating anything twice', async () => {
    const cloud = new MemoryCloud({ latencyMs: () => 5 });
    const journal = new MemoryJournal();
    const controller = new AbortController();
    let writes = 0;
    cloud.onWrite = () => {
      if (++writes === 4) controller.abort(new Error('Ctrl-C'));
    };
    const nodes = exampleGraph({ workers: 4 });
    const deps = memoryDeps(cloud, { journal, signal: controller.signal });
    const err = await planAndApply(nodes, deps).catch((e) => e);
    assert.ok(err instanceof ApplyError && err.code === 'Cancelled', String(err));
    const createdBeforeCrash = cloud.objects.size;
    assert.ok(createdBeforeCrash >= 4 && createdBeforeCrash < nodes.length, `partially applied (${createdBeforeCrash})`);
    // Everything that was created is in the journal, as it happened.
    assert.deepEqual(
      journal.entries.filter((e) => e.action === 'created').map((e) => e.cloudId).sort(),
      [...cloud.objects.keys()].sort(),
    );

    cloud.onWrite = undefined;
    const rerun = memoryDeps(cloud, { journal });
    const { plan: p, live } = await plan(nodes, rerun);
    assert.equal(p.steps.filter((s) => s.action === 'create').length, nodes.length - createdBeforeCrash);
    await apply(p, nodes, live, rerun);
    assert.equal(cloud.objects.size, nodes.length);
    for (const [id, n] of cloud.creates) assert.equal(n, 1, `${id} created ${n} times`);
    assert.ok(isEmptyPlan((await plan(nodes, rerun)).plan));
  });

  it('resumes from what the cloud reports even when the journal lost the last writes (crash before recording)', async () => {
    const cloud = new MemoryCloud();
    let recorded = 0;
    const flaky = {
      load: async (): Promise<JournalEntry[]> => [],
      record: async () => {
        if (++recorded > 3) throw new Error('state store unreachable');
      },
    };
    const nodes = exampleGraph();
    const err = await planAndApply(nodes, memoryDeps(cloud, { journal: flaky })).catch((e) => e);
    assert.ok(err instanceof ApplyError, String(err));
    assert.ok(err.failed.some((f) => /could not record it in the journal/.test(f.error)));
    // The journal write failed after the create: it must not have been retried (that would create twice).
    for (const [id, n] of cloud.creates) assert.equal(n, 1, `${id} created ${n} times`);
    await planAndApply(nodes, memoryDeps(cloud));
    for (const [id, n] of cloud.creates) assert.equal(n, 1, `${id} created ${n} times`);
    assert.equal(cloud.objects.size, nodes.length);
  });

  it('warns when the journal knows a resource the cloud does not report', async () => {
    const cloud = new MemoryCloud();
    const journal = new MemoryJournal();
    const nodes = exampleGraph();
    await planAndApply(nodes, memoryDeps(cloud, { journal }));
    const gone = cloud.find('dns/api')!;
    cloud.objects.delete(gone.cloudId);
    const io = new RecordingIo();
    const { plan: p } = await plan(nodes, memoryDeps(cloud, { journal, io }));
    assert.equal(p.steps.find((s) => s.id === 'dns/api')!.action, 'create');
    const warning = io.events.find((e) => e.code === 'plan.journal-missing');
    assert.equal(warning?.task, 'dns/api');
  });

  it('enforces the per-service and total concurrency limits', async () => {
    const cloud = new MemoryCloud({ latencyMs: (op) => (op === 'list' ? 0 : 15) });
    const nodes = Array.from({ length: 12 }, (_, i) => ({ kind: 'task', id: `t${i}`, fields: { n: i } }));
    await planAndApply(nodes, memoryDeps(cloud, { concurrency: { perService: { work: 3 } } }));
    const creates = cloud.calls.filter((c) => c.op === 'create');
    assert.equal(maxOverlap(creates), 3);

    const cloud2 = new MemoryCloud({ latencyMs: (op) => (op === 'list' ? 0 : 15) });
    await planAndApply(nodes, memoryDeps(cloud2, { concurrency: { defaultPerService: 50, total: 5 } }));
    assert.equal(maxOverlap(cloud2.calls.filter((c) => c.op === 'create')), 5);
  });

  it('fails a task that exceeds its deadline, without retrying it', async () => {
    const cloud = new MemoryCloud({ latencyMs: (op, _k, id) => (op === 'create' && id === 'slow' ? 400 : 0) });
    const nodes = [
      { kind: 'task', id: 'slow', fields: {} },
      { kind: 'task', id: 'fast', fields: {} },
    ];
    const started = performance.now();
    const err = await planAndApply(nodes, memoryDeps(cloud, { taskTimeoutMs: 60 })).catch((e) => e);
    assert.ok(performance.now() - started < 350, 'did not wait for the slow call');
    assert.ok(err instanceof ApplyError);
    assert.deepEqual(err.failed.map((f) => f.id), ['slow']);
    assert.match(err.failed[0].error, /timed out/);
    assert.equal(cloud.writes, 2);
    await new Promise((r) => setTimeout(r, 400)); // let the abandoned call finish before the test ends
  });

  it('treats not-found on delete as success', async () => {
    const cloud = new MemoryCloud();
    const deps = memoryDeps(cloud);
    await planAndApply(exampleGraph(), deps);
    const nodes = exampleGraph({ withoutDns: true });
    const { plan: p, live } = await plan(nodes, deps);
    cloud.objects.delete(cloud.find('dns/api')!.cloudId); // someone deleted it between plan and apply
    await apply(p, nodes, live, deps);
  });
});

describe('destroy', () => {
  it('deletes leftovers in the order of their kind and the graph in reverse dependency order, without dependency refusals', async () => {
    const cloud = new MemoryCloud();
    const journal = new MemoryJournal();
    const nodes = exampleGraph();
    await planAndApply(nodes, memoryDeps(cloud, { journal }));
    // A leftover from an older spec: an instance the graph no longer has, sitting in a subnet.
    const subnet = cloud.find('subnet/zone-b')!;
    const leftover: StoredObject = { cloudId: 'i-old', kind: 'instance', id: 'instance/old-worker', cluster: 'demo', fields: { subnetId: subnet.cloudId }, outputs: { instanceId: 'i-old' } };
    cloud.objects.set(leftover.cloudId, leftover);
    // Another cluster's object must survive.
    cloud.objects.set('net-other', { cloudId: 'net-other', kind: 'network', id: 'network', cluster: 'other', fields: {}, outputs: {} });

    const io = new RecordingIo();
    await destroy(nodes, memoryDeps(cloud, { journal, io }));
    assert.deepEqual([...cloud.objects.keys()], ['net-other']);
    assert.equal(cloud.calls.filter((c) => c.op === 'delete' && c.outcome === 'error').length, 0, 'order avoided every DependencyViolation');
    const deletes = cloud.calls.filter((c) => c.op === 'delete').map((c) => c.id);
    // The leftover is an instance: it goes with the instances, before the subnet it sits in.
    assert.ok(deletes.indexOf('instance/old-worker') < deletes.indexOf('subnet/zone-b'));
    assert.equal(deletes.at(-1), 'network');
    assert.ok(deletes.indexOf('lb/api') < deletes.indexOf('instance/control-plane-0'));
    assert.equal(journal.entries.filter((e) => e.action === 'deleted').length, nodes.length + 1);
    assert.equal(io.events.find((e) => e.code === 'destroy.done')?.level, 'info');
  });

  it('retries dependency refusals with a bound, then lists what is left', async () => {
    const cloud = new MemoryCloud();
    const nodes = exampleGraph();
    await planAndApply(nodes, memoryDeps(cloud));
    // Something outside the cluster holds on to the network: it can never be deleted.
    cloud.objects.set('foreign', { cloudId: 'foreign', kind: 'task', id: 'x', cluster: 'other', fields: { uses: cloud.find('network')!.cloudId }, outputs: {} });
    const err = await destroy(nodes, memoryDeps(cloud, { retry: { baseDelayMs: 1, maxDelayMs: 2, maxDependencyAttempts: 4 } })).catch((e) => e);
    assert.ok(err instanceof ApplyError && err.code === 'DestroyIncomplete', String(err));
    assert.deepEqual(err.failed.map((f) => f.id), ['network']);
    assert.match(err.failed[0].error, /dependent object\(s\): foreign/);
    const attempts = cloud.calls.filter((c) => c.op === 'delete' && c.id === 'network').length;
    assert.equal(attempts, 8, 'two rounds of four attempts');
    assert.equal(cloud.ofKind('subnet', 'demo').length, 0, 'everything else is gone');
  });
});
