// ELBv2 has no tag filter on Describe*: describe all (paginated) and read tags with DescribeTags, 20 ARNs a call.

import { classifyAwsError } from '../errors.js';
import { TAG_ID } from '../model/names.js';
import { tagMap, type Ctx, type Tags } from './common.js';

export async function tagsByArn(ctx: Ctx, arns: string[]): Promise<Map<string, Tags>> {
  const out = new Map<string, Tags>();
  for (let i = 0; i < arns.length; i += 20) {
    const res = await ctx.clients.elbv2.call('DescribeTags', { ResourceArns: arns.slice(i, i + 20) });
    for (const d of res.TagDescriptions ?? []) if (d.ResourceArn) out.set(d.ResourceArn, tagMap(d.Tags));
  }
  return out;
}

/** An ELB object with the tags DescribeTags reported for it. */
export type WithTags<T> = T & { tags: Tags };

/** Attaches tags (one DescribeTags per 20 objects) and keeps the cluster's (or, with `id`, that graph id's). */
export async function withClusterTags<T>(ctx: Ctx, items: T[], arnOf: (t: T) => string | undefined, id?: string): Promise<WithTags<T>[]> {
  const arns = items.map(arnOf).filter((a): a is string => !!a);
  const tags = await tagsByArn(ctx, arns);
  return items
    .map((item) => ({ ...item, tags: tags.get(arnOf(item) ?? '') ?? {} }))
    .filter((x) => x.tags['k8sup.io/cluster'] === ctx.cluster && (!id || x.tags[TAG_ID] === id));
}

/** ELBv2 answers a lookup by name of something missing with a not-found error: that is "none". */
export async function noneIfNotFound<T>(fn: () => Promise<T[]>): Promise<T[]> {
  try {
    return await fn();
  } catch (err) {
    if (classifyAwsError(err) === 'not-found') return [];
    throw err;
  }
}
