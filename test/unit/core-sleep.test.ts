import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pollDelay, sleep } from '../../src/core/sleep.js';

test('sleep leaves no abort listener behind on the shared run signal', async () => {
  const ac = new AbortController();
  const added: string[] = [];
  const removed: string[] = [];
  const add = ac.signal.addEventListener.bind(ac.signal);
  const remove = ac.signal.removeEventListener.bind(ac.signal);
  ac.signal.addEventListener = ((type: string, fn: any, o?: any) => (added.push(type), add(type, fn, o))) as typeof add;
  ac.signal.removeEventListener = ((type: string, fn: any, o?: any) => (removed.push(type), remove(type, fn, o))) as typeof remove;
  for (let i = 0; i < 30; i++) await sleep(1, ac.signal);
  assert.equal(added.length, 30);
  assert.equal(removed.length, 30);
});

test('sleep rejects with the abort reason as soon as the signal aborts', async () => {
  const ac = new AbortController();
  const started = Date.now();
  const pending = sleep(10_000, ac.signal);
  ac.abort(new Error('interrupted'));
  await assert.rejects(pending, /interrupted/);
  assert.ok(Date.now() - started < 1000);
  await assert.rejects(sleep(1, ac.signal), /interrupted/, 'an already aborted signal rejects at once');
});

test('pollDelay: a wait re-checks after 250 ms, then doubles up to its steady interval and stays there', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 20].map((round) => pollDelay(round, 5000)), [250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
  assert.deepEqual([0, 1, 2].map((round) => pollDelay(round, 100)), [100, 100, 100], 'an interval shorter than the first delay is kept');
});
