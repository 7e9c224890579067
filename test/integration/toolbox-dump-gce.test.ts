// `toolbox dump` on GCE through the built CLI, against the Compute and GCS fakes and a fake kube-apiserver at the
// cluster's endpoint: the provider's discover step lists the cluster's objects (instance templates, managed instance
// groups, firewalls…) with the startup script left out; the dump makes only reads (GETs and listManagedInstances on Compute, no object written
// to the bucket).

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import type { Cluster } from '../../src/api/types.js';
import { openBlobStore } from '../../src/state/open.js';
import { FakeCompute } from '../fakes/gce-compute.js';
import { FakeGcs } from '../fakes/gcs.js';
import { healthyClusterState, type FakeKubeApiserver } from '../fakes/kube-apiserver.js';
import { k8sup, tempHome } from '../helpers/cli.js';
import { startClusterApi } from '../helpers/cluster-api.js';

const compute = new FakeCompute({ project: 'dump-project' });
const gcs = new FakeGcs();
const home = tempHome();
const STATE = 'gs://k8sup-dump-state/prod';
const env = () => ({ HOME: home, K8SUP_GCE_ENDPOINT: compute.endpoint, STORAGE_EMULATOR_HOST: gcs.url, K8SUP_STATE_STORE: STATE });
const NAME = 'gdump.k8s.local';
let api: FakeKubeApiserver | undefined;

before(async () => {
  await compute.start();
  await gcs.start();
  gcs.createBucket('k8sup-dump-state', { uniformBucketLevelAccess: true });
});
after(async () => {
  await api?.stop();
  await compute.stop();
  await gcs.stop();
  rmSync(home, { recursive: true, force: true });
});

const bucketState = () => [...gcs.objects('k8sup-dump-state')].map(([k, o]) => `${k}#${o.generation}`).sort();

test('GCE: cloud resources without startup scripts, nodes and pods; reads only', { timeout: 240_000 }, async () => {
  const created = await k8sup(['create', 'cluster', NAME, '--zones', 'us-central1-b', '--project', 'dump-project', '--yes'], { env: env(), timeoutMs: 120_000 });
  assert.equal(created.code, 0, created.stderr);
  const cluster: Cluster = JSON.parse((await k8sup(['get', 'cluster', NAME, '-o', 'json'], { env: env() })).stdout);
  api = await startClusterApi(await openBlobStore(STATE, env(), home), NAME, healthyClusterState(cluster));

  const objects = bucketState();
  const requestsBefore = compute.requests.length;
  const r = await k8sup(['toolbox', 'dump', NAME], { env: env(), timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  const doc = parse(r.stdout);
  assert.equal(doc.cloud.reachable, true);
  const kinds = new Set(doc.cloud.resources.map((x: any) => x.kind));
  for (const k of ['network', 'subnetwork', 'firewall', 'instance-template', 'instance-group']) assert.ok(kinds.has(k), `no ${k} in ${[...kinds].join(', ')}`);
  assert.ok(doc.cloud.instanceGroups.some((g: any) => g.group === 'control-plane'));
  assert.equal(doc.kubernetes.reachable, true);
  assert.equal(doc.kubernetes.nodes.length, api.state.nodes.length);

  // The startup scripts of the instance templates (the nodes' loaders) appear nowhere in the dump.
  const scripts = compute.list('instanceTemplates').flatMap((t: any) => (t.properties?.metadata?.items ?? []).filter((i: any) => i.key === 'startup-script').map((i: any) => String(i.value)));
  assert.ok(scripts.length >= 2);
  for (const script of scripts) for (const line of script.split("\n").filter((l: string) => l.length > 40)) assert.ok(!r.stdout.includes(line), `startup script leaked: ${line}`);
  assert.doesNotMatch(r.stdout, /PRIVATE KEY/);

  const made = compute.requests.slice(requestsBefore);
  assert.ok(made.length > 0);
  // listManagedInstances (Compute) and getIamPolicy (Resource Manager, IAM) are POSTs in their APIs, and reads.
  assert.deepEqual(made.filter((q) => q.method !== 'GET' && !q.path.endsWith('/listManagedInstances') && !q.path.endsWith(':getIamPolicy')).map((q) => `${q.method} ${q.path}`), [], 'toolbox dump only reads from Compute');
  assert.deepEqual(bucketState(), objects, 'toolbox dump wrote to the state store');
});
