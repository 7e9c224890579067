import type { ResourceHandler } from '../../../src/core/resource.js';
import type { AwsClients } from '../clients.js';
import { clusterFilter, live, ownedId, tagList, tagMap, tagSpec, tagsEqual, tfName, type Ctx } from './common.js';

async function dnsAttributes(ctx: Ctx, vpcId: string) {
  const [h, s] = await Promise.all([
    ctx.clients.ec2.call('DescribeVpcAttribute', { VpcId: vpcId, Attribute: 'enableDnsHostnames' }),
    ctx.clients.ec2.call('DescribeVpcAttribute', { VpcId: vpcId, Attribute: 'enableDnsSupport' }),
  ]);
  return { enableDnsHostnames: h.EnableDnsHostnames?.Value ?? false, enableDnsSupport: s.EnableDnsSupport?.Value ?? true };
}

async function setDns(ctx: Ctx, vpcId: string, f: Record<string, unknown>) {
  // One attribute per call (an EC2 rule); support must be on before hostnames.
  await ctx.clients.ec2.call('ModifyVpcAttribute', { VpcId: vpcId, EnableDnsSupport: { Value: Boolean(f.enableDnsSupport) } });
  await ctx.clients.ec2.call('ModifyVpcAttribute', { VpcId: vpcId, EnableDnsHostnames: { Value: Boolean(f.enableDnsHostnames) } });
}

export const vpcHandler: ResourceHandler<AwsClients> = {
  kind: 'vpc',
  service: 'ec2',
  immutable: ['cidrBlock'],
  async list(ctx) {
    const res = await ctx.clients.ec2.call('DescribeVpcs', { Filters: clusterFilter(ctx.cluster) });
    const out = [];
    for (const v of res.Vpcs ?? []) {
      const tags = tagMap(v.Tags);
      const id = ownedId(tags, ctx, `VPC ${v.VpcId}`);
      if (!id) continue;
      out.push(live('vpc', id, v.VpcId, { cidrBlock: v.CidrBlock, ...(await dnsAttributes(ctx, v.VpcId)), tags }, { id: v.VpcId, cidr_block: v.CidrBlock }));
    }
    return out;
  },
  async create(node, f, ctx) {
    // A retried create after a lost response must not make a second VPC: adopt the tagged one.
    const existing = await ctx.clients.ec2.call('DescribeVpcs', { Filters: clusterFilter(ctx.cluster, node.id) });
    let vpc = existing.Vpcs?.[0];
    if (!vpc) vpc = (await ctx.clients.ec2.call('CreateVpc', { CidrBlock: f.cidrBlock, TagSpecifications: tagSpec('vpc', f.tags) })).Vpc;
    await setDns(ctx, vpc.VpcId, f);
    return { cloudId: vpc.VpcId, outputs: { id: vpc.VpcId, cidr_block: vpc.CidrBlock } };
  },
  async update(_node, f, cur, changes, ctx) {
    const fields = new Set(changes.map((c) => c.field));
    if (fields.has('enableDnsHostnames') || fields.has('enableDnsSupport')) await setDns(ctx, cur.cloudId, f);
    if (fields.has('tags')) await ctx.clients.ec2.call('CreateTags', { Resources: [cur.cloudId], Tags: tagList(f.tags) });
    return { cloudId: cur.cloudId, outputs: cur.outputs };
  },
  async delete(cur, ctx) {
    await ctx.clients.ec2.call('DeleteVpc', { VpcId: cur.cloudId });
  },
  equal: (field, d, l) => field === 'tags' && tagsEqual(d, l),
  terraform(node) {
    const f = node.fields;
    return { type: 'aws_vpc', name: tfName(node.id), body: { cidr_block: f.cidrBlock, enable_dns_hostnames: f.enableDnsHostnames, enable_dns_support: f.enableDnsSupport, tags: f.tags } };
  },
};
