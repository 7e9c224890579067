// The complete ingress rule set of one security group (see model/security.ts for why this is its own kind).
// list() reports one rules resource per cluster group, derived from the same tag-filtered DescribeSecurityGroups.

import type { ResourceHandler, TerraformBlock } from '../../../src/core/resource.js';
import type { AwsClients } from '../clients.js';
import { ignoreNotFound, live, ownedId, tagMap, tfName, creating, type Ctx } from './common.js';
import { describeClusterGroups } from './security-group.js';

export interface Rule {
  protocol: string;
  fromPort: number;
  toPort: number;
  cidr?: string;
  sourceGroupId?: string;
}

export function ruleKey(r: Rule): string {
  const ports = r.protocol === '-1' ? '*' : `${r.fromPort}-${r.toPort}`;
  return `${r.protocol}:${ports}:${r.cidr ?? r.sourceGroupId}`;
}

/** IpPermissions (several sources per permission) → one rule per source. */
export function rulesFromPermissions(perms: any[]): Rule[] {
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

function toPermission(r: Rule) {
  return {
    IpProtocol: r.protocol,
    ...(r.protocol === '-1' ? {} : { FromPort: r.fromPort, ToPort: r.toPort }),
    ...(r.cidr ? { IpRanges: [{ CidrIp: r.cidr }] } : {}),
    ...(r.sourceGroupId ? { UserIdGroupPairs: [{ GroupId: r.sourceGroupId }] } : {}),
  };
}

const rulesIdFor = (groupGraphId: string) => groupGraphId.replace(/^security-group\//, 'security-group-rules/');

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
      if ((err as { name?: string }).name !== 'InvalidPermission.Duplicate') throw err;
      const res = await ctx.clients.ec2.call('DescribeSecurityGroups', { GroupIds: [groupId] });
      await reconcile(ctx, groupId, want, rulesFromPermissions(res.SecurityGroups[0].IpPermissions));
    }
  }
}

export const securityGroupRulesHandler: ResourceHandler<AwsClients> = {
  kind: 'security-group-rules',
  service: 'ec2',
  immutable: ['groupId'],
  async list(ctx) {
    return (await describeClusterGroups(ctx)).flatMap((g) => {
      const id = ownedId(tagMap(g.Tags), ctx, `security group ${g.GroupId}`);
      if (!id) return [];
      return [live('security-group-rules', rulesIdFor(id), g.GroupId, { groupId: g.GroupId, ingress: rulesFromPermissions(g.IpPermissions) }, { id: g.GroupId })];
    });
  },
  async create(_node, f, ctx) {
    const groupId = f.groupId as string;
    const res = await creating(`describe ${groupId}`, () => ctx.clients.ec2.call('DescribeSecurityGroups', { GroupIds: [groupId] }));
    await reconcile(ctx, groupId, f.ingress as Rule[], rulesFromPermissions(res.SecurityGroups[0].IpPermissions));
    return { cloudId: groupId, outputs: { id: groupId } };
  },
  async update(_node, f, cur, _changes, ctx) {
    await reconcile(ctx, cur.cloudId, f.ingress as Rule[], cur.fields.ingress as Rule[]);
    return { cloudId: cur.cloudId, outputs: cur.outputs };
  },
  async delete(cur, ctx) {
    const have = cur.fields.ingress as Rule[];
    if (have.length) await ignoreNotFound(() => ctx.clients.ec2.call('RevokeSecurityGroupIngress', { GroupId: cur.cloudId, IpPermissions: have.map(toPermission) }));
  },
  equal(field, d, l) {
    if (field !== 'ingress' || !Array.isArray(d) || !Array.isArray(l)) return false;
    const a = new Set((d as Rule[]).map(ruleKey));
    const b = new Set((l as Rule[]).map(ruleKey));
    return a.size === b.size && [...a].every((k) => b.has(k));
  },
  terraform(node) {
    const name = tfName(node.id);
    return ((node.fields.ingress ?? []) as unknown as Rule[]).map((r, i): TerraformBlock => ({
      type: 'aws_vpc_security_group_ingress_rule',
      name: `${name}_${i}`,
      body: {
        security_group_id: node.fields.groupId,
        ip_protocol: r.protocol,
        ...(r.protocol === '-1' ? {} : { from_port: r.fromPort, to_port: r.toPort }),
        ...(r.cidr ? { cidr_ipv4: r.cidr } : { referenced_security_group_id: r.sourceGroupId }),
      },
    }));
  },
};
