import type { Vpc } from '@aws-sdk/client-ec2';
import { clusterFilter, ec2Retag, paginate, tagMap, tagSpec, type Ctx, type Tags } from './common.js';
import { defineHandler, defineKind } from './define.js';

export interface VpcFields {
  cidrBlock: string;
  enableDnsHostnames: boolean;
  enableDnsSupport: boolean;
  tags: Tags;
}
export type VpcOutputs = { id: string; cidr_block: string };
export const vpc = defineKind<VpcFields, VpcOutputs>('vpc', 'aws_vpc');

type LiveVpc = Vpc & { VpcId: string; dns?: { enableDnsHostnames: boolean; enableDnsSupport: boolean } };

async function dnsAttributes(ctx: Ctx, vpcId: string) {
  // Two calls per VPC; a cluster has one VPC.
  const [h, s] = await Promise.all([
    ctx.clients.ec2.call('DescribeVpcAttribute', { VpcId: vpcId, Attribute: 'enableDnsHostnames' }),
    ctx.clients.ec2.call('DescribeVpcAttribute', { VpcId: vpcId, Attribute: 'enableDnsSupport' }),
  ]);
  return { enableDnsHostnames: h.EnableDnsHostnames?.Value ?? false, enableDnsSupport: s.EnableDnsSupport?.Value ?? true };
}

/**
 * `fresh`: a VPC this create call made, with EC2's defaults for a new VPC (DNS support on, hostnames off), so only
 * what differs from them is set — a call less on the apply's longest chain (VPC → subnet → …, issue 17).
 */
async function setDns(ctx: Ctx, vpcId: string, f: VpcFields, fresh = false) {
  // One attribute per call (an EC2 rule); support must be on before hostnames.
  if (!fresh || !f.enableDnsSupport) await ctx.clients.ec2.call('ModifyVpcAttribute', { VpcId: vpcId, EnableDnsSupport: { Value: Boolean(f.enableDnsSupport) } });
  if (!fresh || f.enableDnsHostnames) await ctx.clients.ec2.call('ModifyVpcAttribute', { VpcId: vpcId, EnableDnsHostnames: { Value: Boolean(f.enableDnsHostnames) } });
}

export const vpcHandler = defineHandler({
  kind: vpc,
  service: 'ec2',
  immutable: ['cidrBlock'],
  async describe(ctx, id) {
    const vpcs = (await paginate(ctx.clients.ec2, 'DescribeVpcs', { Filters: clusterFilter(ctx.cluster, id) }, 'Vpcs')).filter((v): v is LiveVpc => !!v.VpcId);
    // Only list() reads the DNS attributes; create's adoption check does not need them.
    return id ? vpcs : Promise.all(vpcs.map(async (v) => ({ ...v, dns: await dnsAttributes(ctx, v.VpcId) })));
  },
  tags: (v) => tagMap(v.Tags),
  cloudId: (v) => v.VpcId,
  label: (v) => `VPC ${v.VpcId}`,
  fields: (v) => ({ cidrBlock: v.CidrBlock, ...v.dns, tags: tagMap(v.Tags) }),
  outputs: (v) => ({ id: v.VpcId, cidr_block: v.CidrBlock ?? '' }),
  // VPCs have no unique name: a retried create after a lost response adopts the tagged one.
  adopt: { lookFirst: true },
  async create(f, ctx) {
    const res = await ctx.clients.ec2.call('CreateVpc', { CidrBlock: f.cidrBlock, TagSpecifications: tagSpec('vpc', f.tags) });
    return res.Vpc as LiveVpc;
  },
  async converge(v, f, ctx, adopted) {
    await setDns(ctx, v.VpcId, f, !adopted);
  },
  async update(cur, f, changed, ctx) {
    if (changed.has('enableDnsHostnames') || changed.has('enableDnsSupport')) await setDns(ctx, cur.cloudId, f);
  },
  retag: ec2Retag,
  async delete(cur, ctx) {
    await ctx.clients.ec2.call('DeleteVpc', { VpcId: cur.cloudId });
  },
  terraform: (f) => ({ body: { cidr_block: f.cidrBlock, enable_dns_hostnames: f.enableDnsHostnames, enable_dns_support: f.enableDnsSupport, tags: f.tags } }),
});
