import type { ResourceHandler } from '../../../src/core/resource.js';
import type { AwsClients } from '../clients.js';
import { clusterFilter, creating, ignoreNotFound, live, ownedId, tagList, tagMap, tagSpec, tagsEqual, tfName, type Ctx } from './common.js';

async function attach(ctx: Ctx, igwId: string, vpcId: unknown) {
  await creating(`attach internet gateway ${igwId}`, () => ctx.clients.ec2.call('AttachInternetGateway', { InternetGatewayId: igwId, VpcId: vpcId }));
}

export const internetGatewayHandler: ResourceHandler<AwsClients> = {
  kind: 'internet-gateway',
  service: 'ec2',
  async list(ctx) {
    const res = await ctx.clients.ec2.call('DescribeInternetGateways', { Filters: clusterFilter(ctx.cluster) });
    return (res.InternetGateways ?? []).flatMap((g: any) => {
      const tags = tagMap(g.Tags);
      const id = ownedId(tags, ctx, `internet gateway ${g.InternetGatewayId}`);
      if (!id) return [];
      const vpcId = (g.Attachments ?? []).find((a: any) => a.State !== 'detached')?.VpcId ?? null;
      return [live('internet-gateway', id, g.InternetGatewayId, { vpcId, tags }, { id: g.InternetGatewayId })];
    });
  },
  async create(node, f, ctx) {
    const existing = await ctx.clients.ec2.call('DescribeInternetGateways', { Filters: clusterFilter(ctx.cluster, node.id) });
    let igw = existing.InternetGateways?.[0];
    if (!igw) igw = (await ctx.clients.ec2.call('CreateInternetGateway', { TagSpecifications: tagSpec('internet-gateway', f.tags) })).InternetGateway;
    if (!(igw.Attachments ?? []).some((a: any) => a.VpcId === f.vpcId)) await attach(ctx, igw.InternetGatewayId, f.vpcId);
    return { cloudId: igw.InternetGatewayId, outputs: { id: igw.InternetGatewayId } };
  },
  async update(_node, f, cur, changes, ctx) {
    for (const c of changes) {
      if (c.field === 'vpcId') {
        if (cur.fields.vpcId) await ignoreNotFound(() => ctx.clients.ec2.call('DetachInternetGateway', { InternetGatewayId: cur.cloudId, VpcId: cur.fields.vpcId }));
        await attach(ctx, cur.cloudId, f.vpcId);
      }
      if (c.field === 'tags') await ctx.clients.ec2.call('CreateTags', { Resources: [cur.cloudId], Tags: tagList(f.tags) });
    }
    return { cloudId: cur.cloudId, outputs: cur.outputs };
  },
  async delete(cur, ctx) {
    if (cur.fields.vpcId) {
      // Fails with DependencyViolation while instances with public addresses remain: the engine retries.
      await ignoreNotFound(() => ctx.clients.ec2.call('DetachInternetGateway', { InternetGatewayId: cur.cloudId, VpcId: cur.fields.vpcId }));
    }
    await ctx.clients.ec2.call('DeleteInternetGateway', { InternetGatewayId: cur.cloudId });
  },
  equal: (field, d, l) => field === 'tags' && tagsEqual(d, l),
  terraform(node) {
    return { type: 'aws_internet_gateway', name: tfName(node.id), body: { vpc_id: node.fields.vpcId, tags: node.fields.tags } };
  },
};
