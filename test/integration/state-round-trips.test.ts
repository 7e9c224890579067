// Issue 17: the state store's round trips of a command do not grow with the cluster. `create -f --yes` and
// `delete --yes` of an AWS cluster with 1 and with 50 node groups on moto, the S3 state store behind a proxy that
// delays each of its calls, every call recorded whole (bench/call-log.ts); what is compared is the sequential depth
// of the state calls outside the engine's apply/destroy phase: the longest chain of calls that ran one after another
// (calls sent side by side count once). Counts, not times. Before, each PKI file, each bootstrap bundle (one per node
// group) and each batch of 8 of the cluster's keys on delete was a round trip of its own: 29 against 78 for create.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startCallRecorder } from '../../bench/call-log.js';
import { k8sup, tempHome } from '../helpers/cli.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { commandDepth, depthSpec, stateCallsOf, type CommandDepth } from '../helpers/state-depth.js';
import { startThrottleProxy, type ThrottleProxy } from '../helpers/throttle-proxy.js';

const BUCKET = 'k8sup-round-trips';
// Well above moto's own time per call (and the CLI's time to send a burst on a loaded machine), so calls sent
// together overlap and calls sent one after another do not. moto serves one call at a time: a burst of 50 writes
// ends spread over its service time, so a few calls of a burst may still count as one after another.
const STATE_MS = 200;
let moto: Moto;
let recorder: Awaited<ReturnType<typeof startCallRecorder>>;
let proxy: ThrottleProxy;
let home: string;
let specDir: string;

before(async () => {
  moto = await startMoto();
  recorder = await startCallRecorder(moto.endpoint);
  // Only the state store is far away: the cloud's calls (and the apply) stay quick.
  proxy = await startThrottleProxy(recorder.endpoint, { throttleRate: 0, resetRate: 0, latencyFor: (service) => (service === 's3' ? STATE_MS : 0) });
  home = tempHome();
  specDir = mkdtempSync(join(tmpdir(), 'k8sup-round-trips-'));
  await moto.createBucket(BUCKET);
});
after(async () => {
  await proxy?.stop();
  await recorder?.stop();
  await moto?.stop();
});

async function depth(args: string[], phase: 'apply' | 'destroy'): Promise<CommandDepth> {
  recorder.log.length = 0;
  const env = { HOME: home, ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, K8SUP_STATE_STORE: `s3://${BUCKET}/state`, K8SUP_PROGRESS: 'ndjson' };
  const r = await k8sup([...args, '-v'], { env, timeoutMs: 600_000 });
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr.split('\n').slice(-5).join('\n')}`);
  return commandDepth(stateCallsOf(recorder.log, STATE_MS), r.stderr, recorder.originWallMs, phase);
}

async function createAndDelete(groups: number): Promise<{ create: CommandDepth; delete: CommandDepth }> {
  const name = `trips-${groups}.k8s.local`;
  const file = join(specDir, `${name}.json`);
  writeFileSync(file, depthSpec(name, groups));
  const created = await depth(['create', '-f', file, '--yes'], 'apply');
  const deleted = await depth(['delete', 'cluster', name, '--yes'], 'destroy');
  return { create: created, delete: deleted };
}

test('create -f --yes and delete --yes wait for as many state round trips with 50 node groups as with one', { timeout: 900_000 }, async (t) => {
  const one = await createAndDelete(1);
  const fifty = await createAndDelete(50);
  t.diagnostic(`outside the engine's phase, 1 / 50 groups: create ${one.create.outsidePhase} / ${fifty.create.outsidePhase}, delete ${one.delete.outsidePhase} / ${fifty.delete.outsidePhase}`);
  const show = (d: CommandDepth) => `${d.outsidePhase} outside the engine's phase (${d.calls} calls): ${d.outsideChain.join(', ')}`;
  const failures: string[] = [];
  const check = (ok: boolean, what: string) => ok || failures.push(what);
  // The bootstrap bundles (one per group, 32 written at once) and the cluster's keys on delete may take a round trip
  // more, and moto's one-at-a-time service may spread a burst over one more; nothing else may grow.
  check(fifty.create.outsidePhase - one.create.outsidePhase <= 3, `create: 1 group ${show(one.create)}\n50 groups ${show(fifty.create)}`);
  check(fifty.delete.outsidePhase - one.delete.outsidePhase <= 3, `delete: 1 group ${show(one.delete)}\n50 groups ${show(fifty.delete)}`);
  // And few in all: lock, reads, the parts, the revision, the plan's journal read, the bundles, the final writes.
  check(one.create.outsidePhase <= 14, `create: ${show(one.create)}`);
  check(one.delete.outsidePhase <= 11, `delete: ${show(one.delete)}`);
  assert.deepEqual(failures, []);
});
