// End to end through the engine against the Compute REST fake, driven by the real @google-cloud/compute client
// (REST transport, K8SUP_GCE_ENDPOINT, no credentials): create → re-plan is empty → a node-count change is one
// update → destroy leaves nothing labelled with the cluster while another cluster's resources survive.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadCluster, type Cluster } from '../../src/api/index.js';
import { apply, destroy, isEmptyPlan, plan, type EngineDeps } from '../../src/core/engine.js';
import { RecordingIo } from '../../src/core/io.js';
import { MemoryBlobStore } from '../../src/state/memory.js';
import { createGceProvider, type CallRecord, type GceClients } from '../../providers/gce/index.js';
import { clusterLabel, LABEL_CLUSTER } from '../../providers/gce/model/names.js';
import { FakeCompute } from '../fakes/gce-compute.js';

const PROJECT = 'k8sup-test';
const PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE7GmJ6n0hJ3mX5Xz2nJ5j1q2bV8a3k4Yc2dQ9s7vW1x test@k8sup';
const inputs = { stateStore: 'gs://k8sup-state/prod', caCertPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', caCertHash: `sha256:${'ab'.repeat(32)}` };

function cluster(name: string, nodeCount: number, extra: Record<string, unknown> = {}): Cluster {
  return loadCluster({
    apiVersion: 'k8sup.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name },
    spec: {
      cloud: 'gce',
      project: PROJECT,
      zones: ['us-central1-b', 'us-central1-c'],
      controlPlane: { count: 3, zones: ['us-central1-b', 'us-central1-c'] },
      nodeGroups: [{ name: 'nodes', minSize: nodeCount, maxSize: nodeCount, zones: ['us-central1-b', 'us-central1-c'] }],
      ssh: { publicKey: PUBLIC_KEY, access: ['198.51.100.0/24'] },
      api: { adminAccess: ['203.0.113.0/24'] },
      ...extra,
    },
  });
}

const fake = new FakeCompute({ project: PROJECT, pendingOperations: true });
const calls: CallRecord[] = [];
const provider = createGceProvider({ onCall: (c) => calls.push(c) });
const env = () => ({ K8SUP_GCE_ENDPOINT: fake.endpoint });

async function deps(c: Cluster, io = new RecordingIo()): Promise<EngineDeps<GceClients>> {
  const clients = await provider.connect(c, { io, env: env(), home: '/nonexistent', store: new MemoryBlobStore() });
  return { cluster: c.metadata.name, handlers: provider.handlers, clients, classifyError: provider.classifyError, io, retry: { baseDelayMs: 5, maxDelayMs: 50 } as never };
}

before(() => fake.start());
after(() => fake.stop());

describe('GCE lifecycle on the Compute fake', () => {
  const name = 'demo.k8s.local';
  const label = clusterLabel(name);

  it('create: every resource is made, instances come up labelled with the right counts, no private key in metadata', async () => {
    const c = cluster(name, 2);
    const nodes = provider.buildGraph(c, inputs);
    const d = await deps(c);
    const first = await plan(nodes, d);
    assert.equal(first.plan.steps.length, nodes.length);
    assert.ok(first.plan.steps.every((s) => s.action === 'create'));
    const result = await apply(first.plan, nodes, first.live, d);
    assert.match(provider.apiEndpoint!(result.outputs) ?? '', /^https:\/\/203\.0\.113\.\d+:6443$/);

    const instances = fake.list('instances');
    const byGroup = (g: string) => instances.filter((i) => i.labels['k8sup-node-group'] === g);
    assert.equal(byGroup('control-plane').length, 3);
    assert.equal(byGroup('nodes').length, 2);
    assert.ok(instances.every((i) => i.labels[LABEL_CLUSTER] === label));
    // Exactly one instance runs kubeadm init.
    const scripts = instances.map((i) => i.metadata.items.find((m: { key: string }) => m.key === 'startup-script').value as string);
    assert.equal(scripts.filter((s) => /kubeadm init/.test(s)).length, 1);
    for (const i of instances) {
      const text = JSON.stringify(i.metadata);
      assert.doesNotMatch(text, /PRIVATE KEY/);
      assert.match(text, /"key":"ssh-keys","value":"ubuntu:ssh-ed25519 /);
      // Nodes and joiners get the internal proxy load balancer's address; admins the public one.
      const item = (key: string) => i.metadata.items.find((m: { key: string }) => m.key === key).value;
      assert.equal(`https://${item('k8sup-api-public-address')}:6443`, provider.apiEndpoint!(result.outputs));
      assert.equal(item('k8sup-api-address'), result.outputs['address/api-internal'].address);
      assert.match(item('k8sup-api-address'), /^172\.20\.\d+\.\d+$/, 'an address of the cluster subnetwork');
    }
    // The API is reachable only through the load balancer chains, which point at the control-plane groups.
    const services = fake.list('backendServices');
    const bs = services.find((s) => s.loadBalancingScheme === 'EXTERNAL')!;
    const internalBs = services.find((s) => s.loadBalancingScheme === 'INTERNAL_MANAGED')!;
    assert.equal(bs.backends.length, 3, "cp (first zone), cp-join in both zones");
    assert.deepEqual(internalBs.backends.map((b: any) => b.group).sort(), bs.backends.map((b: any) => b.group).sort());
    const rules = fake.list('forwardingRules');
    const fr = rules.find((r) => r.loadBalancingScheme === 'EXTERNAL')!;
    assert.equal(fr.backendService, bs.selfLink);
    assert.equal(fr.labels[LABEL_CLUSTER], label);
    const internalFr = rules.find((r) => r.loadBalancingScheme === 'INTERNAL_MANAGED')!;
    const [proxy] = fake.list('targetTcpProxies');
    assert.equal(internalFr.target, proxy.selfLink);
    assert.equal(proxy.service, internalBs.selfLink);
    assert.ok(fake.list('subnetworks').some((sn) => sn.purpose === 'REGIONAL_MANAGED_PROXY' && sn.role === 'ACTIVE'));
    // Operations were pending: the provider waited on zonal, regional and global ones.
    const waits = new Set(calls.filter((x) => x.method === 'wait').map((x) => x.service));
    assert.deepEqual([...waits].sort(), ['globalOperations', 'regionOperations', 'zoneOperations']);
  });

  it('a second plan right after apply has zero changes, and listing takes one call per kind', async () => {
    const c = cluster(name, 2);
    const from = calls.length;
    const again = await plan(provider.buildGraph(c, inputs), await deps(c));
    assert.ok(isEmptyPlan(again.plan), JSON.stringify(again.plan.steps.filter((s) => s.action !== 'noop'), null, 1));
    const listCalls = calls.slice(from).filter((x) => x.method === 'list' || x.method === 'aggregatedList');
    // Without spec.api.dnsZone the dns-record kind has nothing to look at and makes no call.
    assert.equal(listCalls.length, provider.handlers.length - 1 + 1, 'one list per Compute kind plus the zones check in connect');
    assert.ok(!calls.slice(from).some((x) => x.service === 'resourceRecordSets' || x.service === 'managedZones'));
  });

  it('changing the node count is one in-place update (a resize), nothing replaced', async () => {
    const c = cluster(name, 4);
    const nodes = provider.buildGraph(c, inputs);
    const d = await deps(c);
    const p = await plan(nodes, d);
    const changed = p.plan.steps.filter((s) => s.action !== 'noop');
    assert.deepEqual(
      changed.map((s) => [s.id, s.action, s.changes.map((x) => x.field)]),
      [
        ['instance-group/nodes/us-central1-b', 'update', ['targetSize']],
        ['instance-group/nodes/us-central1-c', 'update', ['targetSize']],
      ],
    );
    const from = calls.length;
    await apply(p.plan, nodes, p.live, d);
    assert.deepEqual([...new Set(calls.slice(from).filter((x) => x.ok && !['list', 'aggregatedList', 'get', 'wait'].includes(x.method)).map((x) => `${x.service}.${x.method}`))], ['instanceGroupManagers.resize']);
    assert.equal(fake.list('instances').filter((i) => i.labels['k8sup-node-group'] === 'nodes').length, 4);
    assert.ok(isEmptyPlan((await plan(nodes, d)).plan));
  });

  it('a changed image is a new instance template, the groups switch to it and the old template is deleted', async () => {
    const c = cluster(name, 4, { image: 'projects/ubuntu-os-cloud/global/images/ubuntu-2404-noble-amd64-v20260101' });
    const nodes = provider.buildGraph(c, inputs);
    const d = await deps(c);
    const p = await plan(nodes, d);
    const summary = p.plan.steps.filter((s) => s.action !== 'noop').map((s) => `${s.action} ${s.kind}`);
    assert.equal(summary.filter((s) => s === 'create instance-template').length, 3);
    assert.equal(summary.filter((s) => s === 'delete instance-template').length, 3);
    assert.equal(summary.filter((s) => s === 'update instance-group').length, 5);
    assert.ok(!summary.some((s) => s.startsWith('replace')));
    await apply(p.plan, nodes, p.live, d);
    const templates = fake.list('instanceTemplates').filter((t) => t.name.startsWith('k8sup-demo-k8s-local-'));
    assert.equal(templates.length, 3);
    assert.ok(templates.every((t) => t.properties.disks[0].initializeParams.sourceImage.endsWith('v20260101')));
    assert.ok(isEmptyPlan((await plan(nodes, d)).plan));
  });

  it('throttling (429 rateLimitExceeded) and 503 are retried by the engine', async () => {
    const c = cluster(name, 5, { image: 'projects/ubuntu-os-cloud/global/images/ubuntu-2404-noble-amd64-v20260101' });
    const nodes = provider.buildGraph(c, inputs);
    const d = await deps(c);
    fake.injectFault((m, p) => m === 'POST' && p.endsWith('/resize'), 429, 'rateLimitExceeded');
    fake.injectFault((m, p) => m === 'POST' && p.endsWith('/resize'), 503, 'backendError');
    const p = await plan(nodes, d);
    await apply(p.plan, nodes, p.live, d);
    const retries = (d.io as RecordingIo).events.filter((e) => e.code === 'task.retry');
    assert.ok(retries.length >= 2, JSON.stringify(retries));
    assert.equal(fake.list('instances').filter((i) => i.labels['k8sup-node-group'] === 'nodes').length, 5);
  });

  it('destroy removes everything of the cluster and nothing of another cluster', async () => {
    const other = cluster('demo-k8s-local-2.example', 1);
    const otherNodes = provider.buildGraph(other, inputs);
    const od = await deps(other);
    const op = await plan(otherNodes, od);
    await apply(op.plan, otherNodes, op.live, od);
    const otherBefore = fake.all().filter((o) => JSON.stringify(o).includes('demo-k8s-local-2'));
    assert.ok(otherBefore.length > 10);

    const c = cluster(name, 5, { image: 'projects/ubuntu-os-cloud/global/images/ubuntu-2404-noble-amd64-v20260101' });
    await destroy(provider.buildGraph(c, inputs), await deps(c));
    assert.deepEqual(fake.labelled(LABEL_CLUSTER, label), [], 'nothing labelled with the cluster is left');
    assert.deepEqual(fake.all().filter((o) => (o.description ?? '').includes(`k8sup-cluster=${name} `)), [], 'no object with our marker is left');
    const otherAfter = fake.all().filter((o) => JSON.stringify(o).includes('demo-k8s-local-2'));
    assert.equal(otherAfter.length, otherBefore.length, "the other cluster's resources are untouched");
    assert.ok(isEmptyPlan((await plan(otherNodes, od)).plan));
    await destroy(otherNodes, od);
    assert.deepEqual(fake.all(), []);
  });
});
