// Image lookup for launch templates: the newest image by name among the owner's available images (Canonical's
// Ubuntu 24.04 LTS by default). Memoised per connection: every launch template of one run sees the same AMI.

import { OperationError } from '../../../src/core/errors.js';
import type { Ctx } from './common.js';

export interface ImageLookup {
  owner: string;
  namePattern: string;
  architecture: string;
}

export function isImageLookup(v: unknown): v is { lookup: ImageLookup } {
  return typeof v === 'object' && v !== null && typeof (v as { lookup?: ImageLookup }).lookup?.owner === 'string';
}

export interface FoundImage {
  ImageId: string;
  Name: string;
}

export function lookupImage(ctx: Ctx, l: ImageLookup): Promise<FoundImage> {
  const key = `image:${l.owner}:${l.namePattern}:${l.architecture}`;
  const memo = ctx.clients.memo.get(key) as Promise<FoundImage> | undefined;
  if (memo) return memo;
  const p = (async (): Promise<FoundImage> => {
    const res = await ctx.clients.ec2.call('DescribeImages', {
      Owners: [l.owner],
      Filters: [
        { Name: 'name', Values: [l.namePattern] },
        { Name: 'state', Values: ['available'] },
        { Name: 'architecture', Values: [l.architecture] },
      ],
    });
    // Canonical's names end in the build date, so the greatest name is the newest build.
    const named = (res.Images ?? []).filter((i): i is FoundImage => !!i.Name && !!i.ImageId);
    const newest = named.sort((a, b) => (a.Name < b.Name ? 1 : a.Name > b.Name ? -1 : 0))[0];
    if (!newest) {
      throw new OperationError(`no image named ${l.namePattern} owned by ${l.owner} in ${ctx.clients.settings.region} (ec2:DescribeImages)`, {
        hint: 'Pass --image with an AMI id available in this region.',
      });
    }
    return newest;
  })();
  ctx.clients.memo.set(key, p);
  p.catch(() => ctx.clients.memo.delete(key));
  return p;
}
