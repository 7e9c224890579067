// IAM roles. IAM has no tag filter on List*, so describe() lists the cluster's IAM path (`/k8sup/<cluster>/`) — one
// paginated call — and reads tags and the inline policy only for the roles found there (two roles per cluster).

import type { Role } from '@aws-sdk/client-iam';
import { iamPath } from '../model/names.js';
import { errorCode, ignoreNotFound, paginate, tagList, tagMap, type Ctx, type Tags } from './common.js';
import { defineHandler, defineKind } from './define.js';

export interface IamRoleFields {
  name: string;
  path: string;
  assumeRolePolicy: unknown;
  policyName: string;
  policy: unknown;
  tags: Tags;
}
export type IamRoleOutputs = { name: string; arn: string };
export const iamRole = defineKind<IamRoleFields, IamRoleOutputs>('iam-role', 'aws_iam_role');

/** IAM returns policy documents URL-encoded; compare parsed JSON with arrays of one normalised to scalars. */
export function normalisePolicy(doc: unknown): unknown {
  let v = doc;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v.startsWith('%7B') || v.startsWith('%7b') ? decodeURIComponent(v) : v);
    } catch {
      return v;
    }
  }
  const norm = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.length === 1 ? norm(x[0]) : x.map(norm).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)).map(([k, val]) => [k, norm(val)]));
    return x;
  };
  return norm(v);
}

type LiveRole = Role & { RoleName: string; Arn: string; tags: Tags; policyName?: string | null; policy?: unknown };

const isEntityAlreadyExists = (err: unknown) => /^EntityAlreadyExists/.test(errorCode(err) ?? '');

async function roleTags(ctx: Ctx, name: string): Promise<Tags> {
  return tagMap((await ctx.clients.iam.call('ListRoleTags', { RoleName: name })).Tags);
}

/** The inline policy (a cluster role has one). */
async function inlinePolicy(ctx: Ctx, name: string): Promise<{ policyName: string | null; policy: unknown }> {
  const names = (await ctx.clients.iam.call('ListRolePolicies', { RoleName: name })).PolicyNames ?? [];
  if (!names.length) return { policyName: null, policy: null };
  const doc = (await ctx.clients.iam.call('GetRolePolicy', { RoleName: name, PolicyName: names[0] })).PolicyDocument;
  return { policyName: names[0], policy: normalisePolicy(doc) };
}

export const iamRoleHandler = defineHandler({
  kind: iamRole,
  service: 'iam',
  immutable: ['name', 'path'],
  async describe(ctx, id) {
    const path = iamPath(ctx.cluster);
    const roles = await paginate(ctx.clients.iam, 'ListRoles', { PathPrefix: path }, 'Roles', 'Marker', 'Marker');
    // Exact path match: PathPrefix `/k8sup/a/` would also match `/k8sup/a/b/`. ListRoles carries no tags.
    const ours = roles.filter((r): r is Role & { RoleName: string; Arn: string } => r.Path === path && !!r.RoleName && !!r.Arn);
    const withTags = await Promise.all(ours.map(async (r) => ({ ...r, tags: r.Tags?.length ? tagMap(r.Tags) : await roleTags(ctx, r.RoleName) })));
    const tagged = withTags.filter((r) => !id || r.tags['k8sup.io/id'] === id);
    return Promise.all(tagged.map(async (r): Promise<LiveRole> => ({ ...r, ...(await inlinePolicy(ctx, r.RoleName)) })));
  },
  tags: (r) => r.tags,
  cloudId: (r) => r.Arn,
  fields: (r) => ({ name: r.RoleName, path: r.Path, assumeRolePolicy: normalisePolicy(r.AssumeRolePolicyDocument), policyName: r.policyName, policy: r.policy, tags: r.tags }),
  outputs: (r) => ({ name: r.RoleName, arn: r.Arn }),
  adopt: {
    // A retry after a lost response: the role is there; adopt it (tags and policies are re-applied by converge).
    duplicate: isEntityAlreadyExists,
    async find(ctx, f) {
      const role = (await ctx.clients.iam.call('GetRole', { RoleName: f.name })).Role;
      if (!role?.RoleName || !role.Arn || role.Path !== f.path) return undefined;
      return { ...role, RoleName: role.RoleName, Arn: role.Arn, tags: await roleTags(ctx, f.name) };
    },
  },
  async create(f, ctx) {
    const res = await ctx.clients.iam.call('CreateRole', {
      RoleName: f.name,
      Path: f.path,
      AssumeRolePolicyDocument: JSON.stringify(f.assumeRolePolicy),
      Tags: tagList(f.tags),
      Description: `k8sup ${ctx.cluster}`,
    });
    return { ...res.Role, RoleName: res.Role?.RoleName ?? f.name, Arn: res.Role?.Arn ?? '', tags: f.tags } as LiveRole;
  },
  async converge(role, f, ctx, adopted) {
    const iam = ctx.clients.iam;
    if (adopted) {
      await iam.call('UpdateAssumeRolePolicy', { RoleName: f.name, PolicyDocument: JSON.stringify(f.assumeRolePolicy) });
      await iam.call('TagRole', { RoleName: f.name, Tags: tagList(f.tags) });
    }
    await iam.call('PutRolePolicy', { RoleName: f.name, PolicyName: f.policyName, PolicyDocument: JSON.stringify(f.policy) });
  },
  async update(cur, f, changed, ctx) {
    const iam = ctx.clients.iam;
    const name = String(cur.outputs.name);
    if (changed.has('assumeRolePolicy')) await iam.call('UpdateAssumeRolePolicy', { RoleName: name, PolicyDocument: JSON.stringify(f.assumeRolePolicy) });
    if (changed.has('policy') || changed.has('policyName')) {
      const old = cur.fields.policyName;
      if (typeof old === 'string' && old && old !== f.policyName) await ignoreNotFound(() => iam.call('DeleteRolePolicy', { RoleName: name, PolicyName: old }));
      await iam.call('PutRolePolicy', { RoleName: name, PolicyName: f.policyName, PolicyDocument: JSON.stringify(f.policy) });
    }
  },
  async retag(cur, tags, ctx) {
    await ctx.clients.iam.call('TagRole', { RoleName: String(cur.outputs.name), Tags: tagList(tags) });
  },
  async delete(cur, ctx) {
    const iam = ctx.clients.iam;
    const name = String(cur.outputs.name);
    // A role cannot be deleted while it has inline/attached policies or sits in an instance profile.
    for (const p of (await iam.call('ListRolePolicies', { RoleName: name })).PolicyNames ?? []) {
      await ignoreNotFound(() => iam.call('DeleteRolePolicy', { RoleName: name, PolicyName: p }));
    }
    for (const p of (await iam.call('ListAttachedRolePolicies', { RoleName: name })).AttachedPolicies ?? []) {
      if (p.PolicyArn) await ignoreNotFound(() => iam.call('DetachRolePolicy', { RoleName: name, PolicyArn: p.PolicyArn }));
    }
    for (const p of (await iam.call('ListInstanceProfilesForRole', { RoleName: name })).InstanceProfiles ?? []) {
      if (p.InstanceProfileName) await ignoreNotFound(() => iam.call('RemoveRoleFromInstanceProfile', { RoleName: name, InstanceProfileName: p.InstanceProfileName }));
    }
    await iam.call('DeleteRole', { RoleName: name });
  },
  documents: ['assumeRolePolicy', 'policy'],
  present: (field, v) => (field === 'policy' || field === 'assumeRolePolicy' ? normalisePolicy(v) : v),
  equal: (field, d, l) => (field === 'policy' || field === 'assumeRolePolicy') && JSON.stringify(normalisePolicy(d)) === JSON.stringify(normalisePolicy(l)),
  terraform: (f, name, node) => ({
    body: { name: f.name, path: f.path, assume_role_policy: JSON.stringify(f.assumeRolePolicy), tags: f.tags },
    extra: [{ type: 'aws_iam_role_policy', name, body: { name: f.policyName, role: iamRole.ref(node.id, 'name'), policy: JSON.stringify(f.policy) } }],
  }),
});
