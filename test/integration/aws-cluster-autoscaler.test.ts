// cluster-autoscaler on AWS, against moto: with the addon on, the node groups' Auto Scaling groups carry upstream's
// auto-discovery tags (and keep the spec's MinSize/MaxSize) while the control planes' groups carry none, and the
// control-plane role gets the autoscaler's statements, resizing scoped to this cluster's tag; with it off, neither.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apply, plan } from '../../src/core/engine.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { cluster, engineDeps } from './aws-helpers.js';

let moto: Moto;
before(async () => {
  moto = await startMoto();
});
after(async () => {
  await moto?.stop();
});

async function applied(autoscaler: boolean) {
  await moto.reset();
  const c = cluster('scale.k8s.local', ['us-east-2a'], {
    nodeGroups: [{ name: 'work', minSize: 1, maxSize: 4 }],
    ...(autoscaler ? { addons: { 'cluster-autoscaler': { enabled: true } } } : {}),
  });
  const deps = await engineDeps(c, moto.env);
  const first = await plan(deps.nodes, deps);
  await apply(first.plan, deps.nodes, first.live, deps);
  const groups = (await deps.clients.autoscaling.call('DescribeAutoScalingGroups', { AutoScalingGroupNames: [] })).AutoScalingGroups!;
  const tagsOf = (g: (typeof groups)[number]) => Object.fromEntries((g.Tags ?? []).map((t) => [t.Key!, t.Value!]));
  const work = groups.find((g) => /work/.test(g.AutoScalingGroupName ?? ''))!;
  const controlPlanes = groups.filter((g) => g !== work);
  const roles = (await deps.clients.iam.call('ListRoles', {})).Roles!.map((r) => r.RoleName!);
  const cpRole = roles.find((r) => /control-plane/.test(r))!;
  const policies = (await deps.clients.iam.call('ListRolePolicies', { RoleName: cpRole })).PolicyNames!;
  const documents = await Promise.all(policies.map(async (PolicyName) => JSON.parse(decodeURIComponent((await deps.clients.iam.call('GetRolePolicy', { RoleName: cpRole, PolicyName })).PolicyDocument!))));
  return { work, workTags: tagsOf(work), controlPlaneTags: controlPlanes.map(tagsOf), statements: documents.flatMap((d) => d.Statement), deps };
}

test('cluster-autoscaler on: node groups carry the auto-discovery tags and bounds, control planes none; the role may resize only tagged groups', async () => {
  const { work, workTags, controlPlaneTags, statements } = await applied(true);
  assert.equal(workTags['k8s.io/cluster-autoscaler/enabled'], 'true');
  assert.equal(workTags['k8s.io/cluster-autoscaler/scale.k8s.local'], 'owned');
  assert.deepEqual([work.MinSize, work.MaxSize], [1, 4]);
  assert.ok(controlPlaneTags.length > 0);
  for (const t of controlPlaneTags) assert.equal(Object.keys(t).some((k) => k.startsWith('k8s.io/cluster-autoscaler/')), false, 'a control plane group is never autoscaled');
  const resize = statements.find((s) => s.Sid === 'ClusterAutoscalerResize');
  assert.deepEqual(resize.Action, ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup']);
  assert.deepEqual(resize.Condition, { StringEquals: { 'aws:ResourceTag/k8s.io/cluster-autoscaler/scale.k8s.local': 'owned' } });
  assert.ok(statements.some((s) => s.Sid === 'ClusterAutoscalerDescribe'));
});

test('cluster-autoscaler off (the default): no auto-discovery tags, no autoscaler statements', async () => {
  const { workTags, statements } = await applied(false);
  assert.equal(Object.keys(workTags).some((k) => k.startsWith('k8s.io/cluster-autoscaler/')), false);
  assert.equal(statements.some((s) => /^ClusterAutoscaler/.test(s.Sid)), false);
});
