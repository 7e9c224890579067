import type { TargetGroup } from '@aws-sdk/client-elastic-load-balancing-v2';
import { creating, errorCode, paginate, tagList, type Ctx, type Tags } from './common.js';
import { defineHandler, defineKind } from './define.js';
import { noneIfNotFound, withClusterTags, type WithTags } from './elb-common.js';

export interface HealthCheck {
  protocol: string;
  port: string;
  path: string | null;
  intervalSeconds: number;
  healthyThresholdCount: number;
  unhealthyThresholdCount: number;
}
export interface TargetGroupFields {
  name: string;
  protocol: string;
  port: number;
  vpcId: string;
  targetType: string;
  healthCheck: HealthCheck;
  /** Unset: the AWS default (preserve client addresses for instance targets). */
  preserveClientIp?: boolean;
  tags: Tags;
}
export type TargetGroupOutputs = { arn: string; name: string };
export const targetGroup = defineKind<TargetGroupFields, TargetGroupOutputs>('target-group', 'aws_lb_target_group');

type LiveTargetGroup = WithTags<TargetGroup & { TargetGroupArn: string }> & { preserveClientIp?: boolean };

function healthCheckOf(tg: TargetGroup): HealthCheck {
  return {
    protocol: tg.HealthCheckProtocol ?? '',
    port: String(tg.HealthCheckPort),
    path: tg.HealthCheckPath ?? null,
    intervalSeconds: Number(tg.HealthCheckIntervalSeconds),
    healthyThresholdCount: Number(tg.HealthyThresholdCount),
    unhealthyThresholdCount: Number(tg.UnhealthyThresholdCount),
  };
}

function healthCheckInput(h: HealthCheck) {
  return {
    HealthCheckProtocol: h.protocol as TargetGroup['HealthCheckProtocol'],
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
  // One call per target group (a cluster has two; the API has no batch form).
  const res = await ctx.clients.elbv2.call('DescribeTargetGroupAttributes', { TargetGroupArn: arn });
  const attr = (res.Attributes ?? []).find((a) => a.Key === PRESERVE_CLIENT_IP);
  return attr ? attr.Value === 'true' : true;
}

async function setPreserveClientIp(ctx: Ctx, arn: string, value: unknown) {
  if (typeof value !== 'boolean') return;
  await ctx.clients.elbv2.call('ModifyTargetGroupAttributes', { TargetGroupArn: arn, Attributes: [{ Key: PRESERVE_CLIENT_IP, Value: String(value) }] });
}

const arnOf = (tg: TargetGroup) => tg.TargetGroupArn;

export const targetGroupHandler = defineHandler({
  kind: targetGroup,
  service: 'elbv2',
  immutable: ['name', 'protocol', 'port', 'vpcId', 'targetType'],
  async describe(ctx, id): Promise<LiveTargetGroup[]> {
    const all = await paginate(ctx.clients.elbv2, 'DescribeTargetGroups', {}, 'TargetGroups', 'Marker', 'NextMarker');
    const ours = (await withClusterTags(ctx, all, arnOf, id)).filter((tg): tg is LiveTargetGroup => !!tg.TargetGroupArn);
    return Promise.all(ours.map(async (tg) => ({ ...tg, preserveClientIp: await preserveClientIpOf(ctx, tg.TargetGroupArn) })));
  },
  tags: (tg) => tg.tags,
  cloudId: (tg) => tg.TargetGroupArn,
  fields: (tg) => ({
    name: tg.TargetGroupName,
    protocol: tg.Protocol,
    port: tg.Port,
    vpcId: tg.VpcId,
    targetType: tg.TargetType ?? 'instance',
    healthCheck: healthCheckOf(tg),
    preserveClientIp: tg.preserveClientIp,
    tags: tg.tags,
  }),
  outputs: (tg) => ({ arn: tg.TargetGroupArn, name: tg.TargetGroupName ?? '' }),
  adopt: {
    // Idempotent for the same name and settings on AWS; some endpoints answer DuplicateTargetGroupName instead.
    duplicate: (err) => /^Duplicate\w*Name/.test(errorCode(err) ?? ''),
    async find(ctx, f) {
      const found = await noneIfNotFound(async () => (await ctx.clients.elbv2.call('DescribeTargetGroups', { Names: [f.name] })).TargetGroups ?? []);
      return (await withClusterTags(ctx, found, arnOf)).find((tg): tg is LiveTargetGroup => !!tg.TargetGroupArn);
    },
  },
  async create(f, ctx) {
    const res = await creating(`create target group ${f.name}`, () =>
      ctx.clients.elbv2.call('CreateTargetGroup', {
        Name: f.name,
        Protocol: f.protocol as TargetGroup['Protocol'],
        Port: f.port,
        VpcId: f.vpcId,
        TargetType: f.targetType as TargetGroup['TargetType'],
        ...healthCheckInput(f.healthCheck),
        Tags: tagList(f.tags),
      }),
    );
    return { ...res.TargetGroups?.[0], tags: f.tags } as LiveTargetGroup;
  },
  async converge(tg, f, ctx) {
    await setPreserveClientIp(ctx, tg.TargetGroupArn, f.preserveClientIp);
  },
  async update(cur, f, changed, ctx) {
    if (changed.has('preserveClientIp')) await setPreserveClientIp(ctx, cur.cloudId, f.preserveClientIp);
    if (changed.has('healthCheck')) await ctx.clients.elbv2.call('ModifyTargetGroup', { TargetGroupArn: cur.cloudId, ...healthCheckInput(f.healthCheck) });
  },
  async retag(cur, tags, ctx) {
    await ctx.clients.elbv2.call('AddTags', { ResourceArns: [cur.cloudId], Tags: tagList(tags) });
  },
  async delete(cur, ctx) {
    // ResourceInUse while a listener still forwards to it: the engine retries.
    await ctx.clients.elbv2.call('DeleteTargetGroup', { TargetGroupArn: cur.cloudId });
  },
  terraform(f) {
    const h = f.healthCheck;
    return {
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
});
