import type { Subnet } from '@aws-sdk/client-ec2';
import { clusterFilter, creating, ec2Retag, paginate, tagMap, tagSpec, type Tags } from './common.js';
import { defineHandler, defineKind } from './define.js';

export interface SubnetFields {
  vpcId: string;
  cidrBlock: string;
  availabilityZone: string;
  mapPublicIpOnLaunch: boolean;
  tags: Tags;
}
export type SubnetOutputs = { id: string };
export const subnet = defineKind<SubnetFields, SubnetOutputs>('subnet', 'aws_subnet');

type LiveSubnet = Subnet & { SubnetId: string };

export const subnetHandler = defineHandler({
  kind: subnet,
  service: 'ec2',
  immutable: ['vpcId', 'cidrBlock', 'availabilityZone'],
  describe: async (ctx, id) =>
    (await paginate(ctx.clients.ec2, 'DescribeSubnets', { Filters: clusterFilter(ctx.cluster, id) }, 'Subnets')).filter((s): s is LiveSubnet => !!s.SubnetId),
  tags: (s) => tagMap(s.Tags),
  cloudId: (s) => s.SubnetId,
  fields: (s) => ({ vpcId: s.VpcId, cidrBlock: s.CidrBlock, availabilityZone: s.AvailabilityZone, mapPublicIpOnLaunch: s.MapPublicIpOnLaunch ?? false, tags: tagMap(s.Tags) }),
  outputs: (s) => ({ id: s.SubnetId }),
  adopt: { lookFirst: true },
  async create(f, ctx, node) {
    const res = await creating(`create subnet ${node.id}`, () =>
      ctx.clients.ec2.call('CreateSubnet', { VpcId: f.vpcId, CidrBlock: f.cidrBlock, AvailabilityZone: f.availabilityZone, TagSpecifications: tagSpec('subnet', f.tags) }),
    );
    return res.Subnet as LiveSubnet;
  },
  async converge(s, f, ctx) {
    if (f.mapPublicIpOnLaunch) await ctx.clients.ec2.call('ModifySubnetAttribute', { SubnetId: s.SubnetId, MapPublicIpOnLaunch: { Value: true } });
  },
  async update(cur, f, changed, ctx) {
    if (changed.has('mapPublicIpOnLaunch')) await ctx.clients.ec2.call('ModifySubnetAttribute', { SubnetId: cur.cloudId, MapPublicIpOnLaunch: { Value: Boolean(f.mapPublicIpOnLaunch) } });
  },
  retag: ec2Retag,
  async delete(cur, ctx) {
    await ctx.clients.ec2.call('DeleteSubnet', { SubnetId: cur.cloudId });
  },
  terraform: (f) => ({ body: { vpc_id: f.vpcId, cidr_block: f.cidrBlock, availability_zone: f.availabilityZone, map_public_ip_on_launch: f.mapPublicIpOnLaunch, tags: f.tags } }),
});
