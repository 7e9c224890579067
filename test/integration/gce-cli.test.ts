// The CLI on GCE, as users run it (bin/k8sup → dist), against both fakes: Compute over K8SUP_GCE_ENDPOINT and the
// state in gs:// over STORAGE_EMULATOR_HOST, with no Google credentials anywhere.
// create --yes → update --detailed-exitcode exits 0 → delete --yes leaves nothing labelled and no state.

import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeCompute } from '../fakes/gce-compute.js';
import { FakeGcs } from '../fakes/gcs.js';
import { k8sup, tempHome } from '../helpers/cli.js';

const compute = new FakeCompute({ project: 'cli-project', pendingOperations: true });
const gcs = new FakeGcs();
const home = tempHome();
const env = () => ({ HOME: home, K8SUP_GCE_ENDPOINT: compute.endpoint, STORAGE_EMULATOR_HOST: gcs.url, K8SUP_STATE_STORE: 'gs://k8sup-cli-state/prod' });
const NAME = 'cli.k8s.local';

before(async () => {
  await compute.start();
  await gcs.start();
  gcs.createBucket('k8sup-cli-state', { uniformBucketLevelAccess: true });
});
after(async () => {
  await compute.stop();
  await gcs.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('k8sup on GCE through the CLI', () => {
  it('create --yes, then update --detailed-exitcode exits 0, then delete --yes leaves nothing', async () => {
    const create = await k8sup(['create', 'cluster', NAME, '--zones', 'us-central1-b', '--project', 'cli-project', '--node-count', '2', '--yes'], { env: env(), timeoutMs: 90_000 });
    assert.equal(create.code, 0, create.stderr);
    const instances = compute.list('instances');
    assert.equal(instances.length, 3, 'one control plane and two nodes');
    assert.ok(instances.every((i) => i.labels['k8sup-cluster'] === 'cli-k8s-local'));
    assert.ok([...gcs.objects('k8sup-cli-state').keys()].some((k) => k.startsWith(`prod/${NAME}/revisions/`)));

    const update = await k8sup(['update', 'cluster', NAME, '--detailed-exitcode'], { env: env(), timeoutMs: 60_000 });
    assert.equal(update.code, 0, `${update.stdout}\n${update.stderr}`);

    const del = await k8sup(['delete', 'cluster', NAME, '--yes'], { env: env(), timeoutMs: 90_000 });
    assert.equal(del.code, 0, del.stderr);
    assert.deepEqual(compute.labelled('k8sup-cluster', 'cli-k8s-local'), []);
    assert.deepEqual(compute.all(), []);
    assert.deepEqual([...gcs.objects('k8sup-cli-state').keys()].filter((k) => k.startsWith(`prod/${NAME}/`)), []);
  });

  it('--target terraform writes google_* resources and makes no Compute call', async () => {
    const out = join(home, 'tf');
    const before = compute.requests.length;
    const r = await k8sup(['create', 'cluster', 'tf.k8s.local', '--zones', 'us-central1-b', '--project', 'cli-project', '--target', 'terraform', '--out', out, '--yes'], { env: env(), timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const main = JSON.parse(readFileSync(join(out, 'main.tf.json'), 'utf8'));
    assert.ok(main.resource.google_compute_instance_group_manager);
    assert.ok(main.resource.google_compute_forwarding_rule);
    assert.equal(compute.requests.length, before);
  });
});
