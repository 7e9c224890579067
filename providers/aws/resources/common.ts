// Helpers shared by the AWS handlers: tags, tag filters, pagination, create-time error shaping, waits.

import type { HandlerContext, LiveResource } from '../../../src/core/resource.js';
import type { AwsApi, AwsClients, AwsService, OperationInput, OperationName, OperationOutput } from '../clients.js';
import type { ResourceType, Tag } from '@aws-sdk/client-ec2';
import { classifyAwsError, errorCode, EventualConsistencyError } from '../errors.js';
import { TAG_CLUSTER, TAG_CLUSTER_ID, TAG_ID } from '../model/names.js';
import { isOwnObject, type ClusterIdentity } from '../../../src/core/ownership.js';
import { sleep } from '../../../src/core/sleep.js';
import { includesEntries, sameSet } from '../../../src/core/diff.js';
import { terraformName } from '../../../src/core/terraform.js';
export { sleep };

export type Ctx = HandlerContext<AwsClients>;
export type Tags = Record<string, string>;

export function tagList(tags: Tags | undefined): { Key: string; Value: string }[] {
  return Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value: String(Value) }));
}

export function tagMap(list: readonly { Key?: string; Value?: string }[] | undefined): Tags {
  const out: Tags = {};
  for (const t of list ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}

/** EC2 `Filters` selecting this cluster's objects (optionally one graph id). */
export function clusterFilter(cluster: string, id?: string): { Name: string; Values: string[] }[] {
  const f = [{ Name: `tag:${TAG_CLUSTER}`, Values: [cluster] }];
  if (id) f.push({ Name: `tag:${TAG_ID}`, Values: [id] });
  return f;
}

/**
 * The graph id when `tags` say the object is this cluster's. An object with the cluster's name but another cluster
 * id is refused (exit 2, naming `what` and both ids) or, when the context skips other clusters, not reported.
 */
export function ownedId(tags: Tags, ctx: ClusterIdentity, what: string): string | undefined {
  if (tags[TAG_CLUSTER] !== ctx.cluster || !tags[TAG_ID]) return undefined;
  return isOwnObject(ctx, tags[TAG_CLUSTER_ID], what) ? tags[TAG_ID] : undefined;
}

/**
 * For create's adopt-on-retry paths: the existing object is this cluster's own (same name tag and, when both have
 * one, the same cluster id). Another cluster's object is refused with exit 2, never adopted.
 */
export function isOurs(tags: Tags, ctx: ClusterIdentity, what: string): boolean {
  return tags[TAG_CLUSTER] === ctx.cluster && isOwnObject({ ...ctx, otherClusters: 'refuse' }, tags[TAG_CLUSTER_ID], what);
}

/** Desired tags are a subset of live tags (AWS and users may add their own; we never remove foreign tags). */
export const tagsEqual = includesEntries;

type ItemOf<T> = NonNullable<T> extends readonly (infer E)[] ? E : never;

/**
 * Reads every page of a paginated call (a list that stops at the first page misses objects: issue 17).
 * `key` names the list in the output; `tokenIn`/`tokenOut` name the continuation fields.
 */
export async function paginate<S extends AwsService, Op extends OperationName<S>, K extends keyof OperationOutput<S, Op> & string>(
  api: AwsApi<S>,
  op: Op,
  input: OperationInput<S, Op>,
  key: K,
  tokenIn = 'NextToken',
  tokenOut = tokenIn,
  maxPages = 100,
): Promise<ItemOf<OperationOutput<S, Op>[K]>[]> {
  // The continuation field is named per service; the typed call is bypassed only to set it.
  const send = api.call as unknown as (op: string, input: object) => Promise<Record<string, unknown>>;
  const out: ItemOf<OperationOutput<S, Op>[K]>[] = [];
  let token: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const res = await send.call(api, op, token ? { ...(input as object), [tokenIn]: token } : (input as object));
    out.push(...((res[key] ?? []) as ItemOf<OperationOutput<S, Op>[K]>[]));
    const next = res[tokenOut];
    token = typeof next === 'string' && next ? next : undefined;
    if (!token) break;
  }
  return out;
}

/**
 * Inside create(): a referenced object that "does not exist" seconds after it was created is eventual consistency,
 * not a missing resource, so the engine must retry rather than skip.
 */
export async function creating<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (classifyAwsError(err) === 'not-found') throw new EventualConsistencyError(`${what}: ${(err as Error).message}`, { cause: err });
    throw err;
  }
}

/** Runs `fn`; not-found means already gone (delete is idempotent). */
export async function ignoreNotFound(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (classifyAwsError(err) !== 'not-found') throw err;
  }
}


/** Polls until `done()` is true, at most `timeoutMs`. */
export async function waitUntil(ctx: Ctx, what: string, done: () => Promise<boolean>, timeoutMs = 10 * 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(ctx.clients.pollMs, ctx.signal);
  }
}

/** A live object; its cluster id is read from `fields.tags` (every tagged kind reports them there). */
export function live(kind: string, id: string, cloudId: string, fields: Record<string, unknown>, outputs: LiveResource['outputs']): LiveResource {
  const clusterId = (fields.tags as Tags | undefined)?.[TAG_CLUSTER_ID];
  return { id, kind, cloudId, fields, outputs, ...(clusterId ? { clusterId } : {}) };
}

/** EC2 TagSpecifications for one resource type. */
export function tagSpec(resourceType: ResourceType, tags: Tags | undefined): { ResourceType: ResourceType; Tags: Tag[] }[] {
  return [{ ResourceType: resourceType, Tags: tagList(tags) }];
}

/** EC2's tag update (CreateTags adds or overwrites; foreign tags stay). */
export async function ec2Retag(cur: LiveResource, tags: Tags, ctx: Ctx): Promise<void> {
  await ctx.clients.ec2.call('CreateTags', { Resources: [cur.cloudId], Tags: tagList(tags) });
}

/** The service's error code, for `duplicate` checks (`InvalidGroup.Duplicate`, `EntityAlreadyExists` …). */
export { errorCode };

/** Shared with the other providers (src/core); re-exported so handlers keep one import. */
export { sameSet, terraformName as tfName };
