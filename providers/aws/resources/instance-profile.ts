// IAM instance profiles, listed like roles by the cluster's IAM path (ListInstanceProfiles carries tags and roles).

import type { InstanceProfile } from '@aws-sdk/client-iam';
import { iamPath } from '../model/names.js';
import { errorCode, ignoreNotFound, paginate, tagList, tagMap, type Tags } from './common.js';
import { defineHandler, defineKind } from './define.js';

export interface InstanceProfileFields {
  name: string;
  path: string;
  roleName: string;
  tags: Tags;
}
export type InstanceProfileOutputs = { name: string; arn: string };
export const instanceProfile = defineKind<InstanceProfileFields, InstanceProfileOutputs>('instance-profile', 'aws_iam_instance_profile');

type LiveProfile = InstanceProfile & { InstanceProfileName: string; Arn: string };

export const instanceProfileHandler = defineHandler({
  kind: instanceProfile,
  service: 'iam',
  immutable: ['name', 'path'],
  async describe(ctx, id) {
    const path = iamPath(ctx.cluster);
    const profiles = await paginate(ctx.clients.iam, 'ListInstanceProfiles', { PathPrefix: path }, 'InstanceProfiles', 'Marker', 'Marker');
    // Exact path match: PathPrefix `/k8sup/a/` would also match `/k8sup/a/b/`.
    const ours = profiles.filter((p): p is LiveProfile => p.Path === path && !!p.InstanceProfileName && !!p.Arn);
    // Some endpoints leave tags out of the listing: read them for those (two profiles per cluster).
    const tagged = await Promise.all(
      ours.map(async (p) => (p.Tags?.length ? p : { ...p, Tags: (await ctx.clients.iam.call('ListInstanceProfileTags', { InstanceProfileName: p.InstanceProfileName })).Tags })),
    );
    return tagged.filter((p) => !id || tagMap(p.Tags)['k8sup.io/id'] === id);
  },
  tags: (p) => tagMap(p.Tags),
  cloudId: (p) => p.Arn,
  fields: (p) => ({ name: p.InstanceProfileName, path: p.Path, roleName: p.Roles?.[0]?.RoleName ?? null, tags: tagMap(p.Tags) }),
  outputs: (p) => ({ name: p.InstanceProfileName, arn: p.Arn }),
  adopt: {
    duplicate: (err) => /^EntityAlreadyExists/.test(errorCode(err) ?? ''),
    async find(ctx, f) {
      // GetInstanceProfile returns the profile's tags.
      const p = (await ctx.clients.iam.call('GetInstanceProfile', { InstanceProfileName: f.name })).InstanceProfile;
      return p?.InstanceProfileName && p.Arn && p.Path === f.path ? (p as LiveProfile) : undefined;
    },
  },
  async create(f, ctx) {
    const res = await ctx.clients.iam.call('CreateInstanceProfile', { InstanceProfileName: f.name, Path: f.path, Tags: tagList(f.tags) });
    return res.InstanceProfile as LiveProfile;
  },
  async converge(p, f, ctx) {
    if ((p.Roles ?? []).some((r) => r.RoleName === f.roleName)) return;
    try {
      await ctx.clients.iam.call('AddRoleToInstanceProfile', { InstanceProfileName: f.name, RoleName: f.roleName });
    } catch (err) {
      // LimitExceeded: a profile holds one role; a retried call already added it.
      if (errorCode(err) !== 'LimitExceeded') throw err;
    }
  },
  async update(cur, f, changed, ctx) {
    const iam = ctx.clients.iam;
    const name = String(cur.outputs.name);
    if (!changed.has('roleName')) return;
    const old = cur.fields.roleName;
    if (typeof old === 'string' && old) await ignoreNotFound(() => iam.call('RemoveRoleFromInstanceProfile', { InstanceProfileName: name, RoleName: old }));
    await iam.call('AddRoleToInstanceProfile', { InstanceProfileName: name, RoleName: f.roleName });
  },
  async retag(cur, tags, ctx) {
    await ctx.clients.iam.call('TagInstanceProfile', { InstanceProfileName: String(cur.outputs.name), Tags: tagList(tags) });
  },
  async delete(cur, ctx) {
    const iam = ctx.clients.iam;
    const name = String(cur.outputs.name);
    const p = (await iam.call('GetInstanceProfile', { InstanceProfileName: name })).InstanceProfile;
    for (const r of p?.Roles ?? []) {
      if (r.RoleName) await ignoreNotFound(() => iam.call('RemoveRoleFromInstanceProfile', { InstanceProfileName: name, RoleName: r.RoleName }));
    }
    await iam.call('DeleteInstanceProfile', { InstanceProfileName: name });
  },
  terraform: (f) => ({ body: { name: f.name, path: f.path, role: f.roleName, tags: f.tags } }),
});
