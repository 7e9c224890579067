// mapInFlight and settleAll (src/state/in-flight.ts): bounded, in order, and nothing still in flight when they reject.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mapInFlight, settleAll } from '../../src/state/in-flight.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('mapInFlight runs at most `limit` at once and keeps the items\' order', async () => {
  let now = 0;
  let most = 0;
  const out = await mapInFlight(
    Array.from({ length: 20 }, (_, i) => i),
    async (i) => {
      most = Math.max(most, ++now);
      await tick(i % 3);
      now--;
      return i * 2;
    },
    4,
  );
  assert.equal(most, 4);
  assert.deepEqual(out, Array.from({ length: 20 }, (_, i) => i * 2));
});

test('after a failure mapInFlight starts nothing more and rejects only once the calls in flight have ended', async () => {
  const ended: number[] = [];
  const started: number[] = [];
  await assert.rejects(
    mapInFlight([0, 1, 2, 3, 4, 5], async (i) => {
      started.push(i);
      if (i === 0) throw new Error('first fails');
      await tick(20);
      ended.push(i);
    }, 3),
    /first fails/,
  );
  assert.deepEqual(started.sort(), [0, 1, 2]);
  assert.deepEqual(ended.sort(), [1, 2]);
});

test('settleAll waits for every promise before it rejects with the first failure', async () => {
  let slowDone = false;
  await assert.rejects(settleAll([Promise.reject(new Error('fast')), tick(20).then(() => (slowDone = true))]), /fast/);
  assert.equal(slowDone, true);
  assert.deepEqual(await settleAll([Promise.resolve(1), Promise.resolve('a')]), [1, 'a']);
});
