// Node-group shape on AWS, against moto: a spot group runs a mixed-instances policy with 0% on-demand, root volume
// size and type reach the launch template's block device mapping; after apply the plan is empty; switching the group
// back to on-demand is an in-place update of the Auto Scaling group.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apply, plan } from '../../src/core/engine.js';
import { decodeUserData } from '../../providers/aws/resources/launch-template.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { cluster, engineDeps, INPUTS } from './aws-helpers.js';
import { bundleOf } from '../helpers/loader.js';

let moto: Moto;
before(async () => {
  moto = await startMoto();
});
after(async () => {
  await moto?.stop();
});

const pending = (p: { steps: { action: string; id: string }[] }) => p.steps.filter((s) => s.action !== 'noop').map((s) => `${s.action} ${s.id}`);

test('spot node group: mixed-instances policy, root volume from the spec, empty plan after apply, back to on-demand in place', async () => {
  await moto.reset();
  const c = cluster('shape.k8s.local', ['us-east-2a'], {
    nodeGroups: [{ name: 'spot', minSize: 1, maxSize: 2, spot: true, rootVolume: { size: 200, type: 'gp2' }, taints: ['spot=true:NoSchedule'], labels: { lifecycle: 'spot' } }],
  });
  const deps = await engineDeps(c, moto.env);
  const first = await plan(deps.nodes, deps);
  await apply(first.plan, deps.nodes, first.live, deps);

  const asg = (await deps.clients.autoscaling.call('DescribeAutoScalingGroups', { AutoScalingGroupNames: [] })).AutoScalingGroups!.find((g) => /spot/.test(g.AutoScalingGroupName ?? ''))!;
  assert.ok(asg, 'the spot group exists');
  assert.equal(asg.LaunchTemplate, undefined, 'a mixed-instances group names its template inside the policy');
  assert.equal(asg.MixedInstancesPolicy!.InstancesDistribution!.OnDemandPercentageAboveBaseCapacity, 0);
  assert.equal(asg.MixedInstancesPolicy!.InstancesDistribution!.SpotAllocationStrategy, 'price-capacity-optimized');
  const ltId = asg.MixedInstancesPolicy!.LaunchTemplate!.LaunchTemplateSpecification!.LaunchTemplateId;
  const version = (await deps.clients.ec2.call('DescribeLaunchTemplateVersions', { LaunchTemplateId: ltId, Versions: ['$Latest'] })).LaunchTemplateVersions![0];
  const ebs = version.LaunchTemplateData!.BlockDeviceMappings![0].Ebs!;
  assert.deepEqual([ebs.VolumeSize, ebs.VolumeType, ebs.Encrypted], [200, 'gp2', true]);
  // The group's taints and labels are in its bootstrap bundle (kubeadm nodeRegistration), not in any cloud field.
  const text = bundleOf(decodeUserData(version.LaunchTemplateData!.UserData!), deps.provider.bootstrapBundles!(c, INPUTS));
  assert.match(text, /key: "spot"\n\s+value: "true"\n\s+effect: "NoSchedule"/);
  assert.match(text, /k8sup\.io\/node-group=spot,lifecycle=spot/);

  assert.deepEqual(pending((await plan(deps.nodes, deps)).plan), [], 'nothing to do after apply');

  const onDemand = cluster('shape.k8s.local', ['us-east-2a'], { nodeGroups: [{ name: 'spot', minSize: 1, maxSize: 2, rootVolume: { size: 200, type: 'gp2' }, taints: ['spot=true:NoSchedule'], labels: { lifecycle: 'spot' } }] });
  const deps2 = await engineDeps(onDemand, moto.env);
  const second = await plan(deps2.nodes, deps2);
  assert.deepEqual(pending(second.plan), ['update autoscaling-group/node-group/spot']);
  await apply(second.plan, deps2.nodes, second.live, deps2);
  const back = (await deps2.clients.autoscaling.call('DescribeAutoScalingGroups', { AutoScalingGroupNames: [asg.AutoScalingGroupName!] })).AutoScalingGroups![0];
  assert.equal(back.LaunchTemplate?.LaunchTemplateId, ltId);
  assert.deepEqual(pending((await plan(deps2.nodes, deps2)).plan), [], 'nothing to do after going back to on-demand');
});
