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
