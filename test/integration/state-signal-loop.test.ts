// A cancelled CI job at a random moment: SIGTERM (or SIGINT) after a seeded delay into `update --yes` — while it
// starts, takes the lock, applies, writes its last state, or releases the lock. Whatever the moment, the run exits
// 143 (130) — or 0 if it had already finished — and leaves no lock behind; its journal parses and holds no entry twice;
// and `update --yes` then converges to a cluster that plans nothing, with nothing created twice. State in S3 on moto,
// the cloud behind a proxy with latency so the apply lasts a few seconds. Seeds: K8SUP_SIGNAL_SEEDS.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { k8sup, startK8sup, tempHome } from '../helpers/cli.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { startThrottleProxy, type ThrottleProxy } from '../helpers/throttle-proxy.js';
import { taggedResources, total } from './aws-helpers.js';

const SEEDS = (process.env.K8SUP_SIGNAL_SEEDS ?? '8,13').split(',').map(Number);
const BUCKET = 'k8sup-signal-loop';
let moto: Moto;
let proxy: ThrottleProxy;
let env: Record<string, string>;
let s3: import('@aws-sdk/client-s3').S3Client;

before(async () => {
  moto = await startMoto();
  proxy = await startThrottleProxy(moto.endpoint, { throttleRate: 0, resetRate: 0, latencyMs: 20 });
  env = { HOME: tempHome(), ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, K8SUP_STATE_STORE: `s3://${BUCKET}/st` };
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
});
after(async () => {
  s3?.destroy();
  await proxy?.stop();
  await moto?.stop();
});

const run = (...args: string[]) => k8sup(args, { env, timeoutMs: 300_000 });

async function object(key: string): Promise<string | null> {
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  try {
    return await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `st/${key}` }))).Body!.transformToString();
  } catch (e) {
    if ((e as { name?: string }).name === 'NoSuchKey') return null;
    throw e;
  }
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('SIGTERM / SIGINT at seeded random moments of update --yes: exit 143/130 (or 0), no lock left, update --yes converges', { timeout: 3_600_000 }, async (t) => {
  // Yardstick: how long a whole apply takes here, and what a converged cluster has.
  const yard = 'yard.k8s.local';
  assert.equal((await run('create', 'cluster', yard, '--zones', 'us-east-2a')).code, 0);
  const t0 = performance.now();
  assert.equal((await run('update', 'cluster', yard, '--yes')).code, 0);
  const applyMs = performance.now() - t0;
  const shape = await taggedResources(moto.env, yard);
  assert.equal((await run('delete', 'cluster', yard, '--yes')).code, 0);

  let interrupted = 0;
  for (const seed of SEEDS) {
    const random = mulberry32(seed);
    const name = `sig-${seed}.k8s.local`;
    const signal: NodeJS.Signals = seed % 2 ? 'SIGINT' : 'SIGTERM';
    const where = `seed ${seed} (${signal})`;
    assert.equal((await run('create', 'cluster', name, '--zones', 'us-east-2a')).code, 0);
    const delayMs = Math.floor(random() * applyMs);
    const cli = startK8sup(['update', 'cluster', name, '--yes'], { env, timeoutMs: 300_000 });
    let sent = false;
    const timer = setTimeout(() => (sent = cli.child.kill(signal)), delayMs);
    const r = await cli.done;
    clearTimeout(timer);
    // Exit 0 only for a run that had ended before the signal came: one that got it reports it (exit 128+n).
    assert.ok(!(sent && r.code === 0), `${where} after ${delayMs} ms: the signal reached the run and it still exited 0:\n${r.stderr}`);
    // A signal before the CLI installed its handlers ends node by the signal itself: the shell sees 128+n all the same.
    const stoppedEarly = r.signal === signal;
    assert.ok(stoppedEarly || [0, signal === 'SIGINT' ? 130 : 143].includes(r.code), `${where} after ${delayMs} ms: exit ${r.code} ${r.signal ?? ''}:\n${r.stderr}`);
    if (!stoppedEarly && r.code !== 0) interrupted++;
    t.diagnostic(`${where} after ${delayMs} of ~${Math.round(applyMs)} ms: ${stoppedEarly ? `ended by ${r.signal} before its handlers` : `exit ${r.code}`}`);
    assert.equal(await object(`${name}/lock.json`), null, `${where} after ${delayMs} ms: the lock was left behind:\n${r.stderr}`);
    const journal = await object(`${name}/applied.json`);
    if (journal) {
      const entries = JSON.parse(journal).entries as { entryId: string }[];
      assert.equal(new Set(entries.map((e) => e.entryId)).size, entries.length, `${where}: a journal entry recorded twice`);
    }

    const resumed = await run('update', 'cluster', name, '--yes');
    assert.equal(resumed.code, 0, `${where} after ${delayMs} ms: update --yes after the signal:\n${resumed.stderr}`);
    assert.doesNotMatch(resumed.stderr, /took over the lock/, `${where}: the stopped run had left its lock`);
    assert.equal((await run('update', 'cluster', name, '--detailed-exitcode')).code, 0, `${where}: the plan after resuming is empty`);
    const live = await taggedResources(moto.env, name);
    for (const [kind, ids] of Object.entries(shape)) assert.equal(live[kind].length, ids.length, `${where} after ${delayMs} ms: ${kind}: ${live[kind].join(', ')}`);
    assert.equal((await run('delete', 'cluster', name, '--yes')).code, 0);
    assert.equal(total(await taggedResources(moto.env, name)), 0);
  }
  assert.ok(SEEDS.length < 4 || interrupted > 0, 'at least one run was stopped by its own handlers');
});
