// Listeners of the cluster's load balancers: one DescribeListeners per owned balancer (there are two), tags batched.

import type { Listener } from '@aws-sdk/client-elastic-load-balancing-v2';
import { creating, paginate, tagList, type Tags } from './common.js';
import { defineHandler, defineKind } from './define.js';
import { withClusterTags, type WithTags } from './elb-common.js';
import { describeClusterLoadBalancers } from './load-balancer.js';

export interface ListenerFields {
  loadBalancerArn: string;
  protocol: string;
  port: number;
  targetGroupArn: string;
  tags: Tags;
}
export type ListenerOutputs = { arn: string };
export const listener = defineKind<ListenerFields, ListenerOutputs>('listener', 'aws_lb_listener');

type LiveListener = WithTags<Listener & { ListenerArn: string }>;

const forwardTo = (targetGroupArn: string) => [{ Type: 'forward' as const, TargetGroupArn: targetGroupArn }];

export const listenerHandler = defineHandler({
  kind: listener,
  service: 'elbv2',
  immutable: ['loadBalancerArn'],
  async describe(ctx, id) {
    const listeners: Listener[] = [];
    for (const lb of await describeClusterLoadBalancers(ctx)) {
      listeners.push(...(await paginate(ctx.clients.elbv2, 'DescribeListeners', { LoadBalancerArn: lb.LoadBalancerArn }, 'Listeners', 'Marker', 'NextMarker')));
    }
    return (await withClusterTags(ctx, listeners, (l) => l.ListenerArn, id)).filter((l): l is LiveListener => !!l.ListenerArn);
  },
  tags: (l) => l.tags,
  cloudId: (l) => l.ListenerArn,
  fields: (l) => ({
    loadBalancerArn: l.LoadBalancerArn,
    protocol: l.Protocol,
    port: l.Port,
    targetGroupArn: (l.DefaultActions ?? []).find((a) => a.Type === 'forward')?.TargetGroupArn ?? null,
    tags: l.tags,
  }),
  outputs: (l) => ({ arn: l.ListenerArn }),
  // CreateListener is idempotent for the same port and settings: a retried create returns the same listener.
  adopt: {},
  async create(f, ctx) {
    const res = await creating('create listener', () =>
      ctx.clients.elbv2.call('CreateListener', {
        LoadBalancerArn: f.loadBalancerArn,
        Protocol: f.protocol as Listener['Protocol'],
        Port: f.port,
        DefaultActions: forwardTo(f.targetGroupArn),
        Tags: tagList(f.tags),
      }),
    );
    return { ...res.Listeners?.[0], tags: f.tags } as LiveListener;
  },
  async update(cur, f, _changed, ctx) {
    await ctx.clients.elbv2.call('ModifyListener', { ListenerArn: cur.cloudId, Protocol: f.protocol as Listener['Protocol'], Port: f.port, DefaultActions: forwardTo(f.targetGroupArn) });
  },
  async retag(cur, tags, ctx) {
    await ctx.clients.elbv2.call('AddTags', { ResourceArns: [cur.cloudId], Tags: tagList(tags) });
  },
  async delete(cur, ctx) {
    await ctx.clients.elbv2.call('DeleteListener', { ListenerArn: cur.cloudId });
  },
  terraform: (f) => ({
    body: { load_balancer_arn: f.loadBalancerArn, protocol: f.protocol, port: f.port, default_action: [{ type: 'forward', target_group_arn: f.targetGroupArn }], tags: f.tags },
  }),
});
