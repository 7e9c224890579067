// A service account per role (model/identity.ts), over the IAM v1 REST API (the Compute library has no IAM client):
//  - list(): projects.serviceAccounts.list (paged), kept only if the description marker names exactly this cluster;
//  - create(): serviceAccounts.create; a 409 ALREADY_EXISTS for an account that carries our marker is a retried
//    create whose first answer was lost, so it is adopted (another's account of that id is an error);
//  - delete(): serviceAccounts.delete; 404 is success (the engine treats not-found as gone).
// The e-mail (and so the IAM member `serviceAccount:<email>`) is what instance templates and bucket bindings use.

import type { LiveResource, ResourceHandler } from '../../../src/core/resource.js';
import type { GceClients } from '../clients.js';
import { classifyGceError, GceEventualConsistencyError, isAlreadyExists } from '../errors.js';
import { ownedId } from '../model/names.js';
import { tfName, type Ctx } from './common.js';

interface ServiceAccount {
  name: string;
  email: string;
  uniqueId?: string;
  displayName?: string;
  description?: string;
}

const MAX_PAGES = 100;

const outputsOf = (sa: ServiceAccount): LiveResource['outputs'] => ({ email: sa.email, member: `serviceAccount:${sa.email}`, uniqueId: sa.uniqueId ?? '', name: sa.name });
const emailOf = (ctx: Ctx, accountId: unknown) => `${String(accountId)}@${ctx.clients.settings.project}.iam.gserviceaccount.com`;

async function getAccount(ctx: Ctx, email: string): Promise<ServiceAccount> {
  return ctx.clients.api.iam('serviceAccounts', 'get', { path: `serviceAccounts/${encodeURIComponent(email)}` }, ctx.signal);
}

export const serviceAccountHandler: ResourceHandler<GceClients> = {
  kind: 'service-account',
  service: 'iam',
  // The account id is the e-mail; display name and description could be patched, but they only change with it.
  immutable: ['accountId', 'displayName', 'description'],
  async list(ctx) {
    const out: LiveResource[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await ctx.clients.api.iam<{ accounts?: ServiceAccount[]; nextPageToken?: string }>('serviceAccounts', 'list', { path: 'serviceAccounts', query: { pageSize: '100', pageToken } }, ctx.signal);
      for (const sa of (res.accounts ?? []) as ServiceAccount[]) {
        const id = ownedId(sa.description, ctx.cluster);
        if (!id) continue;
        out.push({
          id,
          kind: 'service-account',
          cloudId: sa.email,
          fields: { accountId: sa.email.split('@')[0], displayName: sa.displayName ?? '', description: sa.description ?? '' },
          outputs: outputsOf(sa),
        });
      }
      pageToken = res.nextPageToken || undefined;
      if (!pageToken) return out;
    }
    throw new Error(`IAM serviceAccounts.list returned more than ${MAX_PAGES} pages`);
  },
  async create(node, f, ctx) {
    const email = emailOf(ctx, f.accountId);
    try {
      await ctx.clients.api.iam(
        'serviceAccounts',
        'create',
        { method: 'POST', path: 'serviceAccounts', body: { accountId: f.accountId, serviceAccount: { displayName: f.displayName, description: f.description } } },
        ctx.signal,
      );
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await getAccount(ctx, email);
      if (ownedId(existing.description, ctx.cluster) !== node.id) {
        throw new Error(`service account ${email} already exists and does not belong to ${node.id} of cluster ${ctx.cluster}: delete it or rename the cluster`, { cause: err });
      }
    }
    try {
      const sa = await getAccount(ctx, email);
      return { cloudId: sa.email, outputs: outputsOf(sa) };
    } catch (err) {
      // Just created: IAM is eventually consistent, a not-found here is not a missing account.
      if (classifyGceError(err) === 'not-found') throw new GceEventualConsistencyError(`service account ${email} not visible yet`, { cause: err });
      throw err;
    }
  },
  async delete(cur, ctx) {
    await ctx.clients.api.iam('serviceAccounts', 'delete', { method: 'DELETE', path: `serviceAccounts/${encodeURIComponent(cur.cloudId)}` }, ctx.signal);
  },
  terraform: (node) => ({
    type: 'google_service_account',
    name: tfName(node.id),
    body: { account_id: node.fields.accountId, display_name: node.fields.displayName, description: node.fields.description },
  }),
  terraformOutputs: { email: 'email', member: 'member', uniqueId: 'unique_id', name: 'name' },
};
