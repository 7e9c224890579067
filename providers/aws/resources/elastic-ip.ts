// An Elastic IP (VPC domain) for a NAT gateway. Released on delete; a release while its NAT gateway still holds it
// is refused by EC2 (InvalidIPAddress.InUse / AuthFailure), which the engine retries as a dependency.

import type { Address } from '@aws-sdk/client-ec2';
import { clusterFilter, ec2Retag, tagMap, tagSpec, type Tags } from './common.js';
import { defineHandler, defineKind } from './define.js';

export interface ElasticIpFields {
  tags: Tags;
}
export type ElasticIpOutputs = { allocationId: string; publicIp: string };
export const elasticIp = defineKind<ElasticIpFields, ElasticIpOutputs>('elastic-ip', 'aws_eip');

type LiveAddress = Address & { AllocationId: string };

export const elasticIpHandler = defineHandler({
  kind: elasticIp,
  service: 'ec2',
  // DescribeAddresses has no pagination.
  describe: async (ctx, id) => ((await ctx.clients.ec2.call('DescribeAddresses', { Filters: clusterFilter(ctx.cluster, id) })).Addresses ?? []).filter((a): a is LiveAddress => !!a.AllocationId),
  tags: (a) => tagMap(a.Tags),
  cloudId: (a) => a.AllocationId,
  fields: (a) => ({ tags: tagMap(a.Tags) }),
  outputs: (a) => ({ allocationId: a.AllocationId, publicIp: a.PublicIp ?? '' }),
  // Addresses have no unique name: look for the one tagged with the graph id before allocating another.
  adopt: { lookFirst: true },
  async create(f, ctx) {
    const res = await ctx.clients.ec2.call('AllocateAddress', { Domain: 'vpc', TagSpecifications: tagSpec('elastic-ip', f.tags) });
    return { AllocationId: res.AllocationId!, PublicIp: res.PublicIp, Tags: Object.entries(f.tags).map(([Key, Value]) => ({ Key, Value })) } as LiveAddress;
  },
  retag: ec2Retag,
  async delete(cur, ctx) {
    await ctx.clients.ec2.call('ReleaseAddress', { AllocationId: cur.cloudId });
  },
  terraform: (f) => ({ body: { domain: 'vpc', tags: f.tags } }),
  terraformOutputs: { allocationId: 'allocation_id', publicIp: 'public_ip' },
});
