// The cloud controllers' project roles on GCE, against the Compute fake's strict project IAM policy: after create the
// control planes' service account holds exactly the roles docs/gce.md lists for the controllers the cluster runs (the
// table is parsed from the doc), the nodes' account none, other principals' bindings (also conditional ones) stay as
// they were, a concurrent write is retried, the plan is then empty; delete removes only k8sup's members.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadCluster } from '../../src/api/index.js';
import { apply, destroy, isEmptyPlan, plan, type EngineDeps } from '../../src/core/engine.js';
import { RecordingIo } from '../../src/core/io.js';
import { providerState } from '../../src/lifecycle/provider-state.js';
import { MemoryBlobStore } from '../../src/state/memory.js';
import type { GceClients } from '../../providers/gce/index.js';
import { serviceAccountEmail } from '../../providers/gce/model/identity.js';
import { GCE_TEST_INPUTS, GCE_TEST_PROJECT, useGceEngineCloud } from '../helpers/gce-engine-cloud.js';

const PROJECT = GCE_TEST_PROJECT;
const inputs = GCE_TEST_INPUTS;
const { fake, gcs, provider } = useGceEngineCloud();

/** docs/gce.md's controller → roles table. */
function documentedRoles(): Record<string, string[]> {
  const doc = readFileSync(new URL('../../docs/gce.md', import.meta.url), 'utf8');
  const out: Record<string, string[]> = {};
  for (const line of doc.split('<!-- controller-roles:')[1].split('\n\n')[0].split('\n')) {
    const m = /^\| `([a-z-]+)` \| (.+) \|$/.exec(line);
    if (m) out[m[1]] = [...m[2].matchAll(/`(roles\/[^`]+)`/g)].map((r) => r[1]);
  }
  return out;
}

const others = [
  { role: 'roles/compute.viewer', members: ['user:alice@example.com'] },
  { role: 'roles/storage.admin', members: ['group:ops@example.com'], condition: { title: 'office hours', expression: 'request.time.getHours("UTC") < 18' } },
];

function rolesOf(member: string): string[] {
  return fake.projectIam.get().bindings.filter((b) => (b.members as string[]).includes(member)).map((b) => b.role as string).sort();
}

test('control planes\' account holds exactly the documented roles of the controllers it runs; others untouched; delete removes only ours', async () => {
  fake.projectIam.seed(others);
  const c = loadCluster({
    apiVersion: 'k8sup.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'roles.k8s.local' },
    spec: { project: PROJECT, zones: ['us-central1-b'], nodeGroups: [{ name: 'nodes', minSize: 1, maxSize: 3 }], addons: { 'cluster-autoscaler': { enabled: true } } },
  });
  const io = new RecordingIo();
  const clients = await provider.connect(c, { io, env: { K8SUP_GCE_ENDPOINT: fake.endpoint, STORAGE_EMULATOR_HOST: gcs.url }, home: '/nonexistent', state: providerState(new MemoryBlobStore(inputs.stateStore), c.metadata.name) });
  const deps: EngineDeps<GceClients> = { cluster: c.metadata.name, handlers: provider.handlers, clients, classifyError: provider.classifyError, io, retry: { baseDelayMs: 5, maxDelayMs: 50 } as never };
  const nodes = provider.buildGraph(c, inputs);
  const first = await plan(nodes, deps);
  // Someone else writes the policy between k8sup's read and write, twice: the write is redone on a fresh read.
  fake.projectIam.concurrentWrites = 2;
  await apply(first.plan, nodes, first.live, deps);
  assert.equal(fake.projectIam.concurrentWrites, 0, 'both concurrent writes were met');

  const cp = `serviceAccount:${serviceAccountEmail(c.metadata.name, PROJECT, 'control-plane')}`;
  const node = `serviceAccount:${serviceAccountEmail(c.metadata.name, PROJECT, 'node')}`;
  const doc = documentedRoles();
  // actAs (serviceAccountUser) is granted on the nodes' account, as the doc says, never on the project.
  const onNodeAccount = 'roles/iam.serviceAccountUser';
  const expected = [...new Set(['gcp-cloud-controller-manager', 'gcp-pd-csi-driver', 'cluster-autoscaler'].flatMap((n) => doc[n]))].filter((r) => r !== onNodeAccount).sort();
  assert.ok(expected.length >= 5, 'the doc names the roles');
  assert.ok(doc['gcp-pd-csi-driver'].includes(onNodeAccount));
  assert.deepEqual(rolesOf(cp), expected);
  assert.deepEqual(rolesOf(node), []);
  const nodeEmail = serviceAccountEmail(c.metadata.name, PROJECT, 'node');
  assert.deepEqual(fake.iam.policyOf(nodeEmail)!.bindings, [{ role: onNodeAccount, members: [cp] }], 'the control planes may act as the nodes\' account, and only they');
  assert.equal(fake.iam.policyOf(serviceAccountEmail(c.metadata.name, PROJECT, 'control-plane')), undefined, 'nobody is given actAs on the control planes\' account');
  for (const o of others) assert.ok(fake.projectIam.get().bindings.some((b) => b.role === o.role && (b.members as string[]).includes(o.members[0]) && JSON.stringify(b.condition) === JSON.stringify(o.condition)), o.role);
  // Alice's viewer binding now also holds our account: one binding per role, hers kept.
  assert.deepEqual(fake.projectIam.get().bindings.find((b) => b.role === 'roles/compute.viewer' && !b.condition)!.members, ['user:alice@example.com', cp]);
  assert.ok(isEmptyPlan((await plan(nodes, deps)).plan), 'nothing to do after apply');

  // Without the CCM its roles go (in place); the PD CSI driver's and the autoscaler's stay.
  const noCcm = loadCluster({ ...JSON.parse(JSON.stringify({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: c.metadata, spec: { project: PROJECT, zones: ['us-central1-b'], nodeGroups: [{ name: 'nodes', minSize: 1, maxSize: 3 }], addons: { 'cluster-autoscaler': { enabled: true }, 'gcp-cloud-controller-manager': { enabled: false } } } })) });
  const fewer = provider.buildGraph(noCcm, inputs);
  const second = await plan(fewer, deps);
  assert.ok(second.plan.steps.some((s) => s.id === 'project-iam-member/control-plane' && s.action === 'update'), JSON.stringify(second.plan.steps.filter((s) => s.action !== 'noop').map((s) => `${s.action} ${s.id}`)));
  await apply(second.plan, fewer, second.live, deps);
  assert.deepEqual(rolesOf(cp), [...new Set([...doc['gcp-pd-csi-driver'], ...doc['cluster-autoscaler']])].filter((r) => r !== onNodeAccount).sort());
  assert.deepEqual(fake.projectIam.get().bindings.find((b) => b.role === 'roles/compute.viewer' && !b.condition)!.members, ['user:alice@example.com'], 'alice keeps her binding');

  await destroy(fewer, deps);
  assert.deepEqual(rolesOf(cp), []);
  const left = fake.projectIam.get().bindings;
  assert.deepEqual(left.map((b) => [b.role, b.members]).sort(), others.map((o) => [o.role, o.members]).sort(), 'only the others\' bindings are left');
});
