import type { ResourceHandler } from '../../../src/core/resource.js';
import type { AwsClients } from '../clients.js';
import { creating, isOurs, live, sameSet, tagList, tagsEqual, tfName, waitUntil, type Ctx } from './common.js';
import { adoptDuplicate, describeOwned, tagsByArn } from './elb-common.js';
import { classifyAwsError } from '../errors.js';

async function findOwnedByName(ctx: Ctx, name: string): Promise<any | undefined> {
  try {
    const found = (await ctx.clients.elbv2.call('DescribeLoadBalancers', { Names: [name] })).LoadBalancers ?? [];
    const tags = await tagsByArn(ctx, found.map((l: any) => l.LoadBalancerArn));
    return found.find((l: any) => isOurs(tags.get(l.LoadBalancerArn) ?? {}, ctx, `load balancer ${name} (${l.LoadBalancerArn})`));
  } catch (err) {
    if (classifyAwsError(err) === 'not-found') return undefined;
    throw err;
  }
}

const outputsOf = (lb: any) => ({ arn: lb.LoadBalancerArn, dns_name: lb.DNSName, zone_id: lb.CanonicalHostedZoneId ?? '' });

export const loadBalancerHandler: ResourceHandler<AwsClients> = {
  kind: 'load-balancer',
  service: 'elbv2',
  immutable: ['name', 'type', 'scheme'],
  async list(ctx) {
    const owned = await describeOwned(ctx, 'DescribeLoadBalancers', 'LoadBalancers', 'LoadBalancerArn');
    return owned.map(({ item: lb, tags }) =>
      live(
        'load-balancer',
        tags['k8sup.io/id'],
        lb.LoadBalancerArn,
        { name: lb.LoadBalancerName, type: lb.Type, scheme: lb.Scheme, subnetIds: (lb.AvailabilityZones ?? []).map((z: any) => z.SubnetId), tags },
        outputsOf(lb),
      ),
    );
  },
  async create(_node, f, ctx) {
    // CreateLoadBalancer is idempotent for the same name on AWS, but not on every endpoint: look first.
    const existing = await findOwnedByName(ctx, String(f.name));
    if (existing) return { cloudId: existing.LoadBalancerArn, outputs: outputsOf(existing) };
    const res = await adoptDuplicate(ctx, 'DescribeLoadBalancers', { Names: [f.name] }, 'LoadBalancers', 'LoadBalancerArn', () =>
      creating(`create load balancer ${f.name}`, () =>
        ctx.clients.elbv2.call('CreateLoadBalancer', { Name: f.name, Type: f.type, Scheme: f.scheme, Subnets: f.subnetIds, Tags: tagList(f.tags) }),
      ),
    );
    const lb = res.LoadBalancers[0];
    return { cloudId: lb.LoadBalancerArn, outputs: outputsOf(lb) };
  },
  async update(_node, f, cur, changes, ctx) {
    for (const c of changes) {
      if (c.field === 'subnetIds') await ctx.clients.elbv2.call('SetSubnets', { LoadBalancerArn: cur.cloudId, Subnets: f.subnetIds });
      if (c.field === 'tags') await ctx.clients.elbv2.call('AddTags', { ResourceArns: [cur.cloudId], Tags: tagList(f.tags) });
    }
    return { cloudId: cur.cloudId, outputs: cur.outputs };
  },
  async delete(cur, ctx) {
    await ctx.clients.elbv2.call('DeleteLoadBalancer', { LoadBalancerArn: cur.cloudId });
    // Its network interfaces linger briefly; subnets and the VPC retry on DependencyViolation until they go.
    await waitUntil(ctx, `load balancer ${cur.outputs.dns_name} to be deleted`, async () => {
      try {
        const res = await ctx.clients.elbv2.call('DescribeLoadBalancers', { LoadBalancerArns: [cur.cloudId] });
        return (res.LoadBalancers ?? []).length === 0;
      } catch (err) {
        if ((err as { name?: string }).name === 'LoadBalancerNotFoundException' || (err as { name?: string }).name === 'LoadBalancerNotFound') return true;
        throw err;
      }
    }, 5 * 60_000);
  },
  equal(field, d, l) {
    if (field === 'tags') return tagsEqual(d, l);
    if (field === 'subnetIds') return sameSet(d, l);
    return false;
  },
  terraform(node) {
    const f = node.fields;
    return { type: 'aws_lb', name: tfName(node.id), body: { name: f.name, load_balancer_type: f.type, internal: f.scheme === 'internal', subnets: f.subnetIds, tags: f.tags } };
  },
};

import { defineKind } from './define.js';
export const loadBalancerKind = defineKind<Record<string, unknown>, Record<string, string>>('load-balancer', 'aws_lb');
