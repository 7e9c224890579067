// The GCE side of state-kill-loop.test.ts: kill -9 at a seeded random call of `create --yes` and of `delete --yes`
// against the Compute and GCS fakes (the kill lands right after the fake carried the call out, before the reply is
// read). The same command again converges: the dead run's lock is taken over, `update` then plans nothing, nothing
// exists twice, and after the delete neither the project nor the bucket holds anything of the cluster.
// Seeds are fixed: a failing seed is repeated with K8SUP_KILL_SEEDS=<seed> (seeds 1-9 and 12, 19 passed).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FakeCompute } from '../fakes/gce-compute.js';
import { FakeGcs } from '../fakes/gcs.js';
import { k8sup, tempHome } from '../helpers/cli.js';
import { runKilledOnCall } from '../helpers/kill-on-call.js';

const SEEDS = (process.env.K8SUP_KILL_SEEDS ?? '5,12').split(',').map(Number);
const PROJECT = 'kill-project';
const BUCKET = 'k8sup-kill-gce';
const compute = new FakeCompute({ project: PROJECT, pendingOperations: true });
const gcs = new FakeGcs();
const env = { HOME: tempHome(), K8SUP_GCE_ENDPOINT: compute.endpoint, STORAGE_EMULATOR_HOST: '', K8SUP_STATE_STORE: `gs://${BUCKET}/st` };
const run = (...args: string[]) => k8sup(args, { env, timeoutMs: 300_000 });

before(async () => {
  await compute.start();
  await gcs.start();
  gcs.createBucket(BUCKET, { uniformBucketLevelAccess: true });
  env.STORAGE_EMULATOR_HOST = gcs.url;
  env.K8SUP_GCE_ENDPOINT = compute.endpoint;
});
after(async () => {
  await compute.stop();
  await gcs.stop();
});

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

/** Runs `args`, counting Compute calls; with `killAt`, kills it (SIGKILL) right after the killAt-th one was carried out. */
async function runCounting(args: string[], killAt?: number): Promise<{ calls: string[]; killed: boolean; stderr: string; code?: number }> {
  const calls: string[] = [];
  if (killAt === undefined) {
    compute.onCall = (method, path) => void calls.push(`${method} ${path}`);
    try {
      const r = await run(...args);
      return { calls, killed: false, stderr: r.stderr, code: r.code };
    } finally {
      compute.onCall = undefined;
    }
  }
  const marker = `kill-point:${killAt}`;
  const r = await runKilledOnCall(args, env, marker, (hook) => {
    compute.onCall = hook && ((method, path) => {
      calls.push(`${method} ${path}`);
      if (calls.length === killAt) hook(marker);
    });
  });
  return { calls, killed: r.killed, stderr: r.stderr };
}

/** The cluster's objects in the project, by collection (from the fake's own store, not through the provider). */
function shapeOf(name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of compute.labelled('k8sup-cluster', name.replaceAll('.', '-'))) {
    const kind = o.selfLink.split('/').at(-2)!;
    out[kind] = (out[kind] ?? 0) + 1;
  }
  return out;
}

test('GCE: kill -9 at seeded random calls of create --yes and delete --yes: the same command again converges, nothing left', { timeout: 3_600_000 }, async () => {
  const yard = 'yard.k8s.local';
  const create = (name: string) => ['create', 'cluster', name, '--zones', 'us-central1-b', '--project', PROJECT, '--yes'];
  const createRun = await runCounting(create(yard));
  assert.equal(createRun.code, 0, createRun.stderr);
  const shape = shapeOf(yard);
  const deleteRun = await runCounting(['delete', 'cluster', yard, '--yes']);
  assert.equal(deleteRun.code, 0, deleteRun.stderr);
  assert.ok(createRun.calls.length > 10 && deleteRun.calls.length > 5, `create ${createRun.calls.length} calls, delete ${deleteRun.calls.length}`);
  assert.deepEqual(compute.all(), []);

  for (const seed of SEEDS) {
    const random = mulberry32(seed);
    const name = `kill-${seed}.k8s.local`;
    const where = (what: string, calls: string[]) => `seed ${seed}: ${what} after call ${calls.length} (${calls.at(-1)})`;

    const killedCreate = await runCounting(create(name), 1 + Math.floor(random() * createRun.calls.length));
    assert.ok(killedCreate.killed, `${where('the create never reached its kill point', killedCreate.calls)}\n${killedCreate.stderr}`);
    const resumed = await run(...create(name));
    assert.equal(resumed.code, 0, `${where('create --yes again after kill -9', killedCreate.calls)}:\n${resumed.stderr}`);
    const noop = await run('update', 'cluster', name, '--detailed-exitcode');
    assert.equal(noop.code, 0, `${where('the plan after the resumed create is not empty', killedCreate.calls)}:\n${noop.stdout}`);
    assert.deepEqual(shapeOf(name), shape, where('objects of the cluster', killedCreate.calls));

    const killedDelete = await runCounting(['delete', 'cluster', name, '--yes'], 1 + Math.floor(random() * deleteRun.calls.length));
    assert.ok(killedDelete.killed, `${where('the delete never reached its kill point', killedDelete.calls)}\n${killedDelete.stderr}`);
    const again = await run('delete', 'cluster', name, '--yes');
    assert.equal(again.code, 0, `${where('delete --yes after kill -9', killedDelete.calls)}:\n${again.stderr}`);
    assert.deepEqual(compute.all(), [], where('objects left in the project', killedDelete.calls));
    assert.deepEqual([...gcs.objects(BUCKET).keys()].filter((k) => k.startsWith(`st/${name}/`)), [], where('state objects left', killedDelete.calls));
  }
});
