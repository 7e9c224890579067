// ELBv2 has no tag filter on Describe*: describe all (paginated) and read tags with DescribeTags, 20 ARNs a call.

import type { Ctx } from './common.js';
import { isOurs, ownedId, paginate, tagMap } from './common.js';

export async function tagsByArn(ctx: Ctx, arns: string[]): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  for (let i = 0; i < arns.length; i += 20) {
    const res = await ctx.clients.elbv2.call('DescribeTags', { ResourceArns: arns.slice(i, i + 20) });
    for (const d of res.TagDescriptions ?? []) out.set(d.ResourceArn, tagMap(d.Tags));
  }
  return out;
}

/** Every object of a kind (`DescribeLoadBalancers` → `LoadBalancers`) with its tags, filtered to the cluster. */
export async function describeOwned(ctx: Ctx, op: string, key: string, arnKey: string, input: Record<string, unknown> = {}) {
  const items = await paginate<any>(ctx.clients.elbv2, op, input, key, 'Marker', 'NextMarker');
  const tags = await tagsByArn(ctx, items.map((i) => i[arnKey]));
  return items.map((item) => ({ item, tags: tags.get(item[arnKey]) ?? {} })).filter((x) => ownedId(x.tags, ctx, `${key.replace(/s$/, '')} ${x.item[arnKey]}`));
}

/**
 * Runs a create; on a Duplicate*Name answer (a retry whose first attempt went through) returns the existing object
 * in the create's response shape, but only if it carries this cluster's tag.
 */
export async function adoptDuplicate(ctx: Ctx, describeOp: string, input: Record<string, unknown>, key: string, arnKey: string, create: () => Promise<any>): Promise<any> {
  try {
    return await create();
  } catch (err) {
    if (!/^Duplicate\w*Name/.test(String((err as { name?: string }).name))) throw err;
    const found = (await ctx.clients.elbv2.call(describeOp, input))[key] ?? [];
    const tags = await tagsByArn(ctx, found.map((x: any) => x[arnKey]));
    const ours = found.filter((x: any) => isOurs(tags.get(x[arnKey]) ?? {}, ctx, `${key.replace(/s$/, '')} ${x[arnKey]}`));
    if (!ours.length) throw err;
    return { [key]: ours };
  }
}
