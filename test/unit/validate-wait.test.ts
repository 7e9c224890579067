import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordingIo } from '../../src/core/io.js';
import { OperationError } from '../../src/core/errors.js';
import { pollUntilValid, type CheckFn } from '../../src/validate/index.js';
import type { ValidationReport } from '../../src/validate/index.js';

const VALID: ValidationReport = { cluster: 'c', valid: true, failures: [], nodes: [] };
const INVALID: ValidationReport = { cluster: 'c', valid: false, failures: [{ type: 'node', name: 'w-1', message: 'node w-1 is not Ready' }], nodes: [] };

/** A fake clock: sleep advances time instantly; each check takes `checkMs`. */
function clock(checkMs = 50) {
  let t = 1_000_000;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
    elapse: (ms = checkMs) => (t += ms),
    get t() {
      return t;
    },
  };
}

function scripted(results: ValidationReport[], c: ReturnType<typeof clock>, budgets: number[] = []): CheckFn & { calls: () => number } {
  let i = 0;
  const fn = (async ({ requestTimeoutMs }) => {
    budgets.push(requestTimeoutMs);
    c.elapse();
    return results[Math.min(i++, results.length - 1)];
  }) as CheckFn & { calls: () => number };
  fn.calls = () => i;
  return fn;
}

const base = { cluster: 'c', server: 'https://127.0.0.1:6443', intervalMs: 1000 };

test('waitMs 0 runs exactly one check and returns it, even when invalid', async () => {
  const c = clock();
  const io = new RecordingIo();
  const check = scripted([INVALID, VALID], c);
  const report = await pollUntilValid(check, { ...base, waitMs: 0, count: 3, io, now: c.now, sleep: c.sleep });
  assert.equal(check.calls(), 1);
  assert.deepEqual(report, INVALID);
  assert.deepEqual(c.sleeps, []);
  assert.equal(io.events.at(-1)?.code, 'validate.done');
  assert.equal(io.events.at(-1)?.level, 'warn');
});

test('wait: keeps polling at the interval until the cluster becomes valid', async () => {
  const c = clock();
  const io = new RecordingIo();
  const check = scripted([INVALID, INVALID, INVALID, VALID], c);
  const report = await pollUntilValid(check, { ...base, waitMs: 60_000, count: 1, io, now: c.now, sleep: c.sleep });
  assert.equal(report.valid, true);
  assert.equal(check.calls(), 4);
  assert.deepEqual(c.sleeps, [1000, 1000, 1000]);
  const results = io.events.filter((e) => e.code === 'validate.result');
  assert.deepEqual(results.map((e) => e.data?.valid), [false, false, false, true]);
  assert.match(results[0].message, /attempt 1: 1 failure: node w-1 is not Ready/);
  assert.equal(io.events.at(-1)?.message, 'cluster c is valid');
});

test('count: needs that many consecutive passes', async () => {
  const c = clock();
  const check = scripted([VALID, VALID, VALID, VALID], c);
  const report = await pollUntilValid(check, { ...base, waitMs: 60_000, count: 3, io: new RecordingIo(), now: c.now, sleep: c.sleep });
  assert.equal(report.valid, true);
  assert.equal(check.calls(), 3);
});

test('count: a flapping cluster never passes, and ends not valid at the deadline', async () => {
  const c = clock();
  const flapping = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? VALID : INVALID));
  flapping.push(VALID); // the final observation is a pass, but a lone one
  const check = scripted(flapping, c);
  const start = c.t;
  const report = await pollUntilValid(check, { ...base, waitMs: 10_000, count: 2, io: new RecordingIo(), now: c.now, sleep: c.sleep });
  assert.equal(report.valid, false);
  assert.ok(c.t - start <= 10_000, `returned at ${c.t - start} ms, after the deadline`);
  assert.ok(check.calls() >= 9, `only ${check.calls()} checks in 10 s at a 1 s interval`);
});

test('count: a pass streak shorter than count at the deadline is reported as a wait failure', async () => {
  const c = clock();
  const check = scripted([INVALID, INVALID, INVALID, VALID, VALID], c);
  const report = await pollUntilValid(check, { ...base, waitMs: 4_500, count: 3, io: new RecordingIo(), now: c.now, sleep: c.sleep });
  assert.equal(report.valid, false);
  assert.deepEqual(report.failures, [{ type: 'wait', name: 'c', message: 'only 2 of 3 required consecutive passes before the --wait deadline' }]);
});

test('deadline: sleeps and request budgets are clipped to the time left', async () => {
  const c = clock(100);
  const budgets: number[] = [];
  const check = scripted([INVALID], c, budgets);
  const start = c.t;
  const report = await pollUntilValid(check, { ...base, waitMs: 2_500, count: 1, io: new RecordingIo(), now: c.now, sleep: c.sleep, requestTimeoutMs: 10_000 });
  assert.equal(report.valid, false);
  assert.equal(c.t - start, 2_500);
  assert.deepEqual(c.sleeps, [1000, 1000, 200]);
  assert.deepEqual(budgets, [2500, 1400, 300]);
});

test('credential errors are not retried: they propagate at once', async () => {
  const c = clock();
  let calls = 0;
  const check: CheckFn = async () => {
    calls++;
    throw new OperationError('rejected (401 Unauthorized)');
  };
  await assert.rejects(pollUntilValid(check, { ...base, waitMs: 60_000, count: 1, io: new RecordingIo(), now: c.now, sleep: c.sleep }), /401/);
  assert.equal(calls, 1);
});

/** A check that never finishes by itself: it only ends when its signal aborts. */
const hangingCheck: CheckFn = ({ signal }) =>
  new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));

test('deadline during a hanging first check: an api failure, reported on time (real clock)', async () => {
  const started = Date.now();
  const report = await pollUntilValid(hangingCheck, { ...base, waitMs: 300, count: 1, io: new RecordingIo() });
  const took = Date.now() - started;
  assert.ok(took >= 280 && took < 1000, `took ${took} ms`);
  assert.equal(report.valid, false);
  assert.deepEqual(report.failures.map((f) => [f.type, f.name]), [['api', 'https://127.0.0.1:6443']]);
});

test('deadline during a later check: the last complete report is returned, not the half-finished one', async () => {
  let calls = 0;
  const check: CheckFn = (budget) => (++calls === 1 ? Promise.resolve(INVALID) : hangingCheck(budget));
  const report = await pollUntilValid(check, { ...base, intervalMs: 50, waitMs: 300, count: 1, io: new RecordingIo() });
  assert.equal(calls, 2);
  assert.deepEqual(report, INVALID);
});

test('cancellation by the caller rejects instead of reporting', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('user pressed ^C')), 50);
  await assert.rejects(
    pollUntilValid(hangingCheck, { ...base, waitMs: 5_000, count: 1, io: new RecordingIo(), signal: controller.signal }),
    /user pressed \^C/,
  );
});
