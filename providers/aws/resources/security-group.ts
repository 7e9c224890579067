import type { SecurityGroup } from '@aws-sdk/client-ec2';
import { clusterFilter, creating, ec2Retag, errorCode, paginate, tagMap, tagSpec, type Ctx, type Tags } from './common.js';
import { defineHandler, defineKind } from './define.js';

export interface SecurityGroupFields {
  vpcId: string;
  groupName: string;
  description: string;
  tags: Tags;
}
export type SecurityGroupOutputs = { id: string };
export const securityGroup = defineKind<SecurityGroupFields, SecurityGroupOutputs>('security-group', 'aws_security_group');

export type LiveSecurityGroup = SecurityGroup & { GroupId: string };

/** The cluster's security groups (every page); the rules kind reads its ingress sets from the same call. */
export async function describeClusterGroups(ctx: Ctx, id?: string): Promise<LiveSecurityGroup[]> {
  return (await paginate(ctx.clients.ec2, 'DescribeSecurityGroups', { Filters: clusterFilter(ctx.cluster, id) }, 'SecurityGroups')).filter(
    (g): g is LiveSecurityGroup => !!g.GroupId,
  );
}

export const securityGroupHandler = defineHandler({
  kind: securityGroup,
  service: 'ec2',
  immutable: ['vpcId', 'groupName', 'description'],
  describe: describeClusterGroups,
  tags: (g) => tagMap(g.Tags),
  cloudId: (g) => g.GroupId,
  fields: (g) => ({ vpcId: g.VpcId, groupName: g.GroupName, description: g.Description, tags: tagMap(g.Tags) }),
  outputs: (g) => ({ id: g.GroupId }),
  adopt: {
    // Names are unique per VPC: after a lost response the group exists already.
    duplicate: (err) => errorCode(err) === 'InvalidGroup.Duplicate',
    async find(ctx, f) {
      const res = await ctx.clients.ec2.call('DescribeSecurityGroups', { Filters: [{ Name: 'vpc-id', Values: [f.vpcId] }, { Name: 'group-name', Values: [f.groupName] }] });
      return res.SecurityGroups?.find((g): g is LiveSecurityGroup => !!g.GroupId);
    },
  },
  async create(f, ctx, node) {
    const res = await creating(`create security group ${node.id}`, () =>
      ctx.clients.ec2.call('CreateSecurityGroup', { VpcId: f.vpcId, GroupName: f.groupName, Description: f.description, TagSpecifications: tagSpec('security-group', f.tags) }),
    );
    return { GroupId: res.GroupId ?? '', VpcId: f.vpcId, GroupName: f.groupName, Tags: tagSpec('security-group', f.tags)[0].Tags };
  },
  retag: ec2Retag,
  async delete(cur, ctx) {
    // DependencyViolation while instances or load balancer interfaces still use it: the engine retries.
    await ctx.clients.ec2.call('DeleteSecurityGroup', { GroupId: cur.cloudId });
  },
  terraform: (f) => ({ body: { vpc_id: f.vpcId, name: f.groupName, description: f.description, tags: f.tags } }),
});
