// State-store calls side by side (issue 17): many independent objects (PKI files, bootstrap bundles, a cluster's keys
// on delete, the clusters of `get clusters`) cost a round trip or two instead of one each, a bounded number at once
// rather than hundreds of connections; and however such a group ends, every call of it has settled (a failed run
// leaves no write of its own in flight behind its lock).

/** Calls in flight at once: under the SDKs' socket pools (50); 100 objects take about three round trips. */
export const STATE_CALLS_IN_FLIGHT = 32;

/**
 * `fn` of every item, at most `limit` at a time, results in the items' order. After a failure no further item is
 * started, and this settles only when the calls already in flight have (nothing is written after it returns, e.g.
 * after the caller released its lock); then it rejects with the first error.
 */
export async function mapInFlight<T, R>(items: readonly T[], fn: (item: T, index: number) => Promise<R>, limit = STATE_CALLS_IN_FLIGHT): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}

/**
 * Promise.all, but when one fails it still waits for the others to settle, then rejects with the first failure: a
 * run that fails does not leave a write of its own in flight behind it (e.g. after its lock was released).
 */
export async function settleAll<T extends readonly unknown[] | []>(values: T): Promise<{ -readonly [P in keyof T]: Awaited<T[P]> }> {
  const settled = (await Promise.allSettled(values)) as PromiseSettledResult<unknown>[];
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as { -readonly [P in keyof T]: Awaited<T[P]> };
}
