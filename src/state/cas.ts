// Read-modify-write with compare-and-swap and bounded retry: the building block for any object several runs may
// update at once (the applied journal, counters in tests). A lost race re-reads and re-applies `change`.

import { ConflictError } from '../core/errors.js';
import { sleep } from '../core/sleep.js';
import { PreconditionFailedError, type Blob, type BlobStore, type PutOptions } from './blob.js';

export interface CasUpdateOptions {
  secret?: boolean;
  /** Attempts before giving up with ConflictError (default 30). */
  maxAttempts?: number;
  /** Upper bound of the random backoff between attempts (default 50 ms, grows with attempts up to 8x). */
  backoffMs?: number;
  /**
   * The caller's copy of the current object (null: absent), e.g. what it wrote last: the first attempt writes on it
   * without reading. A stale copy only costs one 412 and a re-read.
   */
  base?: Blob | null;
}

/**
 * Applies `change` to the current bytes of `key` (null when absent) and writes the result only if nobody wrote in
 * between. Returning undefined from `change` leaves the object as it is. Resolves to the value written (or kept).
 */
export async function casUpdate(
  store: BlobStore,
  key: string,
  change: (current: Buffer | null) => Buffer | string | undefined,
  opts: CasUpdateOptions = {},
): Promise<Buffer | null> {
  return (await casUpdateBlob(store, key, change, opts))?.data ?? null;
}

/** casUpdate that also reports the version of the object it wrote or kept (null when the object is absent). */
export async function casUpdateBlob(
  store: BlobStore,
  key: string,
  change: (current: Buffer | null) => Buffer | string | undefined,
  opts: CasUpdateOptions = {},
): Promise<Blob | null> {
  const maxAttempts = opts.maxAttempts ?? 30;
  const backoffMs = opts.backoffMs ?? 50;
  let base = opts.base;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const current = base !== undefined ? base : await store.get(key);
    base = undefined;
    const next = change(current ? current.data : null);
    if (next === undefined) return current;
    const put: PutOptions = current ? { ifMatch: current.version } : { ifNoneMatch: true };
    try {
      const version = await store.put(key, next, { ...put, secret: opts.secret });
      return { data: Buffer.isBuffer(next) ? next : Buffer.from(next, 'utf8'), version };
    } catch (e) {
      if (!(e instanceof PreconditionFailedError)) throw e;
      // Our copy was stale: read it back at once. Otherwise another writer won the race: full jitter, so racing
      // writers spread out instead of colliding again in lockstep.
      if (attempt > 1 || opts.base === undefined) await sleep(Math.random() * backoffMs * Math.min(2 ** Math.floor(attempt / 3), 8));
    }
  }
  throw new ConflictError(`gave up updating state object ${key} after ${maxAttempts} attempts: other runs kept changing it`, {
    hint: 'Another k8sup run is writing the same cluster; wait for it to finish and retry.',
  });
}
