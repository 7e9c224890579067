// IAM roles. IAM has no tag filter on List*, so list() lists the cluster's IAM path (`/k8sup/<cluster>/`) — one
// paginated call — and confirms ownership with ListRoleTags only for the roles found there.

import { ref, type ResourceHandler } from '../../../src/core/resource.js';
import type { AwsClients } from '../clients.js';
import { iamPath } from '../model/names.js';
import { ignoreNotFound, isOurs, live, ownedId, paginate, tagList, tagMap, tagsEqual, tfName, type Ctx } from './common.js';

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

async function listOwned(ctx: Ctx, op: 'ListRoles' | 'ListInstanceProfiles', key: 'Roles' | 'InstanceProfiles', tagOp: string, nameKey: string) {
  const path = iamPath(ctx.cluster);
  const items = await paginate<any>(ctx.clients.iam, op, { PathPrefix: path }, key, 'Marker', 'Marker');
  const out: { item: any; tags: Record<string, string>; id: string }[] = [];
  // Exact path match: PathPrefix `/k8sup/a/` would also match `/k8sup/a/b/`.
  for (const item of items.filter((i) => i.Path === path)) {
    // ListInstanceProfiles includes tags; ListRoles does not, so only roles cost one ListRoleTags each.
    const tags = tagMap(item.Tags?.length ? item.Tags : (await ctx.clients.iam.call(tagOp, { [nameKey]: item[nameKey] })).Tags);
    const id = ownedId(tags, ctx, `${op === 'ListRoles' ? 'IAM role' : 'IAM instance profile'} ${item[nameKey]}`);
    if (id) out.push({ item, tags, id });
  }
  return out;
}
export { listOwned };

export const iamRoleHandler: ResourceHandler<AwsClients> = {
  kind: 'iam-role',
  service: 'iam',
  immutable: ['name', 'path'],
  async list(ctx) {
    const owned = await listOwned(ctx, 'ListRoles', 'Roles', 'ListRoleTags', 'RoleName');
    const out = [];
    for (const { item: r, tags, id } of owned) {
      let policyName: string | null = null;
      let policy: unknown = null;
      const names = (await ctx.clients.iam.call('ListRolePolicies', { RoleName: r.RoleName })).PolicyNames ?? [];
      if (names.length) {
        policyName = names[0];
        policy = normalisePolicy((await ctx.clients.iam.call('GetRolePolicy', { RoleName: r.RoleName, PolicyName: names[0] })).PolicyDocument);
      }
      out.push(
        live('iam-role', id, r.Arn, { name: r.RoleName, path: r.Path, assumeRolePolicy: normalisePolicy(r.AssumeRolePolicyDocument), policyName, policy, tags }, { name: r.RoleName, arn: r.Arn }),
      );
    }
    return out;
  },
  async create(_node, f, ctx) {
    const iam = ctx.clients.iam;
    let role: any;
    try {
      role = (await iam.call('CreateRole', { RoleName: f.name, Path: f.path, AssumeRolePolicyDocument: JSON.stringify(f.assumeRolePolicy), Tags: tagList(f.tags), Description: `k8sup ${ctx.cluster}` })).Role;
    } catch (err) {
      // A retry after a lost response: the role is there, adopt it (tags and policies are re-applied below).
      if (!/^EntityAlreadyExists/.test(String((err as { name?: string }).name))) throw err;
      role = (await iam.call('GetRole', { RoleName: f.name })).Role;
      if (role.Path !== f.path) throw err;
      const tags = tagMap((await iam.call('ListRoleTags', { RoleName: f.name })).Tags);
      if (!isOurs(tags, ctx, `IAM role ${f.name}`)) throw err;
      await iam.call('UpdateAssumeRolePolicy', { RoleName: f.name, PolicyDocument: JSON.stringify(f.assumeRolePolicy) });
      await iam.call('TagRole', { RoleName: f.name, Tags: tagList(f.tags) });
    }
    await iam.call('PutRolePolicy', { RoleName: f.name, PolicyName: f.policyName, PolicyDocument: JSON.stringify(f.policy) });
    return { cloudId: role.Arn, outputs: { name: role.RoleName, arn: role.Arn } };
  },
  async update(_node, f, cur, changes, ctx) {
    const iam = ctx.clients.iam;
    const name = cur.outputs.name as string;
    const fields = new Set(changes.map((c) => c.field));
    if (fields.has('assumeRolePolicy')) await iam.call('UpdateAssumeRolePolicy', { RoleName: name, PolicyDocument: JSON.stringify(f.assumeRolePolicy) });
    if (fields.has('policy') || fields.has('policyName')) {
      if (cur.fields.policyName && cur.fields.policyName !== f.policyName) await ignoreNotFound(() => iam.call('DeleteRolePolicy', { RoleName: name, PolicyName: cur.fields.policyName }));
      await iam.call('PutRolePolicy', { RoleName: name, PolicyName: f.policyName, PolicyDocument: JSON.stringify(f.policy) });
    }
    if (fields.has('tags')) await iam.call('TagRole', { RoleName: name, Tags: tagList(f.tags) });
    return { cloudId: cur.cloudId, outputs: cur.outputs };
  },
  async delete(cur, ctx) {
    const iam = ctx.clients.iam;
    const name = cur.outputs.name as string;
    // A role cannot be deleted while it has inline/attached policies or sits in an instance profile.
    for (const p of (await iam.call('ListRolePolicies', { RoleName: name })).PolicyNames ?? []) {
      await ignoreNotFound(() => iam.call('DeleteRolePolicy', { RoleName: name, PolicyName: p }));
    }
    for (const p of (await iam.call('ListAttachedRolePolicies', { RoleName: name })).AttachedPolicies ?? []) {
      await ignoreNotFound(() => iam.call('DetachRolePolicy', { RoleName: name, PolicyArn: p.PolicyArn }));
    }
    for (const p of (await iam.call('ListInstanceProfilesForRole', { RoleName: name })).InstanceProfiles ?? []) {
      await ignoreNotFound(() => iam.call('RemoveRoleFromInstanceProfile', { RoleName: name, InstanceProfileName: p.InstanceProfileName }));
    }
    await iam.call('DeleteRole', { RoleName: name });
  },
  documents: ['assumeRolePolicy', 'policy'],
  present: (field, v) => (field === 'policy' || field === 'assumeRolePolicy' ? normalisePolicy(v) : v),
  equal(field, d, l) {
    if (field === 'tags') return tagsEqual(d, l);
    if (field === 'policy' || field === 'assumeRolePolicy') return JSON.stringify(normalisePolicy(d)) === JSON.stringify(normalisePolicy(l));
    return false;
  },
  terraform(node) {
    const f = node.fields;
    const name = tfName(node.id);
    return [
      { type: 'aws_iam_role', name, body: { name: f.name, path: f.path, assume_role_policy: JSON.stringify(f.assumeRolePolicy), tags: f.tags } },
      { type: 'aws_iam_role_policy', name, body: { name: f.policyName, role: ref(node.id, 'name'), policy: JSON.stringify(f.policy) } },
    ];
  },
};

import { defineKind } from './define.js';
export const iamRoleKind = defineKind<Record<string, unknown>, Record<string, string>>('iam-role', 'aws_iam_role');
