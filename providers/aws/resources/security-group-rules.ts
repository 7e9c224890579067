// The complete ingress rule set of one security group (see model/security.ts for why this is its own kind).
// list() reports one rules resource per cluster group, derived from the same tag-filtered DescribeSecurityGroups.

import type { IpPermission } from '@aws-sdk/client-ec2';
import { creating, errorCode, ignoreNotFound, tagMap, type Ctx } from './common.js';
import { defineHandler, defineKind } from './define.js';
import { describeClusterGroups } from './security-group.js';

export interface Rule {
  protocol: string;
  fromPort: number;
  toPort: number;
  cidr?: string;
  sourceGroupId?: string;
}
export interface SecurityGroupRulesFields {
  groupId: string;
  ingress: Rule[];
}
export type SecurityGroupRulesOutputs = { id: string };
export const securityGroupRules = defineKind<SecurityGroupRulesFields, SecurityGroupRulesOutputs>('security-group-rules', 'aws_vpc_security_group_ingress_rule');

export function ruleKey(r: Rule): string {
  const ports = r.protocol === '-1' ? '*' : `${r.fromPort}-${r.toPort}`;
  return `${r.protocol}:${ports}:${r.cidr ?? r.sourceGroupId}`;
}

/** IpPermissions (several sources per permission) → one rule per source. */
export function rulesFromPermissions(perms: readonly IpPermission[] | undefined): Rule[] {
  const rules: Rule[] = [];
  for (const p of perms ?? []) {
    const protocol = String(p.IpProtocol);
    const fromPort = protocol === '-1' ? -1 : Number(p.FromPort);
    const toPort = protocol === '-1' ? -1 : Number(p.ToPort);
    for (const r of p.IpRanges ?? []) rules.push({ protocol, fromPort, toPort, cidr: r.CidrIp });
    for (const g of p.UserIdGroupPairs ?? []) rules.push({ protocol, fromPort, toPort, sourceGroupId: g.GroupId });
  }
  return rules;
}

function toPermission(r: Rule): IpPermission {
  return {
    IpProtocol: r.protocol,
    ...(r.protocol === '-1' ? {} : { FromPort: r.fromPort, ToPort: r.toPort }),
    ...(r.cidr ? { IpRanges: [{ CidrIp: r.cidr }] } : {}),
    ...(r.sourceGroupId ? { UserIdGroupPairs: [{ GroupId: r.sourceGroupId }] } : {}),
  };
}

const rulesIdFor = (groupGraphId: string) => groupGraphId.replace(/^security-group\//, 'security-group-rules/');

async function ingressOf(ctx: Ctx, groupId: string): Promise<Rule[]> {
  const res = await ctx.clients.ec2.call('DescribeSecurityGroups', { GroupIds: [groupId] });
  return rulesFromPermissions(res.SecurityGroups?.[0]?.IpPermissions);
}

async function reconcile(ctx: Ctx, groupId: string, want: Rule[], have: Rule[]) {
  const wantKeys = new Set(want.map(ruleKey));
  const haveKeys = new Set(have.map(ruleKey));
  const revoke = have.filter((r) => !wantKeys.has(ruleKey(r)));
  const add = want.filter((r) => !haveKeys.has(ruleKey(r)));
  if (revoke.length) await ignoreNotFound(() => ctx.clients.ec2.call('RevokeSecurityGroupIngress', { GroupId: groupId, IpPermissions: revoke.map(toPermission) }));
  if (add.length) {
    try {
      await creating(`authorize ingress on ${groupId}`, () => ctx.clients.ec2.call('AuthorizeSecurityGroupIngress', { GroupId: groupId, IpPermissions: add.map(toPermission) }));
    } catch (err) {
      // A retried call whose first attempt went through: the rules are there.
      if (errorCode(err) !== 'InvalidPermission.Duplicate') throw err;
      await reconcile(ctx, groupId, want, await ingressOf(ctx, groupId));
    }
  }
}

/** The rules of a group are the group's: its tags say whose they are; there is no object to create or adopt. */
type GroupIngress = { GroupId: string; Tags?: { Key?: string; Value?: string }[]; rules: Rule[] };

export const securityGroupRulesHandler = defineHandler({
  kind: securityGroupRules,
  service: 'ec2',
  immutable: ['groupId'],
  describe: async (ctx, id) =>
    (await describeClusterGroups(ctx, id?.replace(/^security-group-rules\//, 'security-group/'))).map((g): GroupIngress => ({ GroupId: g.GroupId, Tags: g.Tags, rules: rulesFromPermissions(g.IpPermissions) })),
  tags: (g) => tagMap(g.Tags),
  graphId: rulesIdFor,
  cloudId: (g) => g.GroupId,
  fields: (g) => ({ groupId: g.GroupId, ingress: g.rules }),
  outputs: (g) => ({ id: g.GroupId }),
  // Authorising the same rules twice is a no-op (reconcile compares with what is there): nothing to adopt.
  adopt: {},
  async create(f, ctx) {
    const have = await creating(`describe ${f.groupId}`, () => ingressOf(ctx, f.groupId));
    await reconcile(ctx, f.groupId, f.ingress, have);
    return { GroupId: f.groupId, rules: f.ingress };
  },
  async update(cur, f, _changed, ctx) {
    await reconcile(ctx, cur.cloudId, f.ingress, (cur.fields.ingress ?? []) as Rule[]);
  },
  async delete(cur, ctx) {
    const have = (cur.fields.ingress ?? []) as Rule[];
    if (have.length) await ignoreNotFound(() => ctx.clients.ec2.call('RevokeSecurityGroupIngress', { GroupId: cur.cloudId, IpPermissions: have.map(toPermission) }));
  },
  equal(field, d, l) {
    if (field !== 'ingress' || !Array.isArray(d) || !Array.isArray(l)) return false;
    const a = new Set((d as Rule[]).map(ruleKey));
    const b = new Set((l as Rule[]).map(ruleKey));
    return a.size === b.size && [...a].every((k) => b.has(k));
  },
  terraform(f, name) {
    // One aws_vpc_security_group_ingress_rule per rule; the first is the kind's main block.
    const blocks = (f.ingress ?? []).map((r, i) => ({
      type: securityGroupRules.terraformType,
      name: `${name}_${i}`,
      body: {
        security_group_id: f.groupId,
        ip_protocol: r.protocol,
        ...(r.protocol === '-1' ? {} : { from_port: r.fromPort, to_port: r.toPort }),
        ...(r.cidr ? { cidr_ipv4: r.cidr } : { referenced_security_group_id: r.sourceGroupId }),
      },
    }));
    return blocks;
  },
});
