/** Waits `ms`; rejects with the signal's reason as soon as it is aborted (Ctrl-C must not wait out a backoff). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    // The listener goes when the sleep ends: polls share one long-lived run signal, and listeners left behind
    // pile up (Node warns on stderr after 10) for as long as the run lasts.
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const FIRST_POLL_MS = 250;

/**
 * The wait before re-check number `round` (0, 1, …) of a poll whose steady interval is `pollMs`: 250 ms, doubling up
 * to pollMs. What is ready soon after it was asked for (a node that registered while its instance started) is seen
 * then, not a whole interval later; a wait of minutes costs a handful of extra reads.
 */
export function pollDelay(round: number, pollMs: number): number {
  return Math.min(pollMs, FIRST_POLL_MS * 2 ** round);
}
