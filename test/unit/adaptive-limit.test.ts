// The adaptive concurrency limit (src/core/adaptive-limit.ts): slow start while the limit binds, halving once per
// congestion event, never below min or above max, no growth while idle, waiters served in order, aborts honoured.
// Calls are driven by hand (deferred promises), so every step is deterministic.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdaptiveLimit, type CallPermit } from '../../src/core/adaptive-limit.js';

/** Acquires `n` permits without waiting for those that queue; returns the granted ones so far and all promises. */
function acquireMany(limit: AdaptiveLimit, n: number): { granted: CallPermit[]; all: Promise<CallPermit>[] } {
  const granted: CallPermit[] = [];
  const all = Array.from({ length: n }, () => limit.acquire().then((p) => (granted.push(p), p)));
  return { granted, all };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

test('only `initial` calls run at first; the rest wait in order', async () => {
  const limit = new AdaptiveLimit({ initial: 2, max: 10 });
  const order: number[] = [];
  const permits = [0, 1, 2, 3].map((i) => limit.acquire().then((p) => (order.push(i), p)));
  await tick();
  assert.deepEqual(order, [0, 1]);
  assert.deepEqual(limit.state, { limit: 2, inFlight: 2, waiting: 2, peakInFlight: 2, decreases: 0 });
  (await permits[0]).done('error');
  await tick();
  assert.deepEqual(order, [0, 1, 2]);
});

test('slow start: each success while the limit binds adds a slot, up to max', async () => {
  const limit = new AdaptiveLimit({ initial: 2, max: 5 });
  const { granted } = acquireMany(limit, 20);
  await tick();
  assert.equal(granted.length, 2);
  granted[0].done('ok'); // limit 3: two new calls start (one freed slot + one new)
  await tick();
  assert.equal(limit.state.limit, 3);
  assert.equal(limit.state.inFlight, 3);
  for (let i = 1; i < 10; i++) {
    granted[i].done('ok');
    await tick();
  }
  assert.equal(limit.state.limit, 5, 'capped at max');
  assert.equal(limit.state.peakInFlight, 5);
});

test('a throttling answer halves the limit once per congestion event, not once per throttled call', async () => {
  const limit = new AdaptiveLimit({ initial: 8, max: 16 });
  const { granted } = acquireMany(limit, 30);
  await tick();
  assert.equal(granted.length, 8);
  // All eight were in flight together: the first throttle halves, the other seven belong to the same event.
  for (const p of granted.slice(0, 8)) p.done('throttled');
  await tick();
  assert.equal(limit.state.limit, 4);
  assert.equal(limit.state.decreases, 1);
  assert.equal(limit.state.inFlight, 4);
  // A call granted after the decrease that is throttled again is a new event.
  granted[8].done('throttled');
  await tick();
  assert.equal(limit.state.limit, 2);
  assert.equal(limit.state.decreases, 2);
});

test('after a throttle the limit grows by about one per round trip of successes, not by one per success', async () => {
  const limit = new AdaptiveLimit({ initial: 8, max: 64 });
  const { granted } = acquireMany(limit, 200);
  await tick();
  granted[0].done('throttled'); // limit 4, threshold 4
  await tick();
  let done = 1;
  // Four rounds of four successes each (one round trip at limit 4): about +1 per round, never doubling.
  for (let round = 0; round < 4; round++) {
    const n = limit.state.limit;
    for (let i = 0; i < n; i++) granted[done++].done('ok');
    await tick();
  }
  assert.ok(limit.state.limit >= 5 && limit.state.limit <= 8, `limit ${limit.state.limit}`);
});

test('never below min: a family that is always throttled still runs a call at a time', async () => {
  const limit = new AdaptiveLimit({ initial: 4, max: 8, min: 1 });
  const { granted } = acquireMany(limit, 20);
  // Round after round, every call in flight is throttled: 4 → 2 → 1 → 1 …
  for (let round = 0; round < 5; round++) {
    await tick();
    for (const p of granted.splice(0)) p.done('throttled');
  }
  await tick();
  assert.equal(limit.state.limit, 1);
  assert.equal(limit.state.inFlight, 1);
  assert.equal(limit.state.decreases, 5);
});

test('an idle family does not build up a limit it never used', async () => {
  const limit = new AdaptiveLimit({ initial: 4, max: 64 });
  for (let i = 0; i < 50; i++) (await limit.acquire()).done('ok'); // one at a time: the limit never binds
  assert.equal(limit.state.limit, 4);
});

test('a waiter whose signal aborts leaves the queue with the reason; done is idempotent', async () => {
  const limit = new AdaptiveLimit({ initial: 1, max: 4 });
  const first = await limit.acquire();
  const ac = new AbortController();
  const waiting = limit.acquire(ac.signal);
  ac.abort(new Error('interrupted'));
  await assert.rejects(waiting, /interrupted/);
  assert.equal(limit.state.waiting, 0);
  first.done('error');
  first.done('error');
  assert.equal(limit.state.inFlight, 0);
  await assert.rejects(limit.acquire(AbortSignal.abort(new Error('already'))), /already/);
});

test('run() gives the slot back and classifies the error', async () => {
  const limit = new AdaptiveLimit({ initial: 4, max: 8 });
  assert.equal(await limit.run(async () => 42, () => 'error'), 42);
  await assert.rejects(limit.run(async () => Promise.reject(new Error('Rate exceeded')), () => 'throttled'), /Rate exceeded/);
  assert.deepEqual({ limit: limit.state.limit, inFlight: limit.state.inFlight, decreases: limit.state.decreases }, { limit: 2, inFlight: 0, decreases: 1 });
});
