// Auto Scaling groups. Desired capacity is set to minSize on create and clamped into [min, max] on resize, and is
// otherwise not diffed (a cluster autoscaler may move it). Delete force-deletes and waits until the group — and so
// its instances — are gone, because subnets, security groups and the IGW cannot go while instances run.

import type { ResourceHandler } from '../../../src/core/resource.js';
import type { AwsClients } from '../clients.js';
import { EventualConsistencyError } from '../errors.js';
import { TAG_CLUSTER } from '../model/names.js';
import { creating, ignoreNotFound, isOurs, live, ownedId, paginate, sameSet, tagMap, tagsEqual, tfName, waitUntil, type Ctx } from './common.js';

function asgTags(name: string, tags: unknown) {
  return Object.entries((tags ?? {}) as Record<string, string>).map(([Key, Value]) => ({
    ResourceId: name,
    ResourceType: 'auto-scaling-group',
    Key,
    Value,
    PropagateAtLaunch: true,
  }));
}

/**
 * How the group launches: its launch template, or (spot) a mixed-instances policy around it that buys spot only,
 * from the pools with the most spare capacity at the lowest price.
 */
function launchSpec(f: Record<string, unknown>) {
  const template = { LaunchTemplateId: f.launchTemplateId, Version: '$Latest' };
  if (f.spot !== true) return { LaunchTemplate: template };
  return {
    MixedInstancesPolicy: {
      LaunchTemplate: { LaunchTemplateSpecification: template },
      InstancesDistribution: { OnDemandBaseCapacity: 0, OnDemandPercentageAboveBaseCapacity: 0, SpotAllocationStrategy: 'price-capacity-optimized' },
    },
  };
}

function toFields(g: any) {
  const mixed = g.MixedInstancesPolicy;
  return {
    name: g.AutoScalingGroupName,
    launchTemplateId: g.LaunchTemplate?.LaunchTemplateId ?? mixed?.LaunchTemplate?.LaunchTemplateSpecification?.LaunchTemplateId ?? null,
    spot: mixed ? Number(mixed.InstancesDistribution?.OnDemandPercentageAboveBaseCapacity ?? 100) === 0 : false,
    minSize: g.MinSize,
    maxSize: g.MaxSize,
    subnetIds: String(g.VPCZoneIdentifier ?? '').split(',').filter(Boolean),
    targetGroupArns: g.TargetGroupARNs ?? [],
    tags: tagMap(g.Tags),
  };
}

async function describe(ctx: Ctx, name: string) {
  const res = await ctx.clients.autoscaling.call('DescribeAutoScalingGroups', { AutoScalingGroupNames: [name] });
  return res.AutoScalingGroups?.[0];
}

export const autoscalingGroupHandler: ResourceHandler<AwsClients> = {
  kind: 'autoscaling-group',
  service: 'autoscaling',
  immutable: ['name'],
  async list(ctx) {
    const groups = await paginate<any>(ctx.clients.autoscaling, 'DescribeAutoScalingGroups', { Filters: [{ Name: `tag:${TAG_CLUSTER}`, Values: [ctx.cluster] }] }, 'AutoScalingGroups');
    return groups.flatMap((g) => {
      const id = ownedId(tagMap(g.Tags), ctx, `auto scaling group ${g.AutoScalingGroupName}`);
      // A group being deleted is already on its way out.
      if (!id || g.Status === 'Delete in progress') return [];
      return [live('autoscaling-group', id, g.AutoScalingGroupName, toFields(g), { name: g.AutoScalingGroupName, arn: g.AutoScalingGroupARN ?? g.AutoScalingGroupName })];
    });
  },
  async create(_node, f, ctx) {
    const as = ctx.clients.autoscaling;
    const name = String(f.name);
    const input = {
      AutoScalingGroupName: name,
      ...launchSpec(f),
      MinSize: f.minSize,
      MaxSize: f.maxSize,
      DesiredCapacity: f.minSize,
      VPCZoneIdentifier: (f.subnetIds as string[]).join(','),
      TargetGroupARNs: f.targetGroupArns,
      HealthCheckType: 'EC2',
      Tags: asgTags(name, f.tags),
    };
    // Look first: a retried create must not fail (or, on some endpoints, error out) on its own earlier success.
    const existing = await describe(ctx, name);
    if (existing) {
      if (!isOurs(tagMap(existing.Tags), ctx, `auto scaling group ${name}`)) throw new Error(`auto scaling group ${name} exists and does not belong to cluster ${ctx.cluster}`);
      return { cloudId: name, outputs: { name, arn: existing.AutoScalingGroupARN ?? name } };
    }
    try {
      await creating(`create auto scaling group ${name}`, () => as.call('CreateAutoScalingGroup', input));
    } catch (err) {
      const code = (err as { name?: string }).name;
      // The instance profile is not yet usable by EC2 seconds after it was created (IAM is eventually consistent).
      if (code === 'ValidationError' && /instance profile|iam/i.test((err as Error).message)) throw new EventualConsistencyError(`create auto scaling group ${name}: ${(err as Error).message}`, { cause: err });
      if (code !== 'AlreadyExists' && code !== 'AlreadyExistsFault') throw err;
      const g = await describe(ctx, name);
      if (!g || !isOurs(tagMap(g.Tags), ctx, `auto scaling group ${name}`)) throw err;
    }
    const g = await describe(ctx, name);
    return { cloudId: name, outputs: { name, arn: g?.AutoScalingGroupARN ?? name } };
  },
  async update(_node, f, cur, changes, ctx) {
    const as = ctx.clients.autoscaling;
    const name = cur.cloudId;
    const fields = new Set(changes.map((c) => c.field));
    if (['minSize', 'maxSize', 'subnetIds', 'launchTemplateId', 'spot'].some((k) => fields.has(k))) {
      const g = await describe(ctx, name);
      const desired = Math.min(Number(f.maxSize), Math.max(Number(f.minSize), Number(g?.DesiredCapacity ?? f.minSize)));
      await as.call('UpdateAutoScalingGroup', {
        AutoScalingGroupName: name,
        MinSize: f.minSize,
        MaxSize: f.maxSize,
        DesiredCapacity: desired,
        VPCZoneIdentifier: (f.subnetIds as string[]).join(','),
        ...launchSpec(f),
      });
    }
    if (fields.has('targetGroupArns')) {
      const want = f.targetGroupArns as string[];
      const have = (cur.fields.targetGroupArns ?? []) as string[];
      const detach = have.filter((a) => !want.includes(a));
      const attach = want.filter((a) => !have.includes(a));
      if (detach.length) await as.call('DetachLoadBalancerTargetGroups', { AutoScalingGroupName: name, TargetGroupARNs: detach });
      if (attach.length) await as.call('AttachLoadBalancerTargetGroups', { AutoScalingGroupName: name, TargetGroupARNs: attach });
    }
    if (fields.has('tags')) await as.call('CreateOrUpdateTags', { Tags: asgTags(name, f.tags) });
    return { cloudId: name, outputs: cur.outputs };
  },
  async delete(cur, ctx) {
    const name = cur.cloudId;
    await ignoreNotFound(() => ctx.clients.autoscaling.call('DeleteAutoScalingGroup', { AutoScalingGroupName: name, ForceDelete: true }));
    // The group disappears only once its instances have terminated.
    await waitUntil(ctx, `auto scaling group ${name} to be deleted`, async () => !(await describe(ctx, name)));
  },
  equal(field, d, l) {
    if (field === 'tags') return tagsEqual(d, l);
    if (field === 'subnetIds' || field === 'targetGroupArns') return sameSet(d, l);
    return false;
  },
  terraform(node) {
    const f = node.fields as Record<string, any>;
    return {
      type: 'aws_autoscaling_group',
      name: tfName(node.id),
      body: {
        name: f.name,
        min_size: f.minSize,
        max_size: f.maxSize,
        desired_capacity: f.minSize,
        vpc_zone_identifier: f.subnetIds,
        target_group_arns: f.targetGroupArns,
        ...(f.spot === true
          ? {
              mixed_instances_policy: [{
                instances_distribution: [{ on_demand_base_capacity: 0, on_demand_percentage_above_base_capacity: 0, spot_allocation_strategy: 'price-capacity-optimized' }],
                launch_template: [{ launch_template_specification: [{ launch_template_id: f.launchTemplateId, version: '$Latest' }] }],
              }],
            }
          : { launch_template: [{ id: f.launchTemplateId, version: '$Latest' }] }),
        tag: Object.entries(f.tags as Record<string, string>).map(([key, value]) => ({ key, value, propagate_at_launch: true })),
        lifecycle: [{ ignore_changes: ['desired_capacity'] }],
      },
    };
  },
};
