import type { ResourceHandler } from '../../../src/core/resource.js';
import type { AwsClients } from '../clients.js';
import { ignoreNotFound, isOurs, live, tagList, tagMap, tagsEqual, tfName } from './common.js';
import { listOwned } from './iam-role.js';

export const instanceProfileHandler: ResourceHandler<AwsClients> = {
  kind: 'instance-profile',
  service: 'iam',
  immutable: ['name', 'path'],
  async list(ctx) {
    const owned = await listOwned(ctx, 'ListInstanceProfiles', 'InstanceProfiles', 'ListInstanceProfileTags', 'InstanceProfileName');
    return owned.map(({ item: p, tags, id }) =>
      live('instance-profile', id, p.Arn, { name: p.InstanceProfileName, path: p.Path, roleName: p.Roles?.[0]?.RoleName ?? null, tags }, { name: p.InstanceProfileName, arn: p.Arn }),
    );
  },
  async create(_node, f, ctx) {
    const iam = ctx.clients.iam;
    let profile: any;
    try {
      profile = (await iam.call('CreateInstanceProfile', { InstanceProfileName: f.name, Path: f.path, Tags: tagList(f.tags) })).InstanceProfile;
    } catch (err) {
      if (!/^EntityAlreadyExists/.test(String((err as { name?: string }).name))) throw err;
      profile = (await iam.call('GetInstanceProfile', { InstanceProfileName: f.name })).InstanceProfile;
      if (profile.Path !== f.path) throw err;
      // GetInstanceProfile returns the profile's tags.
      if (!isOurs(tagMap(profile.Tags), ctx, `IAM instance profile ${f.name}`)) throw err;
    }
    if (!(profile.Roles ?? []).some((r: any) => r.RoleName === f.roleName)) {
      try {
        await iam.call('AddRoleToInstanceProfile', { InstanceProfileName: f.name, RoleName: f.roleName });
      } catch (err) {
        // LimitExceeded: a profile holds one role; a retried call already added it.
        if ((err as { name?: string }).name !== 'LimitExceeded') throw err;
      }
    }
    return { cloudId: profile.Arn, outputs: { name: profile.InstanceProfileName, arn: profile.Arn } };
  },
  async update(_node, f, cur, changes, ctx) {
    const iam = ctx.clients.iam;
    const name = cur.outputs.name as string;
    for (const c of changes) {
      if (c.field === 'roleName') {
        if (cur.fields.roleName) await ignoreNotFound(() => iam.call('RemoveRoleFromInstanceProfile', { InstanceProfileName: name, RoleName: cur.fields.roleName }));
        await iam.call('AddRoleToInstanceProfile', { InstanceProfileName: name, RoleName: f.roleName });
      }
      if (c.field === 'tags') await iam.call('TagInstanceProfile', { InstanceProfileName: name, Tags: tagList(f.tags) });
    }
    return { cloudId: cur.cloudId, outputs: cur.outputs };
  },
  async delete(cur, ctx) {
    const iam = ctx.clients.iam;
    const name = cur.outputs.name as string;
    const p = (await iam.call('GetInstanceProfile', { InstanceProfileName: name })).InstanceProfile;
    for (const r of p.Roles ?? []) await ignoreNotFound(() => iam.call('RemoveRoleFromInstanceProfile', { InstanceProfileName: name, RoleName: r.RoleName }));
    await iam.call('DeleteInstanceProfile', { InstanceProfileName: name });
  },
  equal: (field, d, l) => field === 'tags' && tagsEqual(d, l),
  terraform(node) {
    const f = node.fields;
    return { type: 'aws_iam_instance_profile', name: tfName(node.id), body: { name: f.name, path: f.path, role: f.roleName, tags: f.tags } };
  },
};

import { defineKind } from './define.js';
export const instanceProfileKind = defineKind<Record<string, unknown>, Record<string, string>>('instance-profile', 'aws_iam_instance_profile');
