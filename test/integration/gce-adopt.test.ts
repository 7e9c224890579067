// GCE create is idempotent under retries: when an insert's answer is lost and the engine retries it, Compute answers
// 409 alreadyExists. An object carrying this resource's marker is that first create — adopted, not failed, and not
// made twice — while a same-named object that belongs to anyone else is refused, never taken over.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadCluster } from '../../src/api/index.js';
import { resolveRefs } from '../../src/core/graph.js';
import { RecordingIo } from '../../src/core/io.js';
import type { HandlerContext, ResolvedFields, ResourceNode } from '../../src/core/resource.js';
import { MemoryBlobStore } from '../../src/state/memory.js';
import { createGceProvider, type GceClients } from '../../providers/gce/index.js';
import { FakeCompute } from '../fakes/gce-compute.js';
import { providerState } from '../../src/lifecycle/provider-state.js';

const PROJECT = 'k8sup-adopt';
const inputs = { stateStore: 'gs://k8sup-state/prod', caCertPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', caCertHash: `sha256:${'ab'.repeat(32)}` };
const fake = new FakeCompute({ project: PROJECT, pendingOperations: true });
const provider = createGceProvider();

const cluster = (name: string) =>
  loadCluster({
    apiVersion: 'k8sup.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name },
    spec: { cloud: 'gce', project: PROJECT, zones: ['us-central1-b'], ssh: { access: ['198.51.100.0/24'] }, api: { adminAccess: ['203.0.113.0/24'] } },
  });

async function setup(name: string) {
  const c = cluster(name);
  const io = new RecordingIo();
  const clients = await provider.connect(c, { io, env: { K8SUP_GCE_ENDPOINT: fake.endpoint }, home: '/nonexistent', state: providerState(new MemoryBlobStore(), c.metadata.name) });
  const ctx: HandlerContext<GceClients> = { clients, cluster: name, signal: new AbortController().signal, io };
  const node = provider.buildGraph(c, inputs).find((n) => n.kind === 'network') as ResourceNode;
  const handler = provider.handlers.find((h) => h.kind === 'network')!;
  const fields = resolveRefs(node.fields, {}) as ResolvedFields;
  return { ctx, node, handler, fields };
}

before(() => fake.start());
after(() => fake.stop());

test('a retried create that meets its own first create (409) adopts it: same object, nothing made twice', async () => {
  const { ctx, node, handler, fields } = await setup('adopt.k8s.local');
  const first = await handler.create(node, fields, ctx);
  const inserts = () => fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/global/networks'));
  // The retry: the same insert again, as after a lost answer.
  const retried = await handler.create(node, fields, ctx);
  assert.equal(inserts().at(-1)?.status, 409, 'Compute refused the second insert');
  assert.deepEqual(retried, first, 'the retry returns the object the first create made');
  assert.equal(fake.list('networks').filter((n) => n.name === fields.name).length, 1);
  assert.deepEqual((await handler.list(ctx)).map((l) => l.id), [node.id]);
});

test('a same-named object without this resource marker is refused, not adopted', async () => {
  const { ctx, node, handler, fields } = await setup('taken.k8s.local');
  // Someone made a network with the name k8sup would use, by hand: no k8sup marker in its description.
  fake.seed('global', 'networks', { name: fields.name, description: 'made by hand', autoCreateSubnetworks: false });
  await assert.rejects(handler.create(node, fields, ctx), new RegExp(`network ${fields.name} already exists and does not belong to ${node.id} of cluster taken\\.k8s\\.local`));
  assert.equal(fake.list('networks').find((n) => n.name === fields.name)?.description, 'made by hand', 'left as it was');
});
