// An adaptive concurrency limit for the calls of one cloud API family (issue 17): how many calls may be in flight
// grows while calls succeed and the limit is what holds callers back, and halves when the cloud answers "throttled" —
// TCP's congestion control applied to API calls. Slow start (one more slot per success, i.e. doubling per round trip)
// until the first throttling answer, then additive increase (one more slot per round trip's worth of successes);
// on a throttling answer the limit halves, once per congestion event: answers to calls that were already in flight
// when it halved do not halve it again. The cloud's own token buckets refill at a rate nobody tells the client, so
// the limit finds the rate instead of guessing it; `max` keeps a first burst within the documented bucket sizes.
// The AWS SDK's "adaptive" retry mode has a rate limiter of this spirit, but one per client (EC2's mutating and
// describe buckets share it) and measured in calls per second, not calls in flight; the engine's retries need neither.

export type CallOutcome = 'ok' | 'throttled' | 'error';

export interface AdaptiveLimitOptions {
  /** Calls in flight allowed at first. */
  initial: number;
  /** Never more than this (the cloud's documented burst). */
  max: number;
  /** Never fewer than this (default 1: a throttled family still makes progress). */
  min?: number;
}

/** One call's slot; `done` gives it back and says how the call went. Idempotent. */
export interface CallPermit {
  done(outcome: CallOutcome): void;
}

export interface AdaptiveLimitState {
  limit: number;
  inFlight: number;
  waiting: number;
  /** Highest number of calls in flight at once so far. */
  peakInFlight: number;
  /** Congestion events (throttling answers that halved the limit). */
  decreases: number;
}

export class AdaptiveLimit {
  private limit: number;
  private readonly max: number;
  private readonly min: number;
  /** Below this the limit grows by one per success (slow start); above, by 1/limit. No throttling seen: the max. */
  private threshold: number;
  private inFlight = 0;
  private peakInFlight = 0;
  private decreases = 0;
  /** Bumped on every decrease: a throttled call granted before it belongs to the event already counted. */
  private epoch = 0;
  private readonly waiters: { grant: () => void; signal?: AbortSignal; onAbort?: () => void }[] = [];

  constructor(opts: AdaptiveLimitOptions) {
    this.min = Math.max(1, opts.min ?? 1);
    this.max = Math.max(this.min, opts.max);
    this.limit = Math.min(this.max, Math.max(this.min, opts.initial));
    this.threshold = this.max;
  }

  get state(): AdaptiveLimitState {
    return { limit: Math.floor(this.limit), inFlight: this.inFlight, waiting: this.waiters.length, peakInFlight: this.peakInFlight, decreases: this.decreases };
  }

  /** Waits for a slot (in arrival order). Rejects with the signal's reason if it aborts while waiting. */
  acquire(signal?: AbortSignal): Promise<CallPermit> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.waiters.length === 0 && this.inFlight < Math.floor(this.limit)) return Promise.resolve(this.grant());
    return new Promise<CallPermit>((resolve, reject) => {
      const waiter: (typeof this.waiters)[number] = { grant: () => resolve(this.grant()), signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
    });
  }

  /** Runs `call` in a slot; `classify` says whether its error was a throttling answer. */
  async run<T>(call: () => Promise<T>, classify: (err: unknown) => CallOutcome, signal?: AbortSignal): Promise<T> {
    const permit = await this.acquire(signal);
    try {
      const out = await call();
      permit.done('ok');
      return out;
    } catch (err) {
      permit.done(classify(err));
      throw err;
    }
  }

  private grant(): CallPermit {
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    const epoch = this.epoch;
    let released = false;
    return {
      done: (outcome) => {
        if (released) return;
        released = true;
        this.settle(outcome, epoch);
      },
    };
  }

  private settle(outcome: CallOutcome, grantedIn: number): void {
    // Grow only while the limit is what holds calls back: an idle family must not build up a limit it never tested.
    const binding = this.waiters.length > 0 || this.inFlight >= Math.floor(this.limit);
    this.inFlight--;
    if (outcome === 'ok' && binding) {
      this.limit = Math.min(this.max, this.limit + (this.limit < this.threshold ? 1 : 1 / this.limit));
    } else if (outcome === 'throttled' && grantedIn === this.epoch) {
      this.limit = Math.max(this.min, Math.floor(this.limit / 2));
      this.threshold = this.limit;
      this.epoch++;
      this.decreases++;
    }
    this.wake();
  }

  private wake(): void {
    while (this.waiters.length > 0 && this.inFlight < Math.floor(this.limit)) {
      const w = this.waiters.shift()!;
      if (w.onAbort) w.signal!.removeEventListener('abort', w.onAbort);
      w.grant();
    }
  }
}
