// A public NAT gateway in a utility subnet, with its Elastic IP: the private subnets' way out (private topology).
// Creation and deletion take minutes on AWS: create waits until it is `available` (routes to a pending gateway are
// refused), delete until it is `deleted` (its subnet and Elastic IP cannot go before).

import type { NatGateway } from '@aws-sdk/client-ec2';
import { clusterFilter, creating, ec2Retag, paginate, tagMap, tagSpec, waitUntil, type Ctx, type Tags } from './common.js';
import { defineHandler, defineKind } from './define.js';

export interface NatGatewayFields {
  subnetId: string;
  allocationId: string;
  tags: Tags;
}
export type NatGatewayOutputs = { id: string };
export const natGateway = defineKind<NatGatewayFields, NatGatewayOutputs>('nat-gateway', 'aws_nat_gateway');

type LiveNat = NatGateway & { NatGatewayId: string };
const GONE = new Set(['deleting', 'deleted']);

async function state(ctx: Ctx, id: string): Promise<string | undefined> {
  return (await ctx.clients.ec2.call('DescribeNatGateways', { NatGatewayIds: [id] })).NatGateways?.[0]?.State;
}

export const natGatewayHandler = defineHandler({
  kind: natGateway,
  service: 'ec2',
  immutable: ['subnetId', 'allocationId'],
  // Deleted gateways stay visible for a while: they are not the cluster's any more.
  describe: async (ctx, id) =>
    (await paginate(ctx.clients.ec2, 'DescribeNatGateways', { Filter: clusterFilter(ctx.cluster, id) }, 'NatGateways')).filter(
      (n): n is LiveNat => !!n.NatGatewayId && !GONE.has(String(n.State)),
    ),
  tags: (n) => tagMap(n.Tags),
  cloudId: (n) => n.NatGatewayId,
  fields: (n) => ({ subnetId: n.SubnetId, allocationId: n.NatGatewayAddresses?.[0]?.AllocationId, tags: tagMap(n.Tags) }),
  outputs: (n) => ({ id: n.NatGatewayId }),
  adopt: { lookFirst: true },
  async create(f, ctx) {
    const res = await creating('create NAT gateway', () =>
      ctx.clients.ec2.call('CreateNatGateway', { SubnetId: f.subnetId, AllocationId: f.allocationId, ConnectivityType: 'public', TagSpecifications: tagSpec('natgateway', f.tags) }),
    );
    return res.NatGateway as LiveNat;
  },
  async converge(n, _f, ctx) {
    await waitUntil(ctx, `NAT gateway ${n.NatGatewayId} available`, async () => {
      const s = await state(ctx, n.NatGatewayId);
      if (s === 'failed') throw new Error(`NAT gateway ${n.NatGatewayId} failed to start`);
      return s === 'available';
    });
  },
  retag: ec2Retag,
  async delete(cur, ctx) {
    await ctx.clients.ec2.call('DeleteNatGateway', { NatGatewayId: cur.cloudId });
    await waitUntil(ctx, `NAT gateway ${cur.cloudId} deleted`, async () => (await state(ctx, cur.cloudId)) === 'deleted');
  },
  terraform: (f) => ({ body: { allocation_id: f.allocationId, subnet_id: f.subnetId, connectivity_type: 'public', tags: f.tags } }),
});
