// The IAM read-modify-write shared by GCE's three IAM-member kinds (providers/gce/resources/iam-policy.ts), against
// the strict fakes: another writer landing between k8sup's read and its write (the fakes apply a real write of
// theirs and a new etag) makes each API refuse k8sup's stale write as the real one does — Cloud Storage 412, IAM and
// Resource Manager 409 ABORTED — and k8sup starts over on a fresh read, so the other writer's bindings survive next
// to k8sup's, on create and on delete. A policy that never stops changing is given up after a bounded number of writes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCluster } from '../../src/api/index.js';
import { apply, destroy, plan, type EngineDeps } from '../../src/core/engine.js';
import { RecordingIo } from '../../src/core/io.js';
import { providerState } from '../../src/lifecycle/provider-state.js';
import { MemoryBlobStore } from '../../src/state/memory.js';
import type { GceClients } from '../../providers/gce/index.js';
import { identityNodes, serviceAccountEmail } from '../../providers/gce/model/identity.js';
import { projectIamMemberHandler } from '../../providers/gce/resources/project-iam-member.js';
import { POLICY_WRITE_ATTEMPTS } from '../../providers/gce/resources/iam-policy.js';
import { GceHttpError } from '../../providers/gce/errors.js';
import { GCE_TEST_INPUTS, GCE_TEST_PROJECT, useGceEngineCloud } from '../helpers/gce-engine-cloud.js';

const { fake, gcs, provider } = useGceEngineCloud();
const BUCKET = 'k8sup-state';

async function setup(name: string) {
  const c = loadCluster({
    apiVersion: 'k8sup.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name },
    spec: { project: GCE_TEST_PROJECT, zones: ['us-central1-b'], nodeGroups: [{ name: 'nodes', minSize: 1, maxSize: 3 }] },
  });
  const io = new RecordingIo();
  const clients = await provider.connect(c, { io, env: { K8SUP_GCE_ENDPOINT: fake.endpoint, STORAGE_EMULATOR_HOST: gcs.url }, home: '/nonexistent', state: providerState(new MemoryBlobStore(GCE_TEST_INPUTS.stateStore), c.metadata.name) });
  const deps: EngineDeps<GceClients> = { cluster: c.metadata.name, handlers: provider.handlers, clients, classifyError: provider.classifyError, io, retry: { baseDelayMs: 5, maxDelayMs: 50 } as never };
  // Only the identity: service accounts, their project roles, act-as on the nodes' account, state-bucket access.
  return { c, deps, nodes: identityNodes(c, GCE_TEST_INPUTS) };
}

const statuses = (records: { method: string; path: string; status: number }[], from: number, match: (path: string) => boolean) =>
  records.slice(from).filter((r) => r.method !== 'GET' && match(r.path)).map((r) => r.status);
const hasBinding = (bindings: { role: string; members: string[] }[], role: string, member: string) => bindings.some((b) => b.role === role && b.members.includes(member));

test('a write landing between read and write is met by a fresh read-modify-write in all three kinds; the other writer keeps its bindings', async () => {
  const { c, deps, nodes } = await setup('rmw.k8s.local');
  const cp = `serviceAccount:${serviceAccountEmail(c.metadata.name, GCE_TEST_PROJECT, 'control-plane')}`;
  const nodeEmail = serviceAccountEmail(c.metadata.name, GCE_TEST_PROJECT, 'node');
  const [fromCompute, fromGcs] = [fake.requests.length, gcs.requests.length];
  // Others write: twice on the bucket, twice on the nodes' account, once on the project, each just before one of ours.
  gcs.interleavedPolicyWrites.push([{ role: 'roles/storage.objectViewer', members: ['user:bob@example.com'] }], [{ role: 'roles/storage.objectViewer', members: ['group:audit@example.com'] }]);
  fake.iam.interleavedPolicyWrites.push([{ role: 'roles/iam.serviceAccountTokenCreator', members: ['user:carol@example.com'] }], [{ role: 'roles/iam.serviceAccountTokenCreator', members: ['user:erin@example.com'] }]);
  fake.projectIam.concurrentWrites = 1;

  const first = await plan(nodes, deps);
  await apply(first.plan, nodes, first.live, deps);

  assert.deepEqual([gcs.interleavedPolicyWrites.length, fake.iam.interleavedPolicyWrites.length, fake.projectIam.concurrentWrites], [0, 0, 0], 'every write of the others landed');
  // Each stale write was refused as the real API refuses it, and redone. (k8sup's three bucket bindings are written
  // in parallel, so they also race each other: at least the others' two writes were met.)
  const bucketWrites = statuses(gcs.requests, fromGcs, (p) => p.endsWith(`/b/${BUCKET}/iam`));
  assert.ok(bucketWrites.filter((s) => s === 412).length >= 2 && bucketWrites.filter((s) => s === 200).length === 3 && bucketWrites.every((s) => s === 412 || s === 200), JSON.stringify(bucketWrites));
  const accountWrites = statuses(fake.requests, fromCompute, (p) => p.endsWith(':setIamPolicy') && p.includes('/serviceAccounts/'));
  assert.deepEqual(accountWrites, [409, 409, 200], JSON.stringify(accountWrites));
  const projectWrites = statuses(fake.requests, fromCompute, (p) => p === `/v1/projects/${GCE_TEST_PROJECT}:setIamPolicy`);
  assert.deepEqual(projectWrites, [409, 200], JSON.stringify(projectWrites));

  // Their bindings and ours, side by side.
  const bucket = gcs.iamPolicy(BUCKET).bindings;
  assert.ok(hasBinding(bucket, 'roles/storage.objectViewer', 'user:bob@example.com') && hasBinding(bucket, 'roles/storage.objectViewer', 'group:audit@example.com'), JSON.stringify(bucket));
  assert.equal(bucket.filter((b) => (b.condition?.description ?? '').includes(`k8sup-cluster=${c.metadata.name} `)).length, 3, 'k8sup\'s three conditional bindings, once each');
  const account = fake.iam.policyOf(nodeEmail)!.bindings as { role: string; members: string[] }[];
  for (const who of ['user:carol@example.com', 'user:erin@example.com']) assert.ok(hasBinding(account, 'roles/iam.serviceAccountTokenCreator', who), `${who} keeps the binding`);
  assert.ok(hasBinding(account, 'roles/iam.serviceAccountUser', cp), 'the control planes may act as the nodes\' account');

  // Delete under the same race: only k8sup's members go.
  gcs.interleavedPolicyWrites.push([{ role: 'roles/storage.objectViewer', members: ['user:dave@example.com'] }]);
  fake.projectIam.concurrentWrites = 1;
  await destroy(nodes, deps);
  const left = gcs.iamPolicy(BUCKET).bindings;
  for (const who of ['user:bob@example.com', 'group:audit@example.com', 'user:dave@example.com']) assert.ok(hasBinding(left, 'roles/storage.objectViewer', who), who);
  assert.equal(left.filter((b) => (b.condition?.description ?? '').includes(`k8sup-cluster=${c.metadata.name} `)).length, 0);
  assert.ok(!fake.projectIam.get().bindings.some((b) => (b.members as string[]).includes(cp)), 'no project role of ours is left');
});

test('a policy that keeps changing is given up after a bounded number of writes, with the conflict as the error and nothing written', async () => {
  const { c, deps } = await setup('churn.k8s.local');
  const member = `serviceAccount:${serviceAccountEmail(c.metadata.name, GCE_TEST_PROJECT, 'control-plane')}`;
  const before = fake.projectIam.get().bindings;
  const from = fake.requests.length;
  fake.projectIam.concurrentWrites = POLICY_WRITE_ATTEMPTS + 3;
  const ctx = { clients: deps.clients, cluster: c.metadata.name, signal: new AbortController().signal, io: deps.io };
  try {
    await assert.rejects(
      projectIamMemberHandler.create({ kind: 'project-iam-member', id: 'project-iam-member/control-plane', fields: {} }, { project: GCE_TEST_PROJECT, member, roles: ['roles/compute.viewer'] }, ctx),
      (err: unknown) => err instanceof GceHttpError && err.status === 409,
    );
    const writes = statuses(fake.requests, from, (p) => p === `/v1/projects/${GCE_TEST_PROJECT}:setIamPolicy`);
    assert.deepEqual(writes, Array(POLICY_WRITE_ATTEMPTS).fill(409), 'exactly the bounded number of attempts, each on a fresh read');
    assert.equal(fake.projectIam.concurrentWrites, 3, 'no write after giving up');
    assert.deepEqual(fake.projectIam.get().bindings, before, 'the policy is as the others left it');
  } finally {
    fake.projectIam.concurrentWrites = 0;
  }
});
