import type { LoadBalancer } from '@aws-sdk/client-elastic-load-balancing-v2';
import { creating, errorCode, paginate, sameSet, tagList, waitUntil, type Ctx, type Tags } from './common.js';
import { defineHandler, defineKind } from './define.js';
import { noneIfNotFound, withClusterTags, type WithTags } from './elb-common.js';

export interface LoadBalancerFields {
  name: string;
  type: string;
  scheme: string;
  subnetIds: string[];
  tags: Tags;
}
export type LoadBalancerOutputs = { arn: string; dns_name: string; zone_id: string };
export const loadBalancer = defineKind<LoadBalancerFields, LoadBalancerOutputs>('load-balancer', 'aws_lb');

type LiveLoadBalancer = WithTags<LoadBalancer & { LoadBalancerArn: string }>;

const arnOf = (lb: LoadBalancer) => lb.LoadBalancerArn;

/** The cluster's load balancers: every page of DescribeLoadBalancers, tags in batches. */
export async function describeClusterLoadBalancers(ctx: Ctx, id?: string): Promise<LiveLoadBalancer[]> {
  const all = await paginate(ctx.clients.elbv2, 'DescribeLoadBalancers', {}, 'LoadBalancers', 'Marker', 'NextMarker');
  return (await withClusterTags(ctx, all, arnOf, id)).filter((lb): lb is LiveLoadBalancer => !!lb.LoadBalancerArn);
}

async function findByName(ctx: Ctx, name: string): Promise<LiveLoadBalancer | undefined> {
  const found = await noneIfNotFound(async () => (await ctx.clients.elbv2.call('DescribeLoadBalancers', { Names: [name] })).LoadBalancers ?? []);
  // Ownership (the cluster tag) is checked by defineHandler's isOurs.
  const tagged = await withClusterTags(ctx, found, arnOf);
  return tagged.find((lb): lb is LiveLoadBalancer => !!lb.LoadBalancerArn);
}

export const loadBalancerHandler = defineHandler({
  kind: loadBalancer,
  service: 'elbv2',
  immutable: ['name', 'type', 'scheme'],
  describe: describeClusterLoadBalancers,
  tags: (lb) => lb.tags,
  cloudId: (lb) => lb.LoadBalancerArn,
  fields: (lb) => ({ name: lb.LoadBalancerName, type: lb.Type, scheme: lb.Scheme, subnetIds: (lb.AvailabilityZones ?? []).flatMap((z) => (z.SubnetId ? [z.SubnetId] : [])), tags: lb.tags }),
  outputs: (lb) => ({ arn: lb.LoadBalancerArn, dns_name: lb.DNSName ?? '', zone_id: lb.CanonicalHostedZoneId ?? '' }),
  adopt: {
    // CreateLoadBalancer is idempotent for the same name on AWS, but not on every endpoint: look first.
    lookFirst: true,
    duplicate: (err) => /^Duplicate\w*Name/.test(errorCode(err) ?? ''),
    find: (ctx, f) => findByName(ctx, f.name),
  },
  async create(f, ctx) {
    const res = await creating(`create load balancer ${f.name}`, () =>
      ctx.clients.elbv2.call('CreateLoadBalancer', { Name: f.name, Type: f.type as LoadBalancer['Type'], Scheme: f.scheme as LoadBalancer['Scheme'], Subnets: f.subnetIds, Tags: tagList(f.tags) }),
    );
    return { ...res.LoadBalancers?.[0], tags: f.tags } as LiveLoadBalancer;
  },
  async update(cur, f, changed, ctx) {
    if (changed.has('subnetIds')) await ctx.clients.elbv2.call('SetSubnets', { LoadBalancerArn: cur.cloudId, Subnets: f.subnetIds });
  },
  async retag(cur, tags, ctx) {
    await ctx.clients.elbv2.call('AddTags', { ResourceArns: [cur.cloudId], Tags: tagList(tags) });
  },
  async delete(cur, ctx) {
    await ctx.clients.elbv2.call('DeleteLoadBalancer', { LoadBalancerArn: cur.cloudId });
    // Its network interfaces linger briefly; subnets and the VPC retry on DependencyViolation until they go.
    await waitUntil(
      ctx,
      `load balancer ${cur.outputs.dns_name} to be deleted`,
      async () => (await noneIfNotFound(async () => (await ctx.clients.elbv2.call('DescribeLoadBalancers', { LoadBalancerArns: [cur.cloudId] })).LoadBalancers ?? [])).length === 0,
      5 * 60_000,
    );
  },
  equal: (field, d, l) => field === 'subnetIds' && sameSet(d, l),
  terraform: (f) => ({ body: { name: f.name, load_balancer_type: f.type, internal: f.scheme === 'internal', subnets: f.subnetIds, tags: f.tags } }),
});
