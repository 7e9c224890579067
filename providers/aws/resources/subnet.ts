import type { ResourceHandler } from '../../../src/core/resource.js';
import type { AwsClients } from '../clients.js';
import { clusterFilter, creating, live, ownedId, tagList, tagMap, tagSpec, tagsEqual, tfName } from './common.js';

export const subnetHandler: ResourceHandler<AwsClients> = {
  kind: 'subnet',
  service: 'ec2',
  immutable: ['vpcId', 'cidrBlock', 'availabilityZone'],
  async list(ctx) {
    const res = await ctx.clients.ec2.call('DescribeSubnets', { Filters: clusterFilter(ctx.cluster) });
    return (res.Subnets ?? []).flatMap((s: any) => {
      const tags = tagMap(s.Tags);
      const id = ownedId(tags, ctx, `subnet ${s.SubnetId}`);
      if (!id) return [];
      return [live('subnet', id, s.SubnetId, { vpcId: s.VpcId, cidrBlock: s.CidrBlock, availabilityZone: s.AvailabilityZone, mapPublicIpOnLaunch: s.MapPublicIpOnLaunch ?? false, tags }, { id: s.SubnetId })];
    });
  },
  async create(node, f, ctx) {
    const existing = await ctx.clients.ec2.call('DescribeSubnets', { Filters: clusterFilter(ctx.cluster, node.id) });
    let subnet = existing.Subnets?.[0];
    if (!subnet) {
      subnet = (
        await creating(`create subnet ${node.id}`, () =>
          ctx.clients.ec2.call('CreateSubnet', { VpcId: f.vpcId, CidrBlock: f.cidrBlock, AvailabilityZone: f.availabilityZone, TagSpecifications: tagSpec('subnet', f.tags) }),
        )
      ).Subnet;
    }
    if (f.mapPublicIpOnLaunch) await ctx.clients.ec2.call('ModifySubnetAttribute', { SubnetId: subnet.SubnetId, MapPublicIpOnLaunch: { Value: true } });
    return { cloudId: subnet.SubnetId, outputs: { id: subnet.SubnetId } };
  },
  async update(_node, f, cur, changes, ctx) {
    for (const c of changes) {
      if (c.field === 'mapPublicIpOnLaunch') await ctx.clients.ec2.call('ModifySubnetAttribute', { SubnetId: cur.cloudId, MapPublicIpOnLaunch: { Value: Boolean(f.mapPublicIpOnLaunch) } });
      if (c.field === 'tags') await ctx.clients.ec2.call('CreateTags', { Resources: [cur.cloudId], Tags: tagList(f.tags) });
    }
    return { cloudId: cur.cloudId, outputs: cur.outputs };
  },
  async delete(cur, ctx) {
    await ctx.clients.ec2.call('DeleteSubnet', { SubnetId: cur.cloudId });
  },
  equal: (field, d, l) => field === 'tags' && tagsEqual(d, l),
  terraform(node) {
    const f = node.fields;
    return { type: 'aws_subnet', name: tfName(node.id), body: { vpc_id: f.vpcId, cidr_block: f.cidrBlock, availability_zone: f.availabilityZone, map_public_ip_on_launch: f.mapPublicIpOnLaunch, tags: f.tags } };
  },
};
