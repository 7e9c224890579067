// A route table with its routes and subnet associations as fields: the table owns both, so update reconciles them
// and delete first releases the associations (a table with associations cannot be deleted).

import type { RouteTable } from '@aws-sdk/client-ec2';
import { clusterFilter, creating, ec2Retag, ignoreNotFound, paginate, sameSet, tagMap, tagSpec, type Ctx, type Tags } from './common.js';
import { defineHandler, defineKind } from './define.js';

/** A route to an internet gateway (`gatewayId`) or, in the private topology's route tables, a NAT gateway. */
export interface Route {
  destinationCidrBlock: string;
  gatewayId?: string;
  natGatewayId?: string;
}

/** Where a route goes, for comparing a desired route with a live one. */
const target = (r: Route) => (r.natGatewayId ? `nat:${r.natGatewayId}` : `gw:${r.gatewayId ?? ''}`);
export interface RouteTableFields {
  vpcId: string;
  routes: Route[];
  subnetIds: string[];
  tags: Tags;
}
export type RouteTableOutputs = { id: string };
export const routeTable = defineKind<RouteTableFields, RouteTableOutputs>('route-table', 'aws_route_table');

type LiveRouteTable = RouteTable & { RouteTableId: string };

function liveRoutes(rt: RouteTable): Route[] {
  // The VPC's own local route is implicit and not ours to manage.
  return (rt.Routes ?? []).flatMap((r) =>
    r.GatewayId !== 'local' && r.DestinationCidrBlock
      ? [r.NatGatewayId ? { destinationCidrBlock: r.DestinationCidrBlock, natGatewayId: r.NatGatewayId } : { destinationCidrBlock: r.DestinationCidrBlock, gatewayId: r.GatewayId ?? '' }]
      : [],
  );
}

function liveAssociations(rt: RouteTable): { subnetId: string; associationId: string }[] {
  return (rt.Associations ?? []).flatMap((a) => (a.SubnetId && !a.Main ? [{ subnetId: a.SubnetId, associationId: a.RouteTableAssociationId ?? '' }] : []));
}

async function describeOne(ctx: Ctx, id: string): Promise<RouteTable | undefined> {
  return (await ctx.clients.ec2.call('DescribeRouteTables', { RouteTableIds: [id] })).RouteTables?.[0];
}

async function reconcile(ctx: Ctx, rt: LiveRouteTable, f: RouteTableFields) {
  const ec2 = ctx.clients.ec2;
  const RouteTableId = rt.RouteTableId;
  const want = f.routes ?? [];
  const have = liveRoutes(rt);
  // Routes to different destinations and associations of different subnets do not depend on each other: each group
  // goes out at once, so a 3-zone table costs a round trip per group, not per subnet (issue 17: the route table was
  // the longest chain of a 50-group apply).
  const stale = have.filter((r) => !want.some((w) => w.destinationCidrBlock === r.destinationCidrBlock && target(w) === target(r)));
  await Promise.all(stale.map((r) => ignoreNotFound(() => ec2.call('DeleteRoute', { RouteTableId, DestinationCidrBlock: r.destinationCidrBlock }))));
  await Promise.all(
    want.map(async (w) => {
      const same = have.find((r) => r.destinationCidrBlock === w.destinationCidrBlock);
      if (same && target(same) === target(w)) return;
      const route = { RouteTableId, DestinationCidrBlock: w.destinationCidrBlock, ...(w.natGatewayId ? { NatGatewayId: w.natGatewayId } : { GatewayId: w.gatewayId }) };
      await creating(`route ${w.destinationCidrBlock}`, () => (same ? ec2.call('ReplaceRoute', route) : ec2.call('CreateRoute', route)));
    }),
  );
  const wantSubnets = f.subnetIds ?? [];
  const assocs = liveAssociations(rt);
  await Promise.all(assocs.filter((a) => !wantSubnets.includes(a.subnetId)).map((a) => ignoreNotFound(() => ec2.call('DisassociateRouteTable', { AssociationId: a.associationId }))));
  await Promise.all(
    wantSubnets.filter((s) => !assocs.some((a) => a.subnetId === s)).map((s) => creating(`associate ${s}`, () => ec2.call('AssociateRouteTable', { RouteTableId, SubnetId: s }))),
  );
}

export const routeTableHandler = defineHandler({
  kind: routeTable,
  service: 'ec2',
  immutable: ['vpcId'],
  describe: async (ctx, id) =>
    (await paginate(ctx.clients.ec2, 'DescribeRouteTables', { Filters: clusterFilter(ctx.cluster, id) }, 'RouteTables')).filter((r): r is LiveRouteTable => !!r.RouteTableId),
  tags: (rt) => tagMap(rt.Tags),
  cloudId: (rt) => rt.RouteTableId,
  fields: (rt) => ({ vpcId: rt.VpcId, routes: liveRoutes(rt), subnetIds: liveAssociations(rt).map((a) => a.subnetId), tags: tagMap(rt.Tags) }),
  outputs: (rt) => ({ id: rt.RouteTableId }),
  adopt: { lookFirst: true },
  async create(f, ctx) {
    const res = await creating(`create route table`, () => ctx.clients.ec2.call('CreateRouteTable', { VpcId: f.vpcId, TagSpecifications: tagSpec('route-table', f.tags) }));
    return res.RouteTable as LiveRouteTable;
  },
  converge: (rt, f, ctx) => reconcile(ctx, rt, f),
  async update(cur, f, _changed, ctx) {
    const rt = await describeOne(ctx, cur.cloudId);
    await reconcile(ctx, { ...rt, RouteTableId: cur.cloudId }, f);
  },
  retag: ec2Retag,
  async delete(cur, ctx) {
    const associations = liveAssociations((await describeOne(ctx, cur.cloudId)) ?? {});
    await Promise.all(associations.map((a) => ignoreNotFound(() => ctx.clients.ec2.call('DisassociateRouteTable', { AssociationId: a.associationId }))));
    await ctx.clients.ec2.call('DeleteRouteTable', { RouteTableId: cur.cloudId });
  },
  equal: (field, d, l) => (field === 'routes' || field === 'subnetIds') && sameSet(d, l),
  terraform(f, name, node) {
    const self = routeTable.ref(node.id, 'id');
    // Separate aws_route resources: inline `route` blocks in JSON need every attribute spelled out.
    const routes = (f.routes ?? []).map((r, i) => ({
      type: 'aws_route',
      name: `${name}_route_${i}`,
      body: { route_table_id: self, destination_cidr_block: r.destinationCidrBlock, ...(r.natGatewayId ? { nat_gateway_id: r.natGatewayId } : { gateway_id: r.gatewayId }) },
    }));
    const associations = (f.subnetIds ?? []).map((s, i) => ({ type: 'aws_route_table_association', name: `${name}_${i}`, body: { route_table_id: self, subnet_id: s } }));
    return { body: { vpc_id: f.vpcId, tags: f.tags }, extra: [...routes, ...associations] };
  },
});
