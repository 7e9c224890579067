// Auto Scaling groups. Desired capacity is set to minSize on create and clamped into [min, max] on resize, and is
// otherwise not diffed (a cluster autoscaler may move it). Delete force-deletes and waits until the group — and so
// its instances — are gone, because subnets, security groups and the IGW cannot go while instances run.

import type { AutoScalingGroup, Tag } from '@aws-sdk/client-auto-scaling';
import { EventualConsistencyError } from '../errors.js';
import { TAG_CLUSTER, TAG_ID } from '../model/names.js';
import { creating, errorCode, ignoreNotFound, paginate, sameSet, tagMap, waitUntil, type Ctx, type Tags } from './common.js';
import { defineHandler, defineKind } from './define.js';

export interface AutoscalingGroupFields {
  name: string;
  launchTemplateId: string;
  minSize: number;
  maxSize: number;
  subnetIds: string[];
  targetGroupArns: string[];
  /** Spot only: a mixed-instances policy around the launch template (spec.md "Node groups"). */
  spot?: boolean;
  tags: Tags;
}
/**
 * Nothing references a group, so its outputs are what its create call knows: CreateAutoScalingGroup answers with
 * nothing, and reading the group back (for its ARN) cost every group's create a call at the end of the apply's
 * longest chain (issue 17).
 */
export type AutoscalingGroupOutputs = { name: string };
export const autoscalingGroup = defineKind<AutoscalingGroupFields, AutoscalingGroupOutputs>('autoscaling-group', 'aws_autoscaling_group');

type LiveGroup = AutoScalingGroup & { AutoScalingGroupName: string };

function asgTags(name: string, tags: Tags | undefined): Tag[] {
  return Object.entries(tags ?? {}).map(([Key, Value]) => ({ ResourceId: name, ResourceType: 'auto-scaling-group', Key, Value, PropagateAtLaunch: true }));
}

/**
 * How the group launches: its launch template, or (spot) a mixed-instances policy around it that buys spot only,
 * from the pools with the most spare capacity at the lowest price.
 */
function launchSpec(f: AutoscalingGroupFields) {
  const template = { LaunchTemplateId: f.launchTemplateId, Version: '$Latest' };
  if (f.spot !== true) return { LaunchTemplate: template };
  return {
    MixedInstancesPolicy: {
      LaunchTemplate: { LaunchTemplateSpecification: template },
      InstancesDistribution: { OnDemandBaseCapacity: 0, OnDemandPercentageAboveBaseCapacity: 0, SpotAllocationStrategy: 'price-capacity-optimized' },
    },
  };
}

async function describeOne(ctx: Ctx, name: string): Promise<LiveGroup | undefined> {
  const res = await ctx.clients.autoscaling.call('DescribeAutoScalingGroups', { AutoScalingGroupNames: [name] });
  return res.AutoScalingGroups?.find((g): g is LiveGroup => !!g.AutoScalingGroupName);
}

export const autoscalingGroupHandler = defineHandler({
  kind: autoscalingGroup,
  service: 'autoscaling',
  immutable: ['name'],
  async describe(ctx, id) {
    const filters = [{ Name: `tag:${TAG_CLUSTER}`, Values: [ctx.cluster] }, ...(id ? [{ Name: `tag:${TAG_ID}`, Values: [id] }] : [])];
    return (await paginate(ctx.clients.autoscaling, 'DescribeAutoScalingGroups', { Filters: filters }, 'AutoScalingGroups')).filter((g): g is LiveGroup => !!g.AutoScalingGroupName);
  },
  tags: (g) => tagMap(g.Tags),
  cloudId: (g) => g.AutoScalingGroupName,
  label: (g) => `auto scaling group ${g.AutoScalingGroupName}`,
  // A group being deleted is already on its way out.
  gone: (g) => g.Status === 'Delete in progress',
  fields: (g) => ({
    name: g.AutoScalingGroupName,
    launchTemplateId: g.LaunchTemplate?.LaunchTemplateId ?? g.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification?.LaunchTemplateId ?? null,
    spot: g.MixedInstancesPolicy ? Number(g.MixedInstancesPolicy.InstancesDistribution?.OnDemandPercentageAboveBaseCapacity ?? 100) === 0 : false,
    minSize: g.MinSize,
    maxSize: g.MaxSize,
    subnetIds: String(g.VPCZoneIdentifier ?? '').split(',').filter(Boolean),
    targetGroupArns: g.TargetGroupARNs ?? [],
    tags: tagMap(g.Tags),
  }),
  outputs: (g) => ({ name: g.AutoScalingGroupName }),
  adopt: {
    // Look first: a retried create must not fail (or, on some endpoints, error out) on its own earlier success.
    lookFirst: true,
    duplicate: (err) => errorCode(err) === 'AlreadyExists' || errorCode(err) === 'AlreadyExistsFault',
    find: (ctx, f) => describeOne(ctx, f.name),
  },
  async create(f, ctx) {
    const name = f.name;
    try {
      await creating(`create auto scaling group ${name}`, () =>
        ctx.clients.autoscaling.call('CreateAutoScalingGroup', {
          AutoScalingGroupName: name,
          ...launchSpec(f),
          MinSize: f.minSize,
          MaxSize: f.maxSize,
          DesiredCapacity: f.minSize,
          VPCZoneIdentifier: f.subnetIds.join(','),
          TargetGroupARNs: f.targetGroupArns,
          HealthCheckType: 'EC2',
          Tags: asgTags(name, f.tags),
        }),
      );
    } catch (err) {
      // The instance profile is not yet usable by EC2 seconds after it was created (IAM is eventually consistent).
      const message = (err as Error)?.message ?? '';
      if (errorCode(err) === 'ValidationError' && /instance profile|iam/i.test(message)) throw new EventualConsistencyError(`create auto scaling group ${name}: ${message}`, { cause: err });
      throw err;
    }
    // Only the outputs are read of what create returns, and the name is all of them: no describe after the create.
    return { AutoScalingGroupName: name } as LiveGroup;
  },
  async update(cur, f, changed, ctx) {
    const as = ctx.clients.autoscaling;
    const name = cur.cloudId;
    if ((['minSize', 'maxSize', 'subnetIds', 'launchTemplateId', 'spot'] as const).some((k) => changed.has(k))) {
      const g = await describeOne(ctx, name);
      const desired = Math.min(Number(f.maxSize), Math.max(Number(f.minSize), Number(g?.DesiredCapacity ?? f.minSize)));
      await as.call('UpdateAutoScalingGroup', {
        AutoScalingGroupName: name,
        MinSize: f.minSize,
        MaxSize: f.maxSize,
        DesiredCapacity: desired,
        VPCZoneIdentifier: f.subnetIds.join(','),
        ...launchSpec(f),
      });
    }
    if (changed.has('targetGroupArns')) {
      const want = f.targetGroupArns;
      const have = (cur.fields.targetGroupArns ?? []) as string[];
      const detach = have.filter((a) => !want.includes(a));
      const attach = want.filter((a) => !have.includes(a));
      if (detach.length) await as.call('DetachLoadBalancerTargetGroups', { AutoScalingGroupName: name, TargetGroupARNs: detach });
      if (attach.length) await as.call('AttachLoadBalancerTargetGroups', { AutoScalingGroupName: name, TargetGroupARNs: attach });
    }
  },
  async retag(cur, tags, ctx) {
    await ctx.clients.autoscaling.call('CreateOrUpdateTags', { Tags: asgTags(cur.cloudId, tags) });
  },
  async delete(cur, ctx) {
    const name = cur.cloudId;
    await ignoreNotFound(() => ctx.clients.autoscaling.call('DeleteAutoScalingGroup', { AutoScalingGroupName: name, ForceDelete: true }));
    // The group disappears only once its instances have terminated.
    await waitUntil(ctx, `auto scaling group ${name} to be deleted`, async () => !(await describeOne(ctx, name)));
  },
  equal: (field, d, l) => (field === 'subnetIds' || field === 'targetGroupArns') && sameSet(d, l),
  terraform: (f) => ({
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
      tag: Object.entries(f.tags ?? {}).map(([key, value]) => ({ key, value, propagate_at_launch: true })),
      lifecycle: [{ ignore_changes: ['desired_capacity'] }],
    },
  }),
});
