// A route table with its routes and subnet associations as fields: the table owns both, so update reconciles them
// and delete first releases the associations (a table with associations cannot be deleted).

import { ref, type ResourceHandler } from '../../../src/core/resource.js';
import type { AwsClients } from '../clients.js';
import { clusterFilter, creating, ignoreNotFound, live, ownedId, sameSet, tagList, tagMap, tagSpec, tagsEqual, tfName, type Ctx } from './common.js';

interface Route {
  destinationCidrBlock: string;
  gatewayId: string;
}

function liveRoutes(rt: any): Route[] {
  // The VPC's own local route is implicit and not ours to manage.
  return (rt.Routes ?? [])
    .filter((r: any) => r.GatewayId !== 'local' && r.DestinationCidrBlock)
    .map((r: any) => ({ destinationCidrBlock: r.DestinationCidrBlock, gatewayId: r.GatewayId }));
}

function liveAssociations(rt: any): { subnetId: string; associationId: string }[] {
  return (rt.Associations ?? []).filter((a: any) => a.SubnetId && !a.Main).map((a: any) => ({ subnetId: a.SubnetId, associationId: a.RouteTableAssociationId }));
}

async function reconcile(ctx: Ctx, rt: any, f: Record<string, unknown>) {
  const ec2 = ctx.clients.ec2;
  const want = (f.routes ?? []) as Route[];
  const have = liveRoutes(rt);
  for (const r of have) {
    if (!want.some((w) => w.destinationCidrBlock === r.destinationCidrBlock && w.gatewayId === r.gatewayId)) {
      await ignoreNotFound(() => ec2.call('DeleteRoute', { RouteTableId: rt.RouteTableId, DestinationCidrBlock: r.destinationCidrBlock }));
    }
  }
  for (const w of want) {
    const same = have.find((r) => r.destinationCidrBlock === w.destinationCidrBlock);
    if (same?.gatewayId === w.gatewayId) continue;
    await creating(`route ${w.destinationCidrBlock}`, () =>
      ec2.call(same ? 'ReplaceRoute' : 'CreateRoute', { RouteTableId: rt.RouteTableId, DestinationCidrBlock: w.destinationCidrBlock, GatewayId: w.gatewayId }),
    );
  }
  const wantSubnets = (f.subnetIds ?? []) as string[];
  const assocs = liveAssociations(rt);
  for (const a of assocs) {
    if (!wantSubnets.includes(a.subnetId)) await ignoreNotFound(() => ec2.call('DisassociateRouteTable', { AssociationId: a.associationId }));
  }
  for (const s of wantSubnets) {
    if (!assocs.some((a) => a.subnetId === s)) await creating(`associate ${s}`, () => ec2.call('AssociateRouteTable', { RouteTableId: rt.RouteTableId, SubnetId: s }));
  }
}

export const routeTableHandler: ResourceHandler<AwsClients> = {
  kind: 'route-table',
  service: 'ec2',
  immutable: ['vpcId'],
  async list(ctx) {
    const res = await ctx.clients.ec2.call('DescribeRouteTables', { Filters: clusterFilter(ctx.cluster) });
    return (res.RouteTables ?? []).flatMap((rt: any) => {
      const tags = tagMap(rt.Tags);
      const id = ownedId(tags, ctx, `route table ${rt.RouteTableId}`);
      if (!id) return [];
      return [live('route-table', id, rt.RouteTableId, { vpcId: rt.VpcId, routes: liveRoutes(rt), subnetIds: liveAssociations(rt).map((a) => a.subnetId), tags }, { id: rt.RouteTableId })];
    });
  },
  async create(node, f, ctx) {
    const existing = await ctx.clients.ec2.call('DescribeRouteTables', { Filters: clusterFilter(ctx.cluster, node.id) });
    let rt = existing.RouteTables?.[0];
    if (!rt) rt = (await creating(`create route table`, () => ctx.clients.ec2.call('CreateRouteTable', { VpcId: f.vpcId, TagSpecifications: tagSpec('route-table', f.tags) }))).RouteTable;
    await reconcile(ctx, rt, f);
    return { cloudId: rt.RouteTableId, outputs: { id: rt.RouteTableId } };
  },
  async update(_node, f, cur, changes, ctx) {
    const res = await ctx.clients.ec2.call('DescribeRouteTables', { RouteTableIds: [cur.cloudId] });
    await reconcile(ctx, res.RouteTables[0], f);
    if (changes.some((c) => c.field === 'tags')) await ctx.clients.ec2.call('CreateTags', { Resources: [cur.cloudId], Tags: tagList(f.tags) });
    return { cloudId: cur.cloudId, outputs: cur.outputs };
  },
  async delete(cur, ctx) {
    const res = await ctx.clients.ec2.call('DescribeRouteTables', { RouteTableIds: [cur.cloudId] });
    for (const a of liveAssociations(res.RouteTables?.[0] ?? {})) {
      await ignoreNotFound(() => ctx.clients.ec2.call('DisassociateRouteTable', { AssociationId: a.associationId }));
    }
    await ctx.clients.ec2.call('DeleteRouteTable', { RouteTableId: cur.cloudId });
  },
  equal(field, d, l) {
    if (field === 'tags') return tagsEqual(d, l);
    if (field === 'routes' || field === 'subnetIds') return sameSet(d, l);
    return false;
  },
  terraform(node) {
    const f = node.fields;
    const name = tfName(node.id);
    const routes = (f.routes ?? []) as unknown as Record<string, unknown>[];
    const blocks = [
      {
        type: 'aws_route_table',
        name,
        body: { vpc_id: f.vpcId, tags: f.tags } as any,
      },
    ];
    // Separate aws_route resources: inline `route` blocks in JSON need every attribute spelled out.
    routes.forEach((r, i) => {
      blocks.push({ type: 'aws_route', name: `${name}_route_${i}`, body: { route_table_id: ref(node.id, 'id'), destination_cidr_block: r.destinationCidrBlock, gateway_id: r.gatewayId } });
    });
    ((f.subnetIds ?? []) as unknown[]).forEach((s, i) => {
      blocks.push({ type: 'aws_route_table_association', name: `${name}_${i}`, body: { route_table_id: ref(node.id, 'id'), subnet_id: s } as any });
    });
    return blocks;
  },
};
