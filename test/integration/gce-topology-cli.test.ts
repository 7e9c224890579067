// The private GCE topology through the CLI as users run it (bin/k8sup → dist) against the Compute and GCS fakes:
// create --topology private --yes → update --detailed-exitcode exits 0 (nothing to do) → delete --yes leaves nothing.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { FakeCompute } from '../fakes/gce-compute.js';
import { FakeGcs } from '../fakes/gcs.js';
import { k8sup, tempHome } from '../helpers/cli.js';

const compute = new FakeCompute({ project: 'topo-project', pendingOperations: true });
const gcs = new FakeGcs();
const home = tempHome();
const env = () => ({ HOME: home, K8SUP_GCE_ENDPOINT: compute.endpoint, STORAGE_EMULATOR_HOST: gcs.url, K8SUP_STATE_STORE: 'gs://k8sup-topo-state/prod' });
const NAME = 'private-cli.k8s.local';

before(async () => {
  await compute.start();
  await gcs.start();
  gcs.createBucket('k8sup-topo-state', { uniformBucketLevelAccess: true });
});
after(async () => {
  await compute.stop();
  await gcs.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('k8sup --topology private on GCE through the CLI', () => {
  it('create --yes, update --detailed-exitcode exits 0, delete --yes leaves nothing', async () => {
    const create = await k8sup(['create', 'cluster', NAME, '--zones', 'us-central1-b', '--project', 'topo-project', '--topology', 'private', '--yes'], { env: env(), timeoutMs: 90_000 });
    assert.equal(create.code, 0, create.stderr);
    const instances = compute.list('instances');
    assert.equal(instances.length, 2);
    assert.ok(instances.every((i) => i.networkInterfaces[0].accessConfigs.length === 0), 'no external addresses');
    assert.equal(compute.list('routers').length, 1);
    assert.deepEqual(compute.list('firewalls').filter((f) => f.allowed.some((a: { ports?: string[] }) => a.ports?.includes('22'))), [], 'no SSH key, no SSH rule');

    const update = await k8sup(['update', 'cluster', NAME, '--detailed-exitcode'], { env: env(), timeoutMs: 60_000 });
    assert.equal(update.code, 0, `${update.stdout}\n${update.stderr}`);

    const del = await k8sup(['delete', 'cluster', NAME, '--yes'], { env: env(), timeoutMs: 90_000 });
    assert.equal(del.code, 0, del.stderr);
    assert.deepEqual(compute.all(), []);
  });
});
