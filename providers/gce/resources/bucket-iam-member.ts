// One conditional IAM binding on the state bucket (model/identity.ts): `{role, members: [member], condition}`. Over
// the Cloud Storage JSON API's bucket IAM policy, always as policy version 3 (the only one that carries conditions):
//  - list(): getIamPolicy of each bucket the model names; a binding whose condition description carries this
//    cluster's marker is ours (bindings have no labels), anything else in the policy is never touched;
//  - create/update/delete: read-modify-write of the whole policy with its etag (iam-policy.ts: a writer in between
//    makes setIamPolicy answer 412, and the cycle starts over on a fresh read).
// Conditions need uniform bucket-level access on the bucket: without it k8sup stops with how to turn it on.

import { OperationError } from '../../../src/core/errors.js';
import type { LiveResource, ResolvedFields, ResourceHandler } from '../../../src/core/resource.js';
import type { GceClients } from '../clients.js';
import { ownedId } from '../model/names.js';
import { tfName, type Ctx, objectField } from './common.js';
import { rewritePolicy, type IamBinding, type IamPolicy } from './iam-policy.js';

interface Condition {
  title: string;
  description?: string;
  expression: string;
}
interface Binding extends IamBinding {
  condition?: Condition;
}
type Policy = IamPolicy<Binding>;

const POLICY_VERSION = 3;

const policyPath = (bucket: string) => `b/${encodeURIComponent(bucket)}/iam`;

async function getPolicy(ctx: Ctx, bucket: string): Promise<Policy> {
  return ctx.clients.api.storage('bucketIamPolicy', 'getIamPolicy', { path: policyPath(bucket), query: { optionsRequestedPolicyVersion: String(POLICY_VERSION) } }, ctx.signal);
}

/** Uniform bucket-level access is a precondition of conditional bindings: check it first, and say what to do. */
async function requireUniformAccess(ctx: Ctx, bucket: string): Promise<void> {
  const b = await ctx.clients.api.storage<{ iamConfiguration?: { uniformBucketLevelAccess?: { enabled?: boolean } } } | null>('buckets', 'get', { path: `b/${encodeURIComponent(bucket)}`, query: { fields: 'iamConfiguration' } }, ctx.signal);
  if (!b?.iamConfiguration?.uniformBucketLevelAccess?.enabled) {
    throw new OperationError(`gs://${bucket}: per-role access to the state store needs uniform bucket-level access (IAM conditions), which the bucket does not have: gcloud storage buckets update gs://${bucket} --uniform-bucket-level-access`, {
      code: 'GceStateBucketAccess',
      hint: `Turn it on: gcloud storage buckets update gs://${bucket} --uniform-bucket-level-access (then run the command again).`,
    });
  }
}

/**
 * Replaces this binding's entry in the policy (`desired` null: removes it) and writes it back with the etag read.
 * A binding is found by the marker in its condition's description.
 */
async function rewrite(ctx: Ctx, bucket: string, id: string, desired: Binding | null): Promise<void> {
  await rewritePolicy(ctx, {
    what: `binding on gs://${bucket}`,
    read: () => getPolicy(ctx, bucket),
    edit: (policy) => {
      const others = (policy.bindings ?? []).filter((b) => ownedId(b.condition?.description, ctx.cluster) !== id);
      if (!desired && others.length === (policy.bindings ?? []).length) return undefined;
      return desired ? [...others, desired] : others;
    },
    write: (bindings, policy) =>
      ctx.clients.api.storage('bucketIamPolicy', 'setIamPolicy', { method: 'PUT', path: policyPath(bucket), body: { bindings, etag: policy.etag, version: POLICY_VERSION } }, ctx.signal),
  });
}

function bindingOf(f: ResolvedFields): Binding {
  const c = f.condition as unknown as Condition;
  return { role: String(f.role), members: [String(f.member)], condition: { title: c.title, description: c.description, expression: c.expression } };
}

const cloudIdOf = (bucket: string, b: Binding) => `${bucket}/${b.role}/${b.condition?.title ?? ''}`;

export const bucketIamMemberHandler: ResourceHandler<GceClients> = {
  kind: 'bucket-iam-member',
  service: 'storage',
  // A binding is its role, member and condition: every change is a new binding (replace).
  immutable: ['bucket', 'role', 'member', 'condition'],
  async list(ctx) {
    const out: LiveResource[] = [];
    for (const bucket of ctx.clients.settings.stateBuckets ?? []) {
      const policy = await getPolicy(ctx, bucket);
      for (const b of policy.bindings ?? []) {
        const id = ownedId(b.condition?.description, ctx.cluster);
        if (!id) continue;
        out.push({
          id,
          kind: 'bucket-iam-member',
          cloudId: cloudIdOf(bucket, b),
          fields: { bucket, role: b.role, member: b.members.length === 1 ? b.members[0] : [...b.members].sort().join(','), condition: { ...b.condition! } },
          outputs: {},
        });
      }
    }
    return out;
  },
  async create(node, f, ctx) {
    const bucket = String(f.bucket);
    await requireUniformAccess(ctx, bucket);
    const binding = bindingOf(f);
    await rewrite(ctx, bucket, node.id, binding);
    return { cloudId: cloudIdOf(bucket, binding), outputs: {} };
  },
  async delete(cur, ctx) {
    await rewrite(ctx, String(cur.fields.bucket), cur.id, null);
  },
  terraform: (node) => {
    const f = node.fields;
    return {
      type: 'google_storage_bucket_iam_member',
      name: tfName(node.id),
      body: { bucket: f.bucket, role: f.role, member: f.member, condition: [conditionBlock(objectField(f.condition, 'condition'))] },
    };
  },
};

function conditionBlock(c: { [k: string]: unknown }) {
  return { title: c.title, description: c.description, expression: c.expression };
}
