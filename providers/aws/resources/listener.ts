// Listeners of the cluster's load balancers: one DescribeListeners per owned balancer (there is one), tags batched.

import type { ResourceHandler } from '../../../src/core/resource.js';
import type { AwsClients } from '../clients.js';
import { creating, isOurs, live, ownedId, tagList, tagsEqual, tfName } from './common.js';
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
  async create(node, f, ctx) {
    // A retried create whose first reply was lost: the listener on this port is already there. AWS answers a repeated
    // CreateListener with the same settings with that listener, but not every endpoint does (moto makes a second one,
    // which the next plan would delete), so look first. A port taken by another cluster's listener is refused.
    const onBalancer = (await creating('describe listeners', () => ctx.clients.elbv2.call('DescribeListeners', { LoadBalancerArn: f.loadBalancerArn }))).Listeners ?? [];
    const samePort = onBalancer.filter((l: any) => l.Port === f.port);
    if (samePort.length) {
      const tags = await tagsByArn(ctx, samePort.map((l: any) => l.ListenerArn));
      const ours = samePort.find((l: any) => isOurs(tags.get(l.ListenerArn) ?? {}, ctx, `listener ${l.ListenerArn}`) && ownedId(tags.get(l.ListenerArn) ?? {}, ctx, `listener ${l.ListenerArn}`) === node.id);
      if (!ours) throw new Error(`port ${f.port} of load balancer ${f.loadBalancerArn} already has a listener that is not ${node.id} of cluster ${ctx.cluster}: delete it or free the port`);
      return { cloudId: ours.ListenerArn, outputs: { arn: ours.ListenerArn } };
    }
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
