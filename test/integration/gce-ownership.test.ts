// Cluster identity on GCE, through the CLI against the Compute and GCS fakes: a second state store's cluster of the
// same name never adopts, changes or deletes the first's objects (exit 2, naming the object and both ids); with the
// state gone, `delete cluster NAME --cloud gce --region R --project P` removes what carries the cluster's marker.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeCompute } from '../fakes/gce-compute.js';
import { FakeGcs } from '../fakes/gcs.js';
import { k8sup, tempHome } from '../helpers/cli.js';

const PROJECT = 'owner-project';
const compute = new FakeCompute({ project: PROJECT, pendingOperations: true });
const gcs = new FakeGcs();
const home = tempHome();
const specDir = mkdtempSync(join(tmpdir(), 'k8sup-gce-specs-'));
const env = (prefix: string) => ({ HOME: home, K8SUP_GCE_ENDPOINT: compute.endpoint, STORAGE_EMULATOR_HOST: gcs.url, K8SUP_STATE_STORE: `gs://k8sup-owner/${prefix}` });
const run = (prefix: string, ...args: string[]) => k8sup(args, { env: env(prefix), timeoutMs: 120_000 });

/** A spec file; `create` mints the cluster's identity (metadata.uid) itself. */
function specFile(name: string, label: string): string {
  const path = join(specDir, `${name}-${label}.yaml`);
  writeFileSync(path, JSON.stringify({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name }, spec: { zones: ['us-central1-b'], project: PROJECT } }));
  return path;
}

/** The identity create minted for the cluster in that store. */
const uidOf = async (prefix: string, name: string): Promise<string> => JSON.parse((await run(prefix, 'get', 'cluster', name, '-o', 'json')).stdout).metadata.uid;

/** Every object the fake holds, as comparable text. */
const snapshot = () => JSON.stringify(compute.all().map((o) => [o.selfLink, o.description, o.labels, o.fingerprint ?? null]).sort());

before(async () => {
  await compute.start();
  await gcs.start();
  gcs.createBucket('k8sup-owner', { uniformBucketLevelAccess: true });
});
after(async () => {
  await compute.stop();
  await gcs.stop();
  rmSync(home, { recursive: true, force: true });
  rmSync(specDir, { recursive: true, force: true });
});

describe('cluster identity on GCE', () => {
  it('a second store with the same cluster name refuses (exit 2) and leaves the first cluster as it is', async () => {
    const name = 'dup.k8s.local';
    const first = await run('s1', 'create', '-f', specFile(name, 'gce-one'), '--yes');
    assert.equal(first.code, 0, first.stderr);
    const one = await uidOf('s1', name);
    const labelled = compute.labelled('k8sup-cluster', 'dup-k8s-local');
    assert.ok(labelled.length > 0 && labelled.every((o) => o.labels['k8sup-cluster-id'] === one), 'labelled objects carry the cluster id');
    assert.ok(compute.list('networks').every((n) => n.description.includes(`k8sup-cluster-id=${one}]`)), 'the description marker carries the cluster id');
    const before = snapshot();

    assert.equal((await run('s2', 'create', '-f', specFile(name, 'gce-two'))).code, 0);
    const two = await uidOf('s2', name);
    const update = await run('s2', 'update', 'cluster', name, '--yes');
    assert.equal(update.code, 2, update.stderr);
    assert.match(update.stderr, new RegExp(`belongs to another cluster named dup\\.k8s\\.local \\(cluster id ${one}\\).*\\(cluster id ${two}\\)`));
    const del = await run('s2', 'delete', 'cluster', name, '--yes');
    assert.equal(del.code, 2, del.stderr);
    assert.equal(snapshot(), before, 'store 2 changed and deleted nothing');

    assert.equal((await run('s1', 'update', 'cluster', name, '--detailed-exitcode')).code, 0);
    assert.equal((await run('s1', 'delete', 'cluster', name, '--yes')).code, 0);
    assert.deepEqual(compute.all(), []);
  });

  it('x-y.k8s.local and x.y.k8s.local, each with an identity, both apply in one project and delete apart', async () => {
    const a = await run('names', 'create', '-f', specFile('x-y.k8s.local', 'gce-dashes'), '--yes');
    assert.equal(a.code, 0, a.stderr);
    const b = await run('names', 'create', '-f', specFile('x.y.k8s.local', 'gce-dots'), '--yes');
    assert.equal(b.code, 0, b.stderr);
    const networks = compute.list('networks').map((n) => n.name);
    assert.equal(new Set(networks).size, 2, `two networks: ${networks.join(', ')}`);
    for (const name of ['x-y.k8s.local', 'x.y.k8s.local']) assert.equal((await run('names', 'update', 'cluster', name, '--detailed-exitcode')).code, 0, `${name} plans zero changes`);
    assert.equal((await run('names', 'delete', 'cluster', 'x-y.k8s.local', '--yes')).code, 0);
    assert.ok(compute.all().length > 0 && compute.all().every((o) => !o.description || /k8sup-cluster=x\.y\.k8s\.local /.test(o.description)), 'only x.y.k8s.local is left');
    assert.equal((await run('names', 'delete', 'cluster', 'x.y.k8s.local', '--yes')).code, 0);
    assert.deepEqual(compute.all(), []);
  });

  it('without a state, delete --cloud gce lists (then with --yes deletes) everything carrying the cluster marker', async () => {
    const name = 'lost.k8s.local';
    assert.equal((await run('lost', 'create', '-f', specFile(name, 'gce-lost'), '--yes')).code, 0);
    assert.ok(compute.list('instances').length > 0);
    const before = snapshot();
    // Another store prefix holds no such cluster: as if the state were lost.
    const args = ['delete', 'cluster', name, '--cloud', 'gce', '--region', 'us-central1', '--project', PROJECT];
    const dry = await run('elsewhere', ...args);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /to delete/);
    assert.equal(snapshot(), before, 'without --yes nothing is deleted');
    const gone = await run('elsewhere', ...args, '--yes');
    assert.equal(gone.code, 0, gone.stderr);
    assert.deepEqual(compute.all(), []);
    // Nothing left: the same plan document as any delete, with no steps.
    const nothing = await run('elsewhere', ...args, '-o', 'json');
    assert.equal(nothing.code, 0, nothing.stderr);
    assert.deepEqual(JSON.parse(nothing.stdout), { formatVersion: 1, cluster: name, summary: { create: 0, update: 0, replace: 0, delete: 0, noop: 0 }, steps: [] });
  });
});
