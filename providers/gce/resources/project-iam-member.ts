// The project roles of one of the cluster's own service accounts (model/identity.ts: the cloud controllers' roles on
// the control planes' account), over Cloud Resource Manager's project IAM policy, always as policy version 3 so that
// conditional bindings of others survive the write. One resource per account holds its whole set of roles, so a
// cluster makes one read-modify-write per account, never several racing each other:
//  - list(): getIamPolicy; a member that is one of this cluster's service accounts (their ids carry the cluster's
//    hash: model/identity.ts) in unconditional bindings is ours, with the roles of those bindings; nothing else in
//    the policy is ever touched;
//  - create/update/delete: read-modify-write of the whole policy with its etag, putting our member into exactly the
//    desired roles' bindings (none on delete); a writer in between (409 ABORTED) starts it over (iam-policy.ts).

import type { LiveResource, ResolvedFields, ResourceHandler } from '../../../src/core/resource.js';
import type { GceClients } from '../clients.js';
import { IDENTITY_ROLES, serviceAccountEmail } from '../model/identity.js';
import { projectRolesId } from '../model/ids.js';
import { sameSet, tfName, type Ctx } from './common.js';
import { rewritePolicy, type IamPolicy } from './iam-policy.js';

type Policy = IamPolicy;

const POLICY_VERSION = 3;

const getPolicy = (ctx: Ctx) => ctx.clients.api.resourceManager<Policy>('projectIamPolicy', 'getIamPolicy', { options: { requestedPolicyVersion: POLICY_VERSION } }, ctx.signal);

/** Puts `member` into exactly the unconditional bindings of `roles`, keeping everything else as read. */
async function rewrite(ctx: Ctx, member: string, roles: readonly string[]): Promise<void> {
  const wanted = new Set(roles);
  await rewritePolicy(ctx, {
    what: `project roles of ${member}`,
    read: () => getPolicy(ctx),
    edit: (policy) => {
      const bindings = (policy.bindings ?? []).map((b) => ({ ...b, members: [...b.members] }));
      let changed = false;
      for (const b of bindings) {
        if (b.condition !== undefined) continue;
        const has = b.members.includes(member);
        if (has && !wanted.has(b.role)) [b.members, changed] = [b.members.filter((m) => m !== member), true];
        if (!has && wanted.has(b.role)) [b.members, changed] = [[...b.members, member], true];
      }
      for (const role of wanted) {
        if (!bindings.some((b) => b.role === role && b.condition === undefined)) [bindings[bindings.length], changed] = [{ role, members: [member] }, true];
      }
      return changed ? bindings.filter((b) => b.members.length > 0) : undefined;
    },
    write: (bindings, policy) => ctx.clients.api.resourceManager('projectIamPolicy', 'setIamPolicy', { policy: { bindings, etag: policy.etag, version: POLICY_VERSION } }, ctx.signal),
  });
}

const rolesOf = (f: ResolvedFields) => (f.roles as string[]).map(String);

export const projectIamMemberHandler: ResourceHandler<GceClients> = {
  kind: 'project-iam-member',
  service: 'resourceManager',
  immutable: ['project', 'member'],
  async list(ctx) {
    const ours = new Map(IDENTITY_ROLES.map((r) => [`serviceAccount:${serviceAccountEmail(ctx.cluster, ctx.clients.settings.project, r)}`, r]));
    const found = new Map<string, string[]>();
    for (const b of (await getPolicy(ctx)).bindings ?? []) {
      if (b.condition !== undefined) continue;
      for (const member of b.members) if (ours.has(member)) found.set(member, [...(found.get(member) ?? []), b.role]);
    }
    return [...found].map(([member, roles]): LiveResource => ({
      id: projectRolesId(ours.get(member)!),
      kind: 'project-iam-member',
      cloudId: member,
      fields: { project: ctx.clients.settings.project, member, roles: roles.sort() },
      outputs: {},
    }));
  },
  async create(_node, f, ctx) {
    await rewrite(ctx, String(f.member), rolesOf(f));
    return { cloudId: String(f.member), outputs: {} };
  },
  async update(_node, f, _live, _changes, ctx) {
    await rewrite(ctx, String(f.member), rolesOf(f));
    return { cloudId: String(f.member), outputs: {} };
  },
  async delete(cur, ctx) {
    await rewrite(ctx, String(cur.fields.member), []);
  },
  equal: (field, desired, live) => field === 'roles' && sameSet(desired, live),
  // One google_project_iam_member per role (Terraform's resource is one role of one member).
  terraform: (node) =>
    (node.fields.roles as string[]).map((role) => ({
      type: 'google_project_iam_member',
      name: tfName(`${node.id}/${role}`),
      body: { project: node.fields.project, role, member: node.fields.member },
    })),
};
