// The retry budget of the state clients (S3, GCS): the same bounded policy the engine applies to cloud calls
// (core/executor: attempts, equal-jitter exponential backoff, delay cap), for throttling and transient failures
// (connection resets, 5xx). Every state call may be repeated safely: reads and lists trivially, writes because they
// are idempotent (a replayed conditional write recognises its own write token, see blob.ts). The SDKs' own retries
// are switched off so that this is the one place that decides, and so a backend knows when it is replaying a write.

import { backoffDelay, DEFAULTS } from '../core/executor.js';
import { sleep } from '../core/sleep.js';

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const STATE_RETRY_POLICY: RetryPolicy = {
  maxAttempts: DEFAULTS.maxAttempts,
  baseDelayMs: DEFAULTS.baseDelayMs,
  maxDelayMs: DEFAULTS.maxDelayMs,
};

/**
 * Runs `call(attempt)` until it succeeds, fails with an error `retryable` rejects, or the attempts are spent.
 * `attempt` starts at 1; a backend uses `attempt > 1` to know that an earlier attempt may have landed.
 */
export async function withRetry<T>(
  call: (attempt: number) => Promise<T>,
  retryable: (e: unknown) => boolean,
  policy: RetryPolicy = STATE_RETRY_POLICY,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt);
    } catch (e) {
      if (attempt >= policy.maxAttempts || !retryable(e)) throw e;
      await sleep(backoffDelay(attempt, policy.baseDelayMs, policy.maxDelayMs, Math.random));
    }
  }
}
