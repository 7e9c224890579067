// Listeners of the cluster's load balancers: one DescribeListeners per owned balancer (there is one), tags batched.

import type { ResourceHandler } from '../../../src/core/resource.js';
import type { AwsClients } from '../clients.js';
import { live, ownedId, tagList, tagsEqual, tfName, creating } from './common.js';
import { describeOwned, tagsByArn } from './elb-common.js';

export const listenerHandler: ResourceHandler<AwsClients> = {
  kind: 'listener',
  service: 'elbv2',
  immutable: ['loadBalancerArn'],
  async list(ctx) {
    const lbs = await describeOwned(ctx, 'DescribeLoadBalancers', 'LoadBalancers', 'LoadBalancerArn');
    const listeners: any[] = [];
    for (const { item } of lbs) {
      listeners.push(...((await ctx.clients.elbv2.call('DescribeListeners', { LoadBalancerArn: item.LoadBalancerArn })).Listeners ?? []));
    }
    const tags = await tagsByArn(ctx, listeners.map((l) => l.ListenerArn));
    return listeners.flatMap((l) => {
      const t = tags.get(l.ListenerArn) ?? {};
      const id = ownedId(t, ctx, `listener ${l.ListenerArn}`);
      if (!id) return [];
      const forward = (l.DefaultActions ?? []).find((a: any) => a.Type === 'forward');
      return [
        live('listener', id, l.ListenerArn, { loadBalancerArn: l.LoadBalancerArn, protocol: l.Protocol, port: l.Port, targetGroupArn: forward?.TargetGroupArn ?? null, tags: t }, { arn: l.ListenerArn }),
      ];
    });
  },
  async create(_node, f, ctx) {
    // Idempotent for the same port and settings.
    const res = await creating('create listener', () =>
      ctx.clients.elbv2.call('CreateListener', {
        LoadBalancerArn: f.loadBalancerArn,
        Protocol: f.protocol,
        Port: f.port,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: f.targetGroupArn }],
        Tags: tagList(f.tags),
      }),
    );
    const l = res.Listeners[0];
    return { cloudId: l.ListenerArn, outputs: { arn: l.ListenerArn } };
  },
  async update(_node, f, cur, changes, ctx) {
    if (changes.some((c) => c.field !== 'tags')) {
      await ctx.clients.elbv2.call('ModifyListener', { ListenerArn: cur.cloudId, Protocol: f.protocol, Port: f.port, DefaultActions: [{ Type: 'forward', TargetGroupArn: f.targetGroupArn }] });
    }
    if (changes.some((c) => c.field === 'tags')) await ctx.clients.elbv2.call('AddTags', { ResourceArns: [cur.cloudId], Tags: tagList(f.tags) });
    return { cloudId: cur.cloudId, outputs: cur.outputs };
  },
  async delete(cur, ctx) {
    await ctx.clients.elbv2.call('DeleteListener', { ListenerArn: cur.cloudId });
  },
  equal: (field, d, l) => field === 'tags' && tagsEqual(d, l),
  terraform(node) {
    const f = node.fields;
    return {
      type: 'aws_lb_listener',
      name: tfName(node.id),
      body: { load_balancer_arn: f.loadBalancerArn, protocol: f.protocol, port: f.port, default_action: [{ type: 'forward', target_group_arn: f.targetGroupArn }], tags: f.tags },
    };
  },
};

import { defineKind } from './define.js';
export const listenerKind = defineKind<Record<string, unknown>, Record<string, string>>('listener', 'aws_lb_listener');
