// Who may act as one of the cluster's service accounts (model/identity.ts: the control planes' account may act as
// the nodes' one, so that the PD CSI driver can attach disks to node instances and cluster-autoscaler can resize
// their groups, without `roles/iam.serviceAccountUser` on every account of the project). Over the IAM v1 policy of
// that account (`serviceAccounts/<email>:getIamPolicy|setIamPolicy`):
//  - list(): the policies of this cluster's own accounts; a member that is one of them is ours;
//  - create/delete: read-modify-write with the etag, adding or removing only our member; a concurrent write (409
//    ABORTED) is redone on a fresh read (iam-policy.ts). Deleting the account deletes its policy too.

import type { LiveResource, ResolvedFields, ResourceHandler } from '../../../src/core/resource.js';
import type { GceClients } from '../clients.js';
import { GceEventualConsistencyError, GceHttpError } from '../errors.js';
import { IDENTITY_ROLES, serviceAccountEmail } from '../model/identity.js';
import { actAsId } from '../model/ids.js';
import { tfName, type Ctx } from './common.js';
import { rewritePolicy, type IamPolicy } from './iam-policy.js';

type Policy = IamPolicy;

const path = (email: string, verb: string) => `serviceAccounts/${encodeURIComponent(email)}:${verb}`;

async function getPolicy(ctx: Ctx, email: string): Promise<Policy | null> {
  try {
    return await ctx.clients.api.iam<Policy>('serviceAccounts', 'getIamPolicy', { method: 'POST', path: path(email, 'getIamPolicy'), body: {} }, ctx.signal);
  } catch (err) {
    if (err instanceof GceHttpError && err.status === 404) return null;
    throw err;
  }
}

/** Adds `member` to the account's unconditional `role` binding (`add` false: takes it out), keeping everything else. */
async function rewrite(ctx: Ctx, email: string, role: string, member: string, add: boolean): Promise<void> {
  await rewritePolicy(ctx, {
    what: email,
    read: () => getPolicy(ctx, email),
    edit: (policy) => {
      if (!policy) {
        if (!add) return undefined;
        // The account was created a moment ago: IAM may not know it yet.
        throw new GceEventualConsistencyError(`${email}: not found yet`);
      }
      const bindings = (policy.bindings ?? []).map((b) => ({ ...b, members: [...b.members] }));
      const own = bindings.find((b) => b.role === role && b.condition === undefined);
      if ((own?.members.includes(member) ?? false) === add) return undefined;
      if (add) {
        if (own) own.members.push(member);
        else bindings.push({ role, members: [member] });
      } else own!.members = own!.members.filter((m) => m !== member);
      return bindings.filter((b) => b.members.length > 0);
    },
    write: (bindings, policy) => ctx.clients.api.iam('serviceAccounts', 'setIamPolicy', { method: 'POST', path: path(email, 'setIamPolicy'), body: { policy: { bindings, etag: policy?.etag } } }, ctx.signal),
  });
}

/** `account` is the account's resource name (`projects/<p>/serviceAccounts/<email>`, what Terraform takes too). */
const args = (f: ResolvedFields) => [String(f.account).split('/').pop()!, String(f.role), String(f.member)] as const;
const accountName = (project: string, email: string) => `projects/${project}/serviceAccounts/${email}`;

export const serviceAccountIamMemberHandler: ResourceHandler<GceClients> = {
  kind: 'service-account-iam-member',
  service: 'iam',
  immutable: ['account', 'role', 'member'],
  async list(ctx) {
    const emails = new Map(IDENTITY_ROLES.map((r) => [serviceAccountEmail(ctx.cluster, ctx.clients.settings.project, r), r]));
    const members = new Set([...emails.keys()].map((e) => `serviceAccount:${e}`));
    const out: LiveResource[] = [];
    for (const [email, identity] of emails) {
      for (const b of (await getPolicy(ctx, email))?.bindings ?? []) {
        if (b.condition !== undefined) continue;
        for (const member of b.members.filter((m) => members.has(m))) {
          out.push({ id: actAsId(identity), kind: 'service-account-iam-member', cloudId: `${email}/${b.role}/${member}`, fields: { account: accountName(ctx.clients.settings.project, email), role: b.role, member }, outputs: {} });
        }
      }
    }
    return out;
  },
  async create(_node, f, ctx) {
    const [account, role, member] = args(f);
    await rewrite(ctx, account, role, member, true);
    return { cloudId: `${account}/${role}/${member}`, outputs: {} };
  },
  async delete(cur, ctx) {
    const [account, role, member] = args(cur.fields);
    await rewrite(ctx, account, role, member, false);
  },
  terraform: (node) => ({
    type: 'google_service_account_iam_member',
    name: tfName(node.id),
    body: { service_account_id: node.fields.account, role: node.fields.role, member: node.fields.member },
  }),
  terraformOutputs: {},
};
