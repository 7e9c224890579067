// Every kind of every provider through the handler conformance suite (test/helpers/handler-conformance.ts), on its
// backend: AWS on moto, GCE on the Compute and GCS fakes. Bare-metal steps are not cloud objects (markers on hosts
// over SSH) and are covered by the metal integration tests instead.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadCluster } from '../../src/api/index.js';
import type { EngineDeps } from '../../src/core/engine.js';
import { RecordingIo } from '../../src/core/io.js';
import { MemoryBlobStore } from '../../src/state/memory.js';
import { providerState } from '../../src/lifecycle/provider-state.js';
import { createGceProvider, type GceClients } from '../../providers/gce/index.js';
import { FakeCompute } from '../fakes/gce-compute.js';
import { FakeGcs } from '../fakes/gcs.js';
import { runHandlerConformance } from '../helpers/handler-conformance.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { cluster, engineDeps } from './aws-helpers.js';

let moto: Moto;
const PROJECT = 'k8sup-conformance';
const compute = new FakeCompute({ project: PROJECT, pendingOperations: true });
const gcs = new FakeGcs();
gcs.createBucket('k8sup-state', { uniformBucketLevelAccess: true, project: PROJECT });
gcs.knownPrincipal = (member) => compute.iam.has(member.replace(/^serviceAccount:/, ''));

before(async () => {
  moto = await startMoto();
  await compute.start();
  await gcs.start();
});
after(async () => {
  await moto?.stop();
  await compute.stop();
  await gcs.stop();
});

test('aws: every kind conforms on moto (list, adopt on a repeated create, empty plan after apply, idempotent delete)', async () => {
  await moto.reset();
  // A DNS zone, so the Route53 record kind is in the graph too; the private topology with a bastion brings the NAT
  // gateways and their addresses.
  const c = cluster('conformance.example.com', ['us-east-2a', 'us-east-2b'], { api: { dnsZone: 'example.com' }, topology: 'private', bastion: {} });
  const deps = await engineDeps(c, moto.env);
  await deps.clients.route53.call('CreateHostedZone', { Name: 'example.com', CallerReference: 'k8sup-conformance' });
  // The shared tag marks an existing VPC, and a cluster in an existing VPC makes no VPC of its own.
  const elsewhere = { 'shared-tag': 'test/integration/aws-topology.test.ts (an existing VPC: used, tagged shared, untouched and its tags restored after delete)' };
  const report = await runHandlerConformance({ deps, nodes: deps.nodes, elsewhere });
  assert.equal(report.kinds.length, deps.handlers.length);
  assert.ok(report.adopted.includes('vpc') && report.deleted.includes('dns-record/api'));
});

test('gce: every kind conforms on the Compute and GCS fakes', async () => {
  const provider = createGceProvider();
  const c = loadCluster({
    apiVersion: 'k8sup.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'conformance.example.com' },
    spec: {
      cloud: 'gce',
      project: PROJECT,
      zones: ['us-central1-b'],
      ssh: { access: ['198.51.100.0/24'] },
      // A DNS zone, so the Cloud DNS record kind is in the graph too; private nodes bring the Cloud Router (NAT).
      api: { adminAccess: ['203.0.113.0/24'], dnsZone: 'example.com' },
      topology: 'private',
    },
  });
  compute.dns.createZone('example.com.', 'example-com');
  const io = new RecordingIo();
  const clients = await provider.connect(c, { io, env: { K8SUP_GCE_ENDPOINT: compute.endpoint, STORAGE_EMULATOR_HOST: gcs.url }, home: '/nonexistent', state: providerState(new MemoryBlobStore('gs://k8sup-state/prod'), c.metadata.name) });
  const deps: EngineDeps<GceClients> = {
    cluster: c.metadata.name,
    clusterId: c.metadata.uid,
    handlers: provider.handlers,
    clients,
    classifyError: provider.classifyError,
    io,
    retry: { baseDelayMs: 5, maxDelayMs: 50, maxAttempts: 8, maxDependencyAttempts: 20 },
  };
  const inputs = { stateStore: 'gs://k8sup-state/prod', caCertPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', caCertHash: `sha256:${'ab'.repeat(32)}` };
  const report = await runHandlerConformance({ deps, nodes: provider.buildGraph(c, inputs) });
  assert.equal(report.kinds.length, provider.handlers.length);
});
