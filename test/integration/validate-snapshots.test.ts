// validate and `get addons` know the snapshot-controller addon: on GCE (on by default with the PD CSI driver) its
// Deployment must be rolled out like every enabled addon's workload; turned off, validate does not ask for it. Against
// the fake kube-apiserver, which serves the workloads of every enabled addon (it serves no CRDs: the manifests' schema
// is checked in test/unit/manifest-schema.test.ts instead).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadCluster } from '../../src/api/index.js';
import type { Cluster } from '../../src/api/types.js';
import { validateOnce, type ValidationReport } from '../../src/validate/index.js';
import { addonStatusRows } from '../../src/validate/addons.js';
import { healthyClusterState, makeTestPki, startFakeKubeApiserver, type FakeKubeApiserver, type TestPki } from '../fakes/kube-apiserver.js';

const gce = (addons?: Record<string, { enabled: boolean }>): Cluster =>
  loadCluster({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name: 'demo.k8s.local' }, spec: { cloud: 'gce', project: 'demo-project', zones: ['us-central1-b'], addons } });

let pki: TestPki;
let fake: FakeKubeApiserver;
const keys = (r: ValidationReport) => r.failures.map((f) => `${f.type} ${f.name}`);

before(async () => {
  pki = makeTestPki();
  fake = await startFakeKubeApiserver({ pki, state: healthyClusterState(gce()) });
});
after(async () => {
  await fake?.stop();
  pki?.cleanup();
});

test('GCE: the snapshot-controller Deployment is read; not rolled out or missing, the cluster is not valid', async () => {
  const cluster = gce();
  fake.state = healthyClusterState(cluster);
  fake.requests.length = 0;
  assert.deepEqual((await validateOnce(cluster, { kubeconfigYaml: fake.kubeconfig() })).failures, []);
  assert.ok(fake.requests.some((r) => r.url === '/apis/apps/v1/namespaces/kube-system/deployments/snapshot-controller'));

  fake.state.setDeploymentReady('kube-system', 'snapshot-controller', 0);
  const notReady = await validateOnce(cluster, { kubeconfigYaml: fake.kubeconfig() });
  assert.equal(notReady.valid, false);
  assert.deepEqual(keys(notReady), ['deployment kube-system/snapshot-controller']);

  fake.state.remove('deployments', fake.state.deployment('kube-system', 'snapshot-controller'));
  assert.deepEqual(keys(await validateOnce(cluster, { kubeconfigYaml: fake.kubeconfig() })), ['deployment kube-system/snapshot-controller']);
});

test('turned off: validate does not ask for it, and get addons shows it off by the spec', async () => {
  const cluster = gce({ 'snapshot-controller': { enabled: false } });
  fake.state = healthyClusterState(cluster);
  fake.requests.length = 0;
  assert.deepEqual((await validateOnce(cluster, { kubeconfigYaml: fake.kubeconfig() })).failures, []);
  assert.ok(!fake.requests.some((r) => r.url.includes('snapshot-controller')));
  const row = addonStatusRows(cluster, () => 'registry.k8s.io/sig-storage/snapshot-controller:v8.6.0').find((a) => a.name === 'snapshot-controller');
  assert.deepEqual(row, { name: 'snapshot-controller', version: 'v8.6.0', image: 'registry.k8s.io/sig-storage/snapshot-controller:v8.6.0', enabled: false, from: 'spec', running: '' });
  const on = addonStatusRows(gce(), () => '').find((a) => a.name === 'snapshot-controller');
  assert.deepEqual([on?.enabled, on?.from, on?.running], [true, 'default', 'unknown']);
});
