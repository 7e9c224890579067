// End to end through the engine against the Compute REST fake, driven by the real @google-cloud/compute client
// (REST transport, K8SUP_GCE_ENDPOINT, no credentials): create → re-plan is empty → a node-count change is one
// update → destroy leaves nothing labelled with the cluster while another cluster's resources survive. The state
// bucket is the GCS fake (STORAGE_EMULATOR_HOST), whose IAM policy holds the roles' conditional bindings.

import { bundleOf } from '../helpers/loader.js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadCluster, type Cluster } from '../../src/api/index.js';
import { apply, destroy, isEmptyPlan, plan, type EngineDeps } from '../../src/core/engine.js';
import { RecordingIo } from '../../src/core/io.js';
import { MemoryBlobStore } from '../../src/state/memory.js';
import { createGceProvider, type CallRecord, type GceClients } from '../../providers/gce/index.js';
import { clusterLabel, LABEL_CLUSTER } from '../../providers/gce/model/names.js';
import { FakeCompute } from '../fakes/gce-compute.js';
import { FakeGcs } from '../fakes/gcs.js';
import { providerState } from '../../src/lifecycle/provider-state.js';

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
const gcs = new FakeGcs();
gcs.createBucket('k8sup-state', { uniformBucketLevelAccess: true, project: PROJECT });
gcs.createBucket('k8sup-fine-grained', { uniformBucketLevelAccess: false, project: PROJECT });
// IAM refuses bindings for service accounts it does not know.
gcs.knownPrincipal = (member) => fake.iam.has(member.replace(/^serviceAccount:/, ''));
const env = () => ({ K8SUP_GCE_ENDPOINT: fake.endpoint, STORAGE_EMULATOR_HOST: gcs.url });

async function deps(c: Cluster, io = new RecordingIo(), store = inputs.stateStore): Promise<EngineDeps<GceClients>> {
  const clients = await provider.connect(c, { io, env: env(), home: '/nonexistent', state: providerState(new MemoryBlobStore(store), c.metadata.name) });
  return { cluster: c.metadata.name, handlers: provider.handlers, clients, classifyError: provider.classifyError, io, retry: { baseDelayMs: 5, maxDelayMs: 50 } as never };
}

before(async () => {
  await fake.start();
  await gcs.start();
});
after(async () => {
  await fake.stop();
  await gcs.stop();
});

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
    // (The startup script is the loader of the group's bundle, which holds the script.)
    const bundles = provider.bootstrapBundles!(c, inputs);
    assert.equal(scripts.filter((s) => /^\s*kubeadm init --config/m.test(bundleOf(s, bundles))).length, 1);
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
    // Per-role identity: two service accounts of the cluster; every template runs as its role's, none as `default`.
    const accounts = fake.iam.list();
    assert.equal(accounts.length, 2);
    assert.ok(accounts.every((a) => /^k8sup-(cp|node)-[0-9a-f]{10}@k8sup-test\.iam\.gserviceaccount\.com$/.test(a.email) && a.description.includes(`k8sup-cluster=${name} `)), JSON.stringify(accounts));
    const cpAccount = accounts.find((a) => a.email.startsWith('k8sup-cp-'))!.email;
    const nodeAccount = accounts.find((a) => a.email.startsWith('k8sup-node-'))!.email;
    for (const t of fake.list('instanceTemplates')) {
      const emails = t.properties.serviceAccounts.map((x: { email: string }) => x.email);
      assert.deepEqual(emails, [t.properties.labels['k8sup-role'] === 'control-plane' ? cpAccount : nodeAccount], t.name);
    }
    // The state bucket's policy, evaluated the way GCS authorises requests.
    const key = (k: string) => `prod/${name}/${k}`;
    const can = (account: string, permission: string, object?: string) => gcs.permits('k8sup-state', `serviceAccount:${account}`, permission, object);
    assert.ok(can(nodeAccount, 'storage.objects.get', key('bootstrap/token')), 'nodes read the join token');
    for (const secret of ['pki/ca.key', 'pki/sa.key', 'pki/front-proxy-ca.key', 'pki/etcd/ca.key']) {
      assert.ok(!can(nodeAccount, 'storage.objects.get', key(secret)), `nodes cannot read ${secret}`);
      assert.ok(can(cpAccount, 'storage.objects.get', key(secret)), `control planes read ${secret}`);
    }
    assert.ok(!can(nodeAccount, 'storage.objects.create', key('bootstrap/token')), 'nodes cannot write');
    // …except their own bootstrap reports, which they replace at every step.
    const report = key('nodes/status/instance-1.json');
    assert.ok(can(nodeAccount, 'storage.objects.create', report) && can(nodeAccount, 'storage.objects.delete', report), 'nodes write their bootstrap reports');
    assert.ok(!can(nodeAccount, 'storage.objects.create', key('pki/ca.key')), 'and nothing else');
    assert.ok(can(cpAccount, 'storage.objects.create', key('bootstrap/token')) && can(cpAccount, 'storage.objects.delete', key('bootstrap/token')), 'control planes replace tokens');
    for (const account of [cpAccount, nodeAccount]) {
      assert.ok(!can(account, 'storage.objects.get', 'prod/other.k8s.local/pki/ca.key'), 'no access to another cluster');
      assert.ok(!can(account, 'storage.objects.get', `prod/${name}-evil/bootstrap/token`), 'the prefix ends at the cluster folder');
      assert.ok(!can(account, 'storage.objects.list'), 'no listing of the bucket');
    }
    assert.ok(gcs.iamPolicy('k8sup-state').bindings.some((b) => b.role === 'roles/storage.legacyBucketOwner'), "the bucket's own bindings are kept");
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
    // Without spec.api.dnsZone the dns-record kind has nothing to look at and makes no call; the bucket bindings are
    // one getIamPolicy of the state bucket, the project roles one of the project, who may act as the accounts one per
    // account.
    assert.equal(listCalls.length, provider.handlers.length - 4 + 1, 'one list per Compute kind and service accounts, plus the zones check in connect');
    assert.equal(calls.slice(from).filter((x) => x.method === 'getIamPolicy').length, 4);
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

  it('identity under faults: lost replies, a policy written in between (412), an account IAM does not know yet', async () => {
    const c = cluster('faults.k8s.local', 1);
    const nodes = provider.buildGraph(c, inputs);
    const d = await deps(c);
    // The service account is created but the answer is lost; the first policy write is answered 412 (someone wrote
    // the policy since it was read) and another is carried out but its answer lost; the bucket's IAM does not know
    // the new accounts for the first two writes.
    const [fromCompute, fromGcs] = [fake.requests.length, gcs.requests.length];
    fake.injectLostReply((m, p) => m === 'POST' && p.endsWith('/serviceAccounts'));
    gcs.injectFault((m, p) => m === 'PUT' && p.endsWith('/iam'), 412, 'conditionNotMet');
    gcs.injectLostReply((m, p) => m === 'PUT' && p.endsWith('/iam'));
    let unknown = 2;
    const known = gcs.knownPrincipal!;
    gcs.knownPrincipal = (member) => (unknown-- > 0 ? false : known(member));
    try {
      const p = await plan(nodes, d);
      await apply(p.plan, nodes, p.live, d);
    } finally {
      gcs.knownPrincipal = known;
    }
    // The faults happened and were retried: a create answered by the lost reply, a write refused, one lost.
    const creates = fake.requests.slice(fromCompute).filter((r) => r.method === 'POST' && r.path.endsWith('/serviceAccounts'));
    assert.deepEqual(creates.map((r) => r.status).sort(), [0, 200, 409], 'the lost create is retried and adopted (409)');
    const writes = gcs.requests.slice(fromGcs).filter((r) => r.method === 'PUT' && r.path.endsWith('/iam')).map((r) => r.status);
    assert.ok(writes.includes(412) && writes.includes(0) && writes.filter((x) => x === 400).length === 2 && writes.filter((x) => x === 200).length >= 2, JSON.stringify(writes));
    const mine = (b: { condition?: { description?: string } }) => (b.condition?.description ?? '').includes('k8sup-cluster=faults.k8s.local ');
    assert.equal(gcs.iamPolicy('k8sup-state').bindings.filter(mine).length, 3, 'each binding made once (nodes: bootstrap/ and their status reports), no duplicates');
    assert.equal(fake.iam.list().filter((a) => a.description.includes('k8sup-cluster=faults.k8s.local ')).length, 2, 'no duplicate accounts');
    assert.ok(isEmptyPlan((await plan(nodes, d)).plan));
    await destroy(nodes, d);
    assert.equal(gcs.iamPolicy('k8sup-state').bindings.filter(mine).length, 0);
    assert.equal(fake.iam.list().filter((a) => a.description.includes('k8sup-cluster=faults.k8s.local ')).length, 0);
  });

  it('a state bucket without uniform bucket-level access is refused with how to turn it on; nothing is granted', async () => {
    const c = cluster('fine.k8s.local', 1);
    const store = 'gs://k8sup-fine-grained/prod';
    const nodes = provider.buildGraph(c, { ...inputs, stateStore: store });
    const d = await deps(c, new RecordingIo(), store);
    const p = await plan(nodes, d);
    const err = await apply(p.plan, nodes, p.live, d).then(() => null, (e: any) => e);
    assert.ok(err, 'apply must fail');
    const text = `${err.message} ${JSON.stringify(err.failed ?? [])}`;
    assert.match(text, /gs:\/\/k8sup-fine-grained: per-role access to the state store needs uniform bucket-level access/, text);
    assert.ok(!gcs.iamPolicy('k8sup-fine-grained').bindings.some((b) => b.condition), 'no conditional binding was written');
    await destroy(nodes, d);
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
    // The other cluster's bindings stay; ours are gone, and so are our service accounts.
    const conditional = () => gcs.iamPolicy('k8sup-state').bindings.filter((b) => b.condition);
    assert.equal(conditional().length, 3);
    assert.ok(conditional().every((b) => b.condition!.description!.includes('k8sup-cluster=demo-k8s-local-2.example ')));
    assert.equal(fake.iam.list().length, 2);
    await destroy(otherNodes, od);
    assert.deepEqual(fake.all(), []);
    assert.deepEqual(fake.iam.list(), []);
    assert.deepEqual(conditional(), []);
    assert.equal(gcs.iamPolicy('k8sup-state').bindings.length, 2, "the bucket's own bindings are kept");
  });
});
