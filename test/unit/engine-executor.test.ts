import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, runDag, type DagTask } from '../../src/core/executor.js';
import { RecordingIo } from '../../src/core/io.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
class Throttled extends Error {}
const classify = (e: unknown) => (e instanceof Throttled ? ('throttled' as const) : ('fatal' as const));

describe('executor', () => {
  it('a task that releases its dependants lets them start before it ends; its later failure does not skip them', async () => {
    const order: string[] = [];
    let finishA!: () => void;
    const aMayEnd = new Promise<void>((r) => (finishA = r));
    const tasks: DagTask[] = [
      {
        id: 'a',
        service: 's',
        deps: [],
        run: async (_signal, releaseDependants) => {
          order.push('a:object made');
          releaseDependants();
          await aMayEnd; // its record being written
          order.push('a:record failed');
          throw new Error('could not record it');
        },
      },
      { id: 'b', service: 's', deps: ['a'], run: async () => (order.push('b:run'), finishA()) },
      { id: 'c', service: 's', deps: ['b'], run: async () => order.push('c:run') },
    ];
    const outcomes = await runDag(tasks, { io: new RecordingIo(), classifyError: classify });
    assert.deepEqual(order.slice(0, 3), ['a:object made', 'b:run', 'a:record failed']);
    assert.equal(outcomes.get('a')!.status, 'failed');
    assert.equal(outcomes.get('b')!.status, 'done');
    assert.equal(outcomes.get('c')!.status, 'done');
  });

  it('a released task no longer holds its concurrency slot: an unrelated task of its service starts while it ends', { timeout: 5_000 }, async () => {
    const order: string[] = [];
    let finishA!: () => void;
    const aMayEnd = new Promise<void>((r) => (finishA = r));
    const tasks: DagTask[] = [
      {
        id: 'a',
        service: 's',
        deps: [],
        run: async (_signal, releaseDependants) => {
          releaseDependants();
          await aMayEnd; // only its record is left to write: no cloud call
          order.push('a:ended');
        },
      },
      { id: 'b', service: 's', deps: [], run: async () => (order.push('b:run'), finishA()) },
    ];
    const outcomes = await runDag(tasks, { io: new RecordingIo(), classifyError: classify, concurrency: { perService: { s: 1 }, total: 1 } });
    assert.deepEqual(order, ['b:run', 'a:ended']);
    assert.equal(outcomes.get('a')!.status, 'done');
    assert.equal(outcomes.get('b')!.status, 'done');
  });

  it('without a release, a failed task still skips what depends on it', async () => {
    const tasks: DagTask[] = [
      { id: 'a', service: 's', deps: [], run: async () => Promise.reject(new Error('no')) },
      { id: 'b', service: 's', deps: ['a'], run: async () => 'b' },
    ];
    const outcomes = await runDag(tasks, { io: new RecordingIo(), classifyError: classify });
    assert.equal(outcomes.get('b')!.status, 'skipped');
  });

  it('computes equal-jitter exponential backoff with a cap', () => {
    assert.equal(backoffDelay(1, 100, 10_000, () => 0), 50);
    assert.equal(backoffDelay(1, 100, 10_000, () => 1), 100);
    assert.equal(backoffDelay(4, 100, 10_000, () => 0.5), 600);
    assert.equal(backoffDelay(30, 100, 1_000, () => 1), 1_000);
  });

  it('on abort: lets in-flight tasks finish, starts nothing new, reports the rest as cancelled', async () => {
    const controller = new AbortController();
    const io = new RecordingIo();
    const ran: string[] = [];
    const task = (id: string, deps: string[], ms: number): DagTask => ({
      id,
      service: 's',
      deps,
      run: async () => {
        ran.push(id);
        if (id === 'a') controller.abort();
        await wait(ms);
        return id;
      },
    });
    const outcomes = await runDag([task('a', [], 30), task('b', [], 30), task('c', ['a'], 1), task('d', ['c'], 1)], {
      io,
      classifyError: classify,
      signal: controller.signal,
      concurrency: { total: 1 },
    });
    assert.deepEqual(ran, ['a']);
    assert.equal(outcomes.get('a')!.status, 'done');
    assert.deepEqual(['b', 'c', 'd'].map((id) => outcomes.get(id)!.status), ['cancelled', 'cancelled', 'cancelled']);
    assert.equal(io.events.filter((e) => e.code === 'task.cancelled').length, 3);
  });

  it('stops retrying as soon as the user aborts during a backoff', async () => {
    const controller = new AbortController();
    let calls = 0;
    const started = performance.now();
    setTimeout(() => controller.abort(), 50);
    const outcomes = await runDag(
      [{ id: 'x', service: 's', deps: [], run: async () => { calls++; throw new Throttled('slow down'); } }],
      { io: new RecordingIo(), classifyError: classify, signal: controller.signal, retry: { baseDelayMs: 10_000, maxDelayMs: 10_000 } },
    );
    assert.ok(performance.now() - started < 1_000);
    assert.equal(calls, 1);
    assert.equal(outcomes.get('x')!.status, 'cancelled');
  });

  it('gives free slots to the task with the longest chain behind it', async () => {
    const order: string[] = [];
    const t = (id: string, deps: string[] = []): DagTask => ({ id, service: 's', deps, run: async () => void order.push(id) });
    // `a-short` sorts first by name, but `z-long` heads a chain of three.
    await runDag([t('a-short'), t('z-long'), t('z2', ['z-long']), t('z3', ['z2'])], { io: new RecordingIo(), classifyError: classify, concurrency: { total: 1 } });
    assert.equal(order[0], 'z-long');
  });

  it('skips dependants of a failed task in hard mode and still runs them in soft mode', async () => {
    const mk = (): DagTask[] => [
      { id: 'parent', service: 's', deps: [], run: async () => { throw new Error('boom'); } },
      { id: 'child', service: 's', deps: ['parent'], run: async () => 'ran' },
    ];
    const hard = await runDag(mk(), { io: new RecordingIo(), classifyError: classify });
    assert.equal(hard.get('parent')!.status, 'failed');
    assert.equal(hard.get('child')!.status, 'skipped');
    const soft = await runDag(mk(), { io: new RecordingIo(), classifyError: classify, depMode: 'soft' });
    assert.equal(soft.get('child')!.status, 'done');
  });

  it('rejects unknown dependencies and reports task cycles instead of hanging', async () => {
    await assert.rejects(runDag([{ id: 'a', service: 's', deps: ['nope'], run: async () => 1 }], { io: new RecordingIo(), classifyError: classify }), /unknown task nope/);
    const out = await runDag(
      [
        { id: 'a', service: 's', deps: ['b'], run: async () => 1 },
        { id: 'b', service: 's', deps: ['a'], run: async () => 1 },
      ],
      { io: new RecordingIo(), classifyError: classify },
    );
    assert.match(String(out.get('a')!.error), /cycle/);
  });
});
