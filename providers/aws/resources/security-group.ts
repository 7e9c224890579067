import type { ResourceHandler } from '../../../src/core/resource.js';
import type { AwsClients } from '../clients.js';
import { clusterFilter, creating, live, ownedId, tagList, tagMap, tagSpec, tagsEqual, tfName, type Ctx } from './common.js';

/** One DescribeSecurityGroups per list() call is shared by the group and rules handlers when run together. */
export async function describeClusterGroups(ctx: Ctx): Promise<any[]> {
  const res = await ctx.clients.ec2.call('DescribeSecurityGroups', { Filters: clusterFilter(ctx.cluster) });
  return res.SecurityGroups ?? [];
}

export const securityGroupHandler: ResourceHandler<AwsClients> = {
  kind: 'security-group',
  service: 'ec2',
  immutable: ['vpcId', 'groupName', 'description'],
  async list(ctx) {
    return (await describeClusterGroups(ctx)).flatMap((g) => {
      const tags = tagMap(g.Tags);
      const id = ownedId(tags, ctx, `security group ${g.GroupId}`);
      if (!id) return [];
      return [live('security-group', id, g.GroupId, { vpcId: g.VpcId, groupName: g.GroupName, description: g.Description, tags }, { id: g.GroupId })];
    });
  },
  async create(node, f, ctx) {
    const ec2 = ctx.clients.ec2;
    try {
      const res = await creating(`create security group ${node.id}`, () =>
        ec2.call('CreateSecurityGroup', { VpcId: f.vpcId, GroupName: f.groupName, Description: f.description, TagSpecifications: tagSpec('security-group', f.tags) }),
      );
      return { cloudId: res.GroupId, outputs: { id: res.GroupId } };
    } catch (err) {
      // Names are unique per VPC: after a lost response the group exists already, adopt it.
      if ((err as { name?: string }).name !== 'InvalidGroup.Duplicate') throw err;
      const res = await ec2.call('DescribeSecurityGroups', { Filters: [{ Name: 'vpc-id', Values: [f.vpcId] }, { Name: 'group-name', Values: [f.groupName] }] });
      const g = res.SecurityGroups[0];
      return { cloudId: g.GroupId, outputs: { id: g.GroupId } };
    }
  },
  async update(_node, f, cur, _changes, ctx) {
    await ctx.clients.ec2.call('CreateTags', { Resources: [cur.cloudId], Tags: tagList(f.tags) });
    return { cloudId: cur.cloudId, outputs: cur.outputs };
  },
  async delete(cur, ctx) {
    // DependencyViolation while instances or load balancer interfaces still use it: the engine retries.
    await ctx.clients.ec2.call('DeleteSecurityGroup', { GroupId: cur.cloudId });
  },
  equal: (field, d, l) => field === 'tags' && tagsEqual(d, l),
  terraform(node) {
    const f = node.fields;
    return { type: 'aws_security_group', name: tfName(node.id), body: { vpc_id: f.vpcId, name: f.groupName, description: f.description, tags: f.tags } };
  },
};
