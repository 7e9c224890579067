// Issue 17, GCE: a create never looks for an earlier object first, and stays crash safe without it. Compute names
// are unique per project and an insert of a taken name answers 409 alreadyExists, so the GCE handlers insert at
// once and read the object only after the insert (or, on a 409, to check that it carries this resource's marker
// before adopting it). There is no look-first describe for EarlierCreate 'none' to skip, unlike the AWS kinds
// (test/integration/aws-first-create.test.ts); these tests hold that, and the two ways an earlier call can have made
// the object without the run knowing:
//  - a first create reads no object of the cluster before the object exists (every GET of an object finds it);
//  - the replies of the network's and of a group manager's insert lost after the fake made them: the retries meet
//    409, adopt, and the cluster has as many objects of each collection as a clean create; the next plan is empty;
//  - kill -9 right after the fake carried out the network's insert: the same create again adopts it (one network),
//    the next plan is empty, and delete leaves nothing in the project or the bucket.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FakeCompute } from '../fakes/gce-compute.js';
import { FakeGcs } from '../fakes/gcs.js';
import { k8sup, tempHome } from '../helpers/cli.js';
import { runKilledOnCall } from '../helpers/kill-on-call.js';

const PROJECT = 'first-create';
const BUCKET = 'k8sup-first-create-gce';
const compute = new FakeCompute({ project: PROJECT, pendingOperations: true });
const gcs = new FakeGcs();
const env = { HOME: tempHome(), K8SUP_GCE_ENDPOINT: '', STORAGE_EMULATOR_HOST: '', K8SUP_STATE_STORE: `gs://${BUCKET}/st` };
const run = (...args: string[]) => k8sup(args, { env, timeoutMs: 300_000 });
const create = (name: string) => ['create', 'cluster', name, '--zones', 'us-central1-b', '--project', PROJECT, '--yes'];

/** Every Compute request as it arrives (before the fake routes it), with whether the object it names existed then. */
const arrivals: { method: string; path: string; existed: boolean }[] = [];

before(async () => {
  await compute.start();
  await gcs.start();
  gcs.createBucket(BUCKET, { uniformBucketLevelAccess: true });
  env.STORAGE_EMULATOR_HOST = gcs.url;
  env.K8SUP_GCE_ENDPOINT = compute.endpoint;
  // A fault rule that never fires sees every request before it is carried out.
  compute.injectFault(
    (method, path) => {
      const existed = compute.all().some((o) => new URL(String(o.selfLink)).pathname === path);
      arrivals.push({ method, path, existed });
      return false;
    },
    500,
    'never',
  );
});
after(async () => {
  await compute.stop();
  await gcs.stop();
});

/** The cluster's objects in the project, by collection (from the fake's own store, not through the provider). */
function shapeOf(name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of compute.labelled('k8sup-cluster', name.replaceAll('.', '-'))) {
    const kind = String(o.selfLink).split('/').at(-2)!;
    out[kind] = (out[kind] ?? 0) + 1;
  }
  return out;
}

const isInsert = (collection: string) => (method: string, path: string) => method === 'POST' && path.endsWith(`/${collection}`);

let cleanShape: Record<string, number>;

test('a first create reads no object before it exists: every GET of an object of the project finds it', { timeout: 300_000 }, async () => {
  const name = 'fresh.k8s.local';
  arrivals.length = 0;
  const created = await run(...create(name));
  assert.equal(created.code, 0, created.stderr);
  // Object reads: a GET of a path under a collection, not a list (a collection path) nor an operation's poll.
  const objectGets = arrivals.filter((a) => a.method === 'GET' && !/\/operations\//.test(a.path) && compute.all().some((o) => new URL(String(o.selfLink)).pathname === a.path));
  const inserts = arrivals.filter((a) => a.method === 'POST' && !/\/operations\//.test(a.path));
  assert.ok(inserts.length >= 10 && objectGets.length >= 10, `inserts ${inserts.length}, object reads ${objectGets.length}`);
  const early = objectGets.filter((a) => !a.existed);
  assert.deepEqual(early.map((a) => a.path), [], 'read before its insert (a look-first)');
  cleanShape = shapeOf(name);
  const deleted = await run('delete', 'cluster', name, '--yes');
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.deepEqual(compute.all(), []);
});

test('replies of inserts lost after the fake made the object: the retry meets 409 and adopts, nothing is made twice', { timeout: 300_000 }, async () => {
  const name = 'lost.k8s.local';
  compute.injectLostReply(isInsert('networks'));
  compute.injectLostReply(isInsert('instanceGroupManagers'));
  arrivals.length = 0;
  const created = await run(...create(name));
  assert.equal(created.code, 0, created.stderr);
  assert.equal(arrivals.filter((a) => isInsert('networks')(a.method, a.path)).length, 2, 'the network insert was retried once');
  assert.deepEqual(shapeOf(name), cleanShape, 'as many objects of each collection as a clean create');
  const noop = await run('update', 'cluster', name, '--detailed-exitcode');
  assert.equal(noop.code, 0, `the plan after the create is not empty:\n${noop.stdout}${noop.stderr}`);
  const deleted = await run('delete', 'cluster', name, '--yes');
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.deepEqual(compute.all(), []);
});

test('kill -9 right after the network insert was carried out: the same create again adopts it, delete leaves nothing', { timeout: 300_000 }, async () => {
  const name = 'killed.k8s.local';
  const marker = 'network-insert';
  const killed = await runKilledOnCall(create(name), env, marker, (hook) => {
    compute.onCall = hook && ((method, path) => isInsert('networks')(method, path) && hook(marker));
  });
  assert.ok(killed.killed, `the create never reached the network insert:\n${killed.stderr}`);
  assert.equal(compute.list('networks').length, 1, 'the killed run made the network');
  const resumed = await run(...create(name));
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(compute.list('networks').length, 1, 'one network');
  assert.deepEqual(shapeOf(name), cleanShape);
  const noop = await run('update', 'cluster', name, '--detailed-exitcode');
  assert.equal(noop.code, 0, `the plan after the resumed create is not empty:\n${noop.stdout}${noop.stderr}`);
  const deleted = await run('delete', 'cluster', name, '--yes');
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.deepEqual(compute.all(), []);
  assert.deepEqual([...gcs.objects(BUCKET).keys()].filter((k) => k.startsWith(`st/${name}/`)), []);
});
