import type { ResourceHandler } from '../../../src/core/resource.js';
import type { AwsClients } from '../clients.js';
import { creating, live, tagList, tagsEqual, tfName, type Ctx } from './common.js';
import { adoptDuplicate, describeOwned } from './elb-common.js';

function healthCheckOf(tg: any) {
  return {
    protocol: tg.HealthCheckProtocol,
    port: String(tg.HealthCheckPort),
    path: tg.HealthCheckPath ?? null,
    intervalSeconds: tg.HealthCheckIntervalSeconds,
    healthyThresholdCount: tg.HealthyThresholdCount,
    unhealthyThresholdCount: tg.UnhealthyThresholdCount,
  };
}

function healthCheckInput(h: any) {
  return {
    HealthCheckProtocol: h.protocol,
    HealthCheckPort: h.port,
    ...(h.path ? { HealthCheckPath: h.path } : {}),
    HealthCheckIntervalSeconds: h.intervalSeconds,
    HealthyThresholdCount: h.healthyThresholdCount,
    UnhealthyThresholdCount: h.unhealthyThresholdCount,
  };
}

/** NLB instance targets preserve client addresses unless told otherwise (AWS default). */
const PRESERVE_CLIENT_IP = 'preserve_client_ip.enabled';

async function preserveClientIpOf(ctx: Ctx, arn: string): Promise<boolean> {
  const res = await ctx.clients.elbv2.call('DescribeTargetGroupAttributes', { TargetGroupArn: arn });
  const attr = (res.Attributes ?? []).find((a: any) => a.Key === PRESERVE_CLIENT_IP);
  return attr ? attr.Value === 'true' : true;
}

async function setPreserveClientIp(ctx: Ctx, arn: string, value: unknown) {
  if (typeof value !== 'boolean') return;
  await ctx.clients.elbv2.call('ModifyTargetGroupAttributes', { TargetGroupArn: arn, Attributes: [{ Key: PRESERVE_CLIENT_IP, Value: String(value) }] });
}

export const targetGroupHandler: ResourceHandler<AwsClients> = {
  kind: 'target-group',
  service: 'elbv2',
  immutable: ['name', 'protocol', 'port', 'vpcId', 'targetType'],
  async list(ctx) {
    const owned = await describeOwned(ctx, 'DescribeTargetGroups', 'TargetGroups', 'TargetGroupArn');
    return Promise.all(owned.map(async ({ item: tg, tags }) =>
      live(
        'target-group',
        tags['k8sup.io/id'],
        tg.TargetGroupArn,
        {
          name: tg.TargetGroupName, protocol: tg.Protocol, port: tg.Port, vpcId: tg.VpcId, targetType: tg.TargetType ?? 'instance', healthCheck: healthCheckOf(tg),
          preserveClientIp: await preserveClientIpOf(ctx, tg.TargetGroupArn), tags,
        },
        { arn: tg.TargetGroupArn, name: tg.TargetGroupName },
      ),
    ));
  },
  async create(_node, f, ctx) {
    // Idempotent for the same name and settings on AWS; some endpoints answer DuplicateTargetGroupName instead.
    const res = await adoptDuplicate(ctx, 'DescribeTargetGroups', { Names: [f.name] }, 'TargetGroups', 'TargetGroupArn', () => creating(`create target group ${f.name}`, () =>
      ctx.clients.elbv2.call('CreateTargetGroup', {
        Name: f.name,
        Protocol: f.protocol,
        Port: f.port,
        VpcId: f.vpcId,
        TargetType: f.targetType,
        ...healthCheckInput(f.healthCheck),
        Tags: tagList(f.tags),
      }),
    ));
    const tg = res.TargetGroups[0];
    await setPreserveClientIp(ctx, tg.TargetGroupArn, f.preserveClientIp);
    return { cloudId: tg.TargetGroupArn, outputs: { arn: tg.TargetGroupArn, name: tg.TargetGroupName } };
  },
  async update(_node, f, cur, changes, ctx) {
    for (const c of changes) {
      if (c.field === 'preserveClientIp') await setPreserveClientIp(ctx, cur.cloudId, f.preserveClientIp);
      if (c.field === 'healthCheck') await ctx.clients.elbv2.call('ModifyTargetGroup', { TargetGroupArn: cur.cloudId, ...healthCheckInput(f.healthCheck) });
      if (c.field === 'tags') await ctx.clients.elbv2.call('AddTags', { ResourceArns: [cur.cloudId], Tags: tagList(f.tags) });
    }
    return { cloudId: cur.cloudId, outputs: cur.outputs };
  },
  async delete(cur, ctx) {
    // ResourceInUse while a listener still forwards to it: the engine retries.
    await ctx.clients.elbv2.call('DeleteTargetGroup', { TargetGroupArn: cur.cloudId });
  },
  equal: (field, d, l) => field === 'tags' && tagsEqual(d, l),
  terraform(node) {
    const f = node.fields as Record<string, any>;
    const h = f.healthCheck;
    return {
      type: 'aws_lb_target_group',
      name: tfName(node.id),
      body: {
        name: f.name,
        protocol: f.protocol,
        port: f.port,
        vpc_id: f.vpcId,
        target_type: f.targetType,
        ...(typeof f.preserveClientIp === 'boolean' ? { preserve_client_ip: String(f.preserveClientIp) } : {}),
        health_check: [{ protocol: h.protocol, port: h.port, path: h.path, interval: h.intervalSeconds, healthy_threshold: h.healthyThresholdCount, unhealthy_threshold: h.unhealthyThresholdCount }],
        tags: f.tags,
      },
    };
  },
};

import { defineKind } from './define.js';
export const targetGroupKind = defineKind<Record<string, unknown>, Record<string, string>>('target-group', 'aws_lb_target_group');
