// validate on clouds with an external cloud-controller-manager, against the fake kube-apiserver (which fills
// spec.providerID as the real CCM does): every node must carry the cloud's provider ID, and the CCM and the EBS CSI
// controller must be rolled out like every enabled addon.

import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { withDefaults } from '../../src/api/defaults.js';
import type { Cluster } from '../../src/api/types.js';
import { validateOnce, type ValidationReport } from '../../src/validate/index.js';
import { healthyClusterState, makeTestPki, startFakeKubeApiserver, type FakeKubeApiserver, type TestPki } from '../fakes/kube-apiserver.js';

const aws = (addons?: Record<string, { enabled: boolean }>): Cluster =>
  withDefaults({ metadata: { name: 'demo.k8s.local' }, spec: { zones: ['us-east-2a', 'us-east-2b'], controlPlane: { count: 1 }, nodeGroups: [{ name: 'nodes', minSize: 2, maxSize: 2 }], addons } });

let pki: TestPki;
let fake: FakeKubeApiserver;
let cluster: Cluster;
const healthy = (c: Cluster) => {
  cluster = c;
  fake.state = healthyClusterState(c);
};
const check = () => validateOnce(cluster, { kubeconfigYaml: fake.kubeconfig() });
const keys = (r: ValidationReport) => r.failures.map((f) => `${f.type} ${f.name}`);

before(async () => {
  pki = makeTestPki();
  fake = await startFakeKubeApiserver({ pki, state: healthyClusterState(aws()) });
});
after(async () => {
  await fake?.stop();
  pki?.cleanup();
});
beforeEach(() => {
  healthy(aws());
  fake.requests.length = 0;
});

test('a healthy AWS cluster: every node has an aws:/// provider ID, the CCM and CSI workloads are ready', async () => {
  const nodes = fake.state.nodes.map((n) => n.spec.providerID as string);
  assert.equal(nodes.length, 3);
  for (const id of nodes) assert.match(id, /^aws:\/\/\/us-east-2[ab]\/i-[0-9a-f]{17}$/);
  const report = await check();
  assert.deepEqual(report.failures, []);
  assert.equal(report.valid, true);
  const read = fake.requests.map((r) => r.url);
  assert.ok(read.includes('/apis/apps/v1/namespaces/kube-system/daemonsets/aws-cloud-controller-manager'));
  assert.ok(read.includes('/apis/apps/v1/namespaces/kube-system/deployments/ebs-csi-controller'));
});

test('a node the CCM never initialised (no providerID) fails validate, by name', async () => {
  fake.state.setProviderId('nodes-2', undefined);
  const report = await check();
  assert.equal(report.valid, false);
  assert.deepEqual(keys(report), ['node nodes-2']);
  assert.match(report.failures[0].message, /no providerID: aws-cloud-controller-manager has not initialised it \(expected aws:\/\/\/us-east-2a\/i-/);
});

test('a provider ID of another shape is a failure too', async () => {
  fake.state.setProviderId('nodes-1', 'kind://docker/kind/nodes-1');
  const report = await check();
  assert.deepEqual(keys(report), ['node nodes-1']);
  assert.match(report.failures[0].message, /providerID kind:\/\/docker\/kind\/nodes-1, not one of this cloud's instances/);
});

test('the CCM and the CSI controller are addon workloads: missing or not rolled out is a failure', async () => {
  fake.state.remove('daemonsets', fake.state.daemonSet('kube-system', 'aws-cloud-controller-manager'));
  fake.state.setDeploymentReady('kube-system', 'ebs-csi-controller', 0);
  const report = await check();
  assert.deepEqual(keys(report).sort(), ['daemonset kube-system/aws-cloud-controller-manager', 'deployment kube-system/ebs-csi-controller']);
});

test('with the CCM turned off nothing sets provider IDs, and validate does not ask for them', async () => {
  healthy(aws({ 'aws-cloud-controller-manager': { enabled: false } }));
  for (const n of fake.state.nodes) fake.state.setProviderId(n.metadata.name, undefined);
  const report = await check();
  assert.deepEqual(report.failures, []);
  assert.ok(!fake.requests.some((r) => r.url.includes('aws-cloud-controller-manager')));
});

test('the fake fills GCE provider IDs as the GCP CCM does; bare metal nodes have none', () => {
  const gce = withDefaults({ metadata: { name: 'demo.k8s.local' }, spec: { zones: ['us-central1-b'], project: 'my-project' } });
  for (const n of healthyClusterState(gce).nodes) assert.equal(n.spec.providerID, `gce://my-project/us-central1-b/${n.metadata.name}`);
  const metal = withDefaults({ metadata: { name: 'demo.k8s.local' }, spec: { cloud: 'metal', hosts: [{ address: '10.0.0.11', role: 'control-plane' }] } });
  for (const n of healthyClusterState(metal).nodes) assert.equal(n.spec.providerID, undefined);
});
