// GCE topologies end to end through the engine against the Compute REST fake (real @google-cloud/compute client,
// K8SUP_GCE_ENDPOINT): the private topology (instances without external addresses, a Cloud Router whose Cloud NAT
// serves the cluster's subnetwork) create → no-op plan → destroy with nothing left; an existing network and
// subnetwork used as they are and left exactly as they were; and the refusals at connect (exit 2, before any change).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadCluster, type Cluster } from '../../src/api/index.js';
import { apply, destroy, isEmptyPlan, plan, type EngineDeps } from '../../src/core/engine.js';
import { InvalidInputError } from '../../src/core/errors.js';
import { RecordingIo } from '../../src/core/io.js';
import { providerState } from '../../src/lifecycle/provider-state.js';
import { MemoryBlobStore } from '../../src/state/memory.js';
import { createGceProvider, type GceClients } from '../../providers/gce/index.js';
import { FakeCompute, SELF_LINK_BASE } from '../fakes/gce-compute.js';
import { FakeGcs } from '../fakes/gcs.js';

const PROJECT = 'k8sup-test';
const PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE7GmJ6n0hJ3mX5Xz2nJ5j1q2bV8a3k4Yc2dQ9s7vW1x test@k8sup';
const inputs = { stateStore: 'gs://k8sup-state/prod', caCertPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', caCertHash: `sha256:${'ab'.repeat(32)}` };
const ZONES = ['us-central1-b', 'us-central1-c'];

function cluster(name: string, spec: Record<string, unknown>): Cluster {
  return loadCluster({
    apiVersion: 'k8sup.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name, uid: `uid-${name.split('.')[0]}` },
    spec: { cloud: 'gce', project: PROJECT, zones: ZONES, nodeGroups: [{ name: 'nodes', minSize: 2, maxSize: 2, zones: ZONES }], ssh: { publicKey: PUBLIC_KEY, access: ['198.51.100.0/24'] }, ...spec },
  });
}

const fake = new FakeCompute({ project: PROJECT, pendingOperations: true });
const provider = createGceProvider();
const gcs = new FakeGcs();
gcs.createBucket('k8sup-state', { uniformBucketLevelAccess: true, project: PROJECT });
gcs.knownPrincipal = (member) => fake.iam.has(member.replace(/^serviceAccount:/, ''));
const env = () => ({ K8SUP_GCE_ENDPOINT: fake.endpoint, STORAGE_EMULATOR_HOST: gcs.url });

async function deps(c: Cluster): Promise<EngineDeps<GceClients>> {
  const io = new RecordingIo();
  const clients = await provider.connect(c, { io, env: env(), home: '/nonexistent', state: providerState(new MemoryBlobStore(inputs.stateStore), c.metadata.name) });
  return { cluster: c.metadata.name, clusterId: c.metadata.uid, handlers: provider.handlers, clients, classifyError: provider.classifyError, io, retry: { baseDelayMs: 5, maxDelayMs: 50 } as never };
}

async function createAndReplan(c: Cluster) {
  const nodes = provider.buildGraph(c, inputs);
  const d = await deps(c);
  const first = await plan(nodes, d);
  await apply(first.plan, nodes, first.live, d);
  const again = await plan(nodes, d);
  assert.ok(isEmptyPlan(again.plan), `a second plan is empty: ${JSON.stringify(again.plan.steps.filter((s) => s.action !== 'noop'), null, 1)}`);
  return { nodes, d };
}

const ours = (name: string) => fake.all().filter((o) => (o.description ?? '').includes(`k8sup-cluster=${name} `) || JSON.stringify(o.labels ?? {}).includes(name.replace(/\./g, '-')));

before(async () => {
  await fake.start();
  await gcs.start();
});
after(async () => {
  await fake.stop();
  await gcs.stop();
});

describe('GCE private topology on the Compute fake', () => {
  const name = 'priv.k8s.local';

  it('create: no instance has an external address; one Cloud NAT serves the cluster subnetwork; re-plan empty; destroy leaves nothing', async () => {
    const c = cluster(name, { topology: 'private' });
    const { nodes, d } = await createAndReplan(c);
    const instances = fake.list('instances');
    assert.equal(instances.length, 3, 'one control plane, two nodes');
    for (const i of instances) {
      assert.equal(i.networkInterfaces.length, 1, i.name);
      assert.deepEqual(i.networkInterfaces[0].accessConfigs, [], `${i.name} has no external address`);
    }
    const routers = fake.list('routers');
    assert.equal(routers.length, 1);
    const [router] = routers;
    const subnet = fake.list('subnetworks').find((s) => !s.purpose)!;
    assert.equal(router.network, subnet.network);
    assert.equal(router.nats.length, 1);
    assert.equal(router.nats[0].natIpAllocateOption, 'AUTO_ONLY');
    assert.deepEqual(router.nats[0].subnetworks, [{ name: subnet.selfLink, sourceIpRangesToNat: ['ALL_IP_RANGES'] }]);
    // Fields the API filled in did not turn into a perpetual diff (the re-plan above was empty).
    assert.deepEqual(router.nats[0].endpointTypes, ['ENDPOINT_TYPE_VM']);

    await destroy(nodes, d);
    assert.deepEqual(ours(name), [], 'nothing of the cluster is left');
    assert.deepEqual(fake.list('routers'), []);
  });

  it('--api-loadbalancer-type internal: no external address or forwarding rule; the endpoint is the internal address', async () => {
    const c = cluster('int.k8s.local', { topology: 'private', api: { adminAccess: ['0.0.0.0/0'], loadBalancerType: 'internal' } });
    const nodes = provider.buildGraph(c, inputs);
    const d = await deps(c);
    const first = await plan(nodes, d);
    const result = await apply(first.plan, nodes, first.live, d);
    assert.ok(isEmptyPlan((await plan(nodes, d)).plan));
    assert.deepEqual(fake.list('addresses').map((a) => a.addressType), ['INTERNAL']);
    assert.deepEqual(fake.list('forwardingRules').map((r) => r.loadBalancingScheme), ['INTERNAL_MANAGED']);
    assert.ok(!fake.list('firewalls').some((f) => f.sourceRanges.includes('0.0.0.0/0')), 'nothing is open to the internet');
    assert.equal(provider.apiEndpoint!(result.outputs), `https://${fake.list('addresses')[0].address}:6443`);
    await destroy(nodes, d);
    assert.deepEqual(ours('int.k8s.local'), []);
  });

  it('a public cluster has external addresses and no router (the default is unchanged)', async () => {
    const c = cluster('pub.k8s.local', {});
    const { nodes, d } = await createAndReplan(c);
    assert.ok(fake.list('instances').every((i) => i.networkInterfaces[0].accessConfigs.length === 1 && i.networkInterfaces[0].accessConfigs[0].natIP));
    assert.deepEqual(fake.list('routers'), []);
    await destroy(nodes, d);
    assert.deepEqual(ours('pub.k8s.local'), []);
  });
});

describe('GCE existing network and subnetwork on the Compute fake', () => {
  const name = 'shared.k8s.local';
  let network: Record<string, any>;
  let subnet: Record<string, any>;

  before(() => {
    network = fake.seed('global', 'networks', { name: 'corp-net', autoCreateSubnetworks: false, routingConfig: { routingMode: 'REGIONAL' }, mtu: 1460 });
    subnet = fake.seed('regions/us-central1', 'subnetworks', { name: 'corp-apps', network: network.selfLink, ipCidrRange: '10.20.0.0/20', privateIpGoogleAccess: false });
  });

  it('is used as it is (instances and the internal API address in it) and survives destroy untouched', async () => {
    const before = JSON.stringify([network, subnet].map((o) => fake.list(o.kind === 'compute#network' ? 'networks' : 'subnetworks').find((x) => x.selfLink === o.selfLink)));
    const c = cluster(name, { topology: 'private', networking: { networkId: 'corp-net', subnets: ['corp-apps'], networkCIDR: '10.20.0.0/20' } });
    const { nodes, d } = await createAndReplan(c);
    assert.ok(!nodes.some((n) => n.kind === 'network' || n.id === 'subnetwork/us-central1'), 'the graph makes no network or regular subnetwork');
    for (const t of fake.list('instanceTemplates')) {
      assert.equal(t.properties.networkInterfaces[0].network, network.selfLink);
      assert.equal(t.properties.networkInterfaces[0].subnetwork, subnet.selfLink);
    }
    const internal = fake.list('addresses').find((a) => a.addressType === 'INTERNAL')!;
    assert.equal(internal.subnetwork, subnet.selfLink);
    assert.match(internal.address, /^10\.20\./);
    assert.ok(fake.list('firewalls').every((f) => f.network === network.selfLink));
    assert.equal(fake.list('routers')[0].nats[0].subnetworks[0].name, subnet.selfLink, "Cloud NAT serves only the cluster's subnetwork");

    await destroy(nodes, d);
    assert.deepEqual(ours(name), [], 'everything k8sup made is gone');
    const after = JSON.stringify([network, subnet].map((o) => fake.list(o.kind === 'compute#network' ? 'networks' : 'subnetworks').find((x) => x.selfLink === o.selfLink)));
    assert.equal(after, before, 'the network and subnetwork are exactly as they were');
  });

  const refusals: [string, Record<string, unknown>, RegExp][] = [
    ['a network that does not exist', { networkId: 'no-such-net', subnets: ['corp-apps'], networkCIDR: '10.20.0.0/20' }, /network no-such-net does not exist/],
    ['a subnetwork that does not exist', { networkId: 'corp-net', subnets: ['nope'], networkCIDR: '10.20.0.0/20' }, /subnetwork nope does not exist in region us-central1/],
    ['a networkCIDR that does not hold the subnetwork', { networkId: 'corp-net', subnets: ['corp-apps'] }, /172\.20\.0\.0\/16 does not contain corp-apps's range 10\.20\.0\.0\/20/],
  ];
  for (const [what, networking, message] of refusals) {
    it(`refused at connect with exit 2, nothing made: ${what}`, async () => {
      const count = fake.all().length;
      const err = await deps(cluster('refused.k8s.local', { networking })).then(() => null, (e: unknown) => e);
      assert.ok(err instanceof InvalidInputError, String(err));
      assert.equal(err.exitCode, 2);
      assert.match(err.message, message);
      assert.ok(err.hint);
      assert.equal(fake.all().length, count);
    });
  }
});

describe('the Compute fake is as strict about Cloud NAT as the API', () => {
  it('refuses a second NAT for a served subnetwork, a proxy-only subnetwork, and deleting a subnetwork a NAT serves', async () => {
    const net = fake.seed('global', 'networks', { name: 'strict-net', autoCreateSubnetworks: false });
    const sub = fake.seed('regions/us-central1', 'subnetworks', { name: 'strict-sub', network: net.selfLink, ipCidrRange: '10.30.0.0/24' });
    const proxy = fake.seed('regions/us-central1', 'subnetworks', { name: 'strict-proxy', network: net.selfLink, ipCidrRange: '10.31.0.0/23', purpose: 'REGIONAL_MANAGED_PROXY', role: 'ACTIVE' });
    const nat = (subnetworks: string[]) => ({ name: 'n1', natIpAllocateOption: 'AUTO_ONLY', sourceSubnetworkIpRangesToNat: 'LIST_OF_SUBNETWORKS', subnetworks: subnetworks.map((s) => ({ name: s, sourceIpRangesToNat: ['ALL_IP_RANGES'] })) });
    const base = `${fake.endpoint}/compute/v1/projects/${PROJECT}/regions/us-central1/routers`;
    const post = (body: unknown) => fetch(base, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await post({ name: 'r1', network: net.selfLink, nats: [nat([sub.selfLink])] })).status, 200);
    const second = await post({ name: 'r2', network: net.selfLink, nats: [nat([sub.selfLink])] });
    assert.equal(second.status, 400);
    assert.match(JSON.stringify(await second.json()), /already serves/);
    assert.equal((await post({ name: 'r3', network: net.selfLink, nats: [nat([proxy.selfLink])] })).status, 400);
    assert.equal((await post({ name: 'r4', network: net.selfLink, nats: [{ ...nat([]), sourceSubnetworkIpRangesToNat: 'LIST_OF_SUBNETWORKS' }] })).status, 400, 'LIST_OF_SUBNETWORKS needs subnetworks');
    const del = await fetch(`${SELF_LINK_BASE.replace('https://www.googleapis.com/compute/v1', `${fake.endpoint}/compute/v1`)}/projects/${PROJECT}/regions/us-central1/subnetworks/strict-sub`, { method: 'DELETE' });
    assert.equal(del.status, 400);
    assert.match(JSON.stringify(await del.json()), /resourceInUseByAnotherResource/);
    const got = (await (await fetch(`${base}/r1`)).json()) as Record<string, any>;
    assert.equal(got.kind, 'compute#router');
    assert.deepEqual(got.nats[0].endpointTypes, ['ENDPOINT_TYPE_VM'], 'the API fills in the endpoint types');
    for (const path of [`${base}/r1`]) assert.equal((await fetch(path, { method: 'DELETE' })).status, 200);
  });
});
