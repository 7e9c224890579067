// Plans that do not grow with the cluster (issue 17) and SSH key rotation (issue 15), on moto:
//  - with 20 node groups (21 launch templates) every template is listed — moto, like EC2, returns one page at a time —
//    and the plan right after apply is empty;
//  - a no-op plan makes the same number of cloud calls (±2) for 1 and for 20 node groups (launch template versions
//    are read in one call, not one per template);
//  - changing ssh.publicKey replaces the key pair under a new name: apply succeeds and the old pair is gone.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apply, isEmptyPlan, plan } from '../../src/core/engine.js';
import type { CallRecord } from '../../providers/aws/clients.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { cluster, engineDeps, taggedResources } from './aws-helpers.js';

let moto: Moto;
before(async () => {
  moto = await startMoto();
});
after(async () => {
  await moto?.stop();
});

const ZONE = 'us-east-2a';
const groups = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `group-${i + 1}`, minSize: 0, maxSize: 1, zones: [ZONE] }));

/** Applies a cluster with `n` node groups and returns the calls of the no-op plan that follows. */
async function noopPlanCalls(name: string, n: number): Promise<{ calls: CallRecord[]; templates: number; empty: boolean }> {
  const c = cluster(name, [ZONE], { nodeGroups: groups(n) });
  const calls: CallRecord[] = [];
  const deps = await engineDeps(c, moto.env, { onCall: (r) => calls.push(r) });
  const first = await plan(deps.nodes, deps);
  const applied = await apply(first.plan, deps.nodes, first.live, deps);
  assert.deepEqual(applied.failed, []);
  calls.length = 0;
  const again = await plan(deps.nodes, deps);
  const templates = again.live.filter((l) => l.kind === 'launch-template').length;
  const pending = again.plan.steps.filter((s) => s.action !== 'noop').map((s) => `${s.action} ${s.id}`);
  assert.deepEqual(pending, [], `${name}: nothing to do right after apply`);
  return { calls: [...calls], templates, empty: isEmptyPlan(again.plan) };
}

test('21 launch templates are all listed and the plan after apply is empty; a no-op plan costs the same calls for 1 and 20 groups', async (t) => {
  await moto.reset();
  const one = await noopPlanCalls('one.k8s.local', 1);
  const twenty = await noopPlanCalls('twenty.k8s.local', 20);
  assert.equal(one.templates, 2, 'control plane + one group');
  assert.equal(twenty.templates, 21, 'every launch template is listed (none lost past the first page)');
  assert.ok(one.empty && twenty.empty);
  const byOp = (calls: CallRecord[]) => calls.reduce<Record<string, number>>((m, c) => ((m[`${c.service}:${c.operation}`] = (m[`${c.service}:${c.operation}`] ?? 0) + 1), m), {});
  assert.ok(
    Math.abs(twenty.calls.length - one.calls.length) <= 2,
    `no-op plan: ${one.calls.length} calls with 1 group, ${twenty.calls.length} with 20\n1: ${JSON.stringify(byOp(one.calls))}\n20: ${JSON.stringify(byOp(twenty.calls))}`,
  );
  t.diagnostic(`no-op plan: ${one.calls.length} cloud calls with 1 node group, ${twenty.calls.length} with 20`);
  assert.equal(byOp(twenty.calls)['ec2:DescribeLaunchTemplateVersions'], 1, 'one DescribeLaunchTemplateVersions for every template');
});

test('ssh key rotation: a new public key replaces the key pair under a new name; the old pair is gone', async () => {
  await moto.reset();
  const name = 'rotate.k8s.local';
  const c = cluster(name, [ZONE], { nodeGroups: groups(1) });
  const deps = await engineDeps(c, moto.env);
  const first = await plan(deps.nodes, deps);
  assert.deepEqual((await apply(first.plan, deps.nodes, first.live, deps)).failed, []);
  const before = (await taggedResources(moto.env, name)).keyPairs;
  assert.equal(before.length, 1);

  const rotated = cluster(name, [ZONE], { nodeGroups: groups(1), ssh: { publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBx6n0ZOW0aYk1QX4m7p1s2o8rN5xJ2Qm0F3bT6cV9dE rotated@example' } });
  rotated.metadata.uid = c.metadata.uid;
  const deps2 = await engineDeps(rotated, moto.env);
  const p = await plan(deps2.nodes, deps2);
  assert.equal(p.plan.steps.find((s) => s.id === 'key-pair')?.action, 'replace', 'the key pair is replaced');
  const applied = await apply(p.plan, deps2.nodes, p.live, deps2);
  assert.deepEqual(applied.failed, [], 'the replacement applies (no "key pair already exists")');
  const after = (await taggedResources(moto.env, name)).keyPairs;
  assert.equal(after.length, 1, 'one key pair');
  assert.notEqual(after[0], before[0], 'under the new name; the old pair is deleted');
  assert.equal(applied.outputs['key-pair']?.key_name, after[0]);
  assert.ok(isEmptyPlan((await plan(deps2.nodes, deps2)).plan), 'nothing left to do');
});
