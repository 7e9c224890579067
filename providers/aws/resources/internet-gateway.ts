import type { InternetGateway } from '@aws-sdk/client-ec2';
import { clusterFilter, creating, ec2Retag, ignoreNotFound, paginate, tagMap, tagSpec, type Ctx, type Tags } from './common.js';
import { defineHandler, defineKind } from './define.js';

export interface InternetGatewayFields {
  vpcId: string;
  tags: Tags;
}
export type InternetGatewayOutputs = { id: string };
export const internetGateway = defineKind<InternetGatewayFields, InternetGatewayOutputs>('internet-gateway', 'aws_internet_gateway');

type LiveGateway = InternetGateway & { InternetGatewayId: string };

async function attach(ctx: Ctx, igwId: string, vpcId: string) {
  await creating(`attach internet gateway ${igwId}`, () => ctx.clients.ec2.call('AttachInternetGateway', { InternetGatewayId: igwId, VpcId: vpcId }));
}

async function detach(ctx: Ctx, igwId: string, vpcId: unknown) {
  if (typeof vpcId !== 'string' || !vpcId) return;
  await ignoreNotFound(() => ctx.clients.ec2.call('DetachInternetGateway', { InternetGatewayId: igwId, VpcId: vpcId }));
}

export const internetGatewayHandler = defineHandler({
  kind: internetGateway,
  service: 'ec2',
  describe: async (ctx, id) =>
    (await paginate(ctx.clients.ec2, 'DescribeInternetGateways', { Filters: clusterFilter(ctx.cluster, id) }, 'InternetGateways')).filter(
      (g): g is LiveGateway => !!g.InternetGatewayId,
    ),
  tags: (g) => tagMap(g.Tags),
  cloudId: (g) => g.InternetGatewayId,
  fields: (g) => ({ vpcId: (g.Attachments ?? []).find((a) => a.State !== 'detached')?.VpcId ?? null, tags: tagMap(g.Tags) }),
  outputs: (g) => ({ id: g.InternetGatewayId }),
  adopt: { lookFirst: true },
  async create(f, ctx) {
    return (await ctx.clients.ec2.call('CreateInternetGateway', { TagSpecifications: tagSpec('internet-gateway', f.tags) })).InternetGateway as LiveGateway;
  },
  async converge(g, f, ctx) {
    if (!(g.Attachments ?? []).some((a) => a.VpcId === f.vpcId)) await attach(ctx, g.InternetGatewayId, f.vpcId);
  },
  async update(cur, f, changed, ctx) {
    if (changed.has('vpcId')) {
      await detach(ctx, cur.cloudId, cur.fields.vpcId);
      await attach(ctx, cur.cloudId, f.vpcId);
    }
  },
  retag: ec2Retag,
  async delete(cur, ctx) {
    // Fails with DependencyViolation while instances with public addresses remain: the engine retries.
    await detach(ctx, cur.cloudId, cur.fields.vpcId);
    await ctx.clients.ec2.call('DeleteInternetGateway', { InternetGatewayId: cur.cloudId });
  },
  terraform: (f) => ({ body: { vpc_id: f.vpcId, tags: f.tags } }),
});
