// `get instances` on GCE through the CLI against the Compute and GCS fakes: every managed instance with its group,
// zone, state and whether it runs its group's instance template, joined with the report the node wrote (GCE names
// reports by instance name).

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { FakeCompute } from '../fakes/gce-compute.js';
import { FakeGcs } from '../fakes/gcs.js';
import { k8sup, tempHome } from '../helpers/cli.js';

const compute = new FakeCompute({ project: 'inst-project' });
const gcs = new FakeGcs();
const home = tempHome();
const BUCKET = 'k8sup-inst-state';
const env = () => ({ HOME: home, K8SUP_GCE_ENDPOINT: compute.endpoint, STORAGE_EMULATOR_HOST: gcs.url, K8SUP_STATE_STORE: `gs://${BUCKET}/prod` });
const NAME = 'inst.k8s.local';

before(async () => {
  await compute.start();
  await gcs.start();
  gcs.createBucket(BUCKET, { uniformBucketLevelAccess: true });
});
after(async () => {
  await compute.stop();
  await gcs.stop();
  rmSync(home, { recursive: true, force: true });
});

test('GCE: every managed instance, its zone and state, on the current template, with its report', { timeout: 180_000 }, async () => {
  const create = await k8sup(['create', 'cluster', NAME, '--zones', 'us-central1-b', '--project', 'inst-project', '--node-count', '2', '--yes'], { env: env(), timeoutMs: 90_000 });
  assert.equal(create.code, 0, create.stderr);
  const names = compute.list('instances').map((i) => i.name as string);
  assert.equal(names.length, 3);
  const node = names.find((n) => !n.includes('control-plane'))!;
  const report = { v: 1, instance: node, cluster: NAME, role: 'worker', group: 'nodes', step: 'done', state: 'done', attempt: 1, error: '', time: new Date().toISOString() };
  const put = await fetch(`${gcs.url}/upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=${encodeURIComponent(`prod/${NAME}/nodes/status/${node}.json`)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(report) });
  assert.equal(put.status, 200, await put.text());

  const r = await k8sup(['get', 'instances', NAME, '-o', 'json'], { env: env(), timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  const rows: { instance: string; group: string; zone?: string; cloudState?: string; current?: boolean; state?: string }[] = JSON.parse(r.stdout).instances;
  assert.deepEqual(rows.map((x) => x.instance).sort(), [...names].sort());
  assert.deepEqual(rows.map((x) => x.group).sort(), ['control-plane', 'nodes', 'nodes']);
  assert.ok(rows.every((x) => x.zone === 'us-central1-b' && typeof x.cloudState === 'string' && x.cloudState.length > 0 && x.current === true), r.stdout);
  assert.equal(rows.find((x) => x.instance === node)?.state, 'done');
});
