// The cluster lease lock: `<cluster>/lock.json`. Taken with a create-only write; an expired lock is taken over with a
// compare-and-swap on its version, so two runs can never both believe they hold it. While held, a timer renews it
// (also CAS), so a long apply keeps its lock and a crashed run's lock expires after ttl.

import { randomUUID } from 'node:crypto';
import { ConflictError } from '../core/errors.js';
import { PreconditionFailedError, type BlobStore } from './blob.js';

export interface LockRecord {
  id: string;
  owner: string;
  host: string;
  pid: number;
  command: string;
  /** ISO-8601 */
  acquiredAt: string;
  /** ISO-8601 */
  expiresAt: string;
}

export interface AcquireLockOptions {
  owner: string;
  host: string;
  pid: number;
  command: string;
  ttlMs: number;
  /** Clock (ms since epoch); default Date.now. */
  now?: () => number;
  /** Keep-alive period; default ttlMs / 3. 0 turns the keep-alive timer off. */
  renewEveryMs?: number;
}

/** The cluster is locked by another live run. Exit 3; `holder` says who. */
export class ClusterLockedError extends ConflictError {
  constructor(
    readonly cluster: string,
    readonly holder: LockRecord,
  ) {
    super(
      `cluster ${cluster} is locked by ${holder.owner}@${holder.host} (pid ${holder.pid}, "${holder.command}") since ${holder.acquiredAt}; lock id ${holder.id}, expires ${holder.expiresAt}`,
      {
        hint: `Wait for that run to finish. If it is no longer running: k8sup unlock cluster ${cluster} --lock-id ${holder.id}`,
      },
    );
  }
}

// Takeover races are settled by CAS; these bounded re-reads only decide which error to report.
const ACQUIRE_ATTEMPTS = 5;

export function lockKey(cluster: string): string {
  return `${cluster}/lock.json`;
}

/** Parses lock.json; an unreadable record counts as expired (so it can be taken over rather than block forever). */
export function parseLockRecord(data: Buffer): LockRecord | null {
  try {
    const r = JSON.parse(data.toString('utf8')) as LockRecord;
    return typeof r.id === 'string' && typeof r.expiresAt === 'string' ? r : null;
  } catch {
    return null;
  }
}

export function isExpired(record: LockRecord | null, nowMs: number): boolean {
  if (!record) return true;
  const expires = Date.parse(record.expiresAt);
  return Number.isNaN(expires) || expires <= nowMs;
}

export async function acquireLease(store: BlobStore, cluster: string, opts: AcquireLockOptions): Promise<Lease> {
  const now = opts.now ?? Date.now;
  const key = lockKey(cluster);
  const id = randomUUID();
  for (let attempt = 1; ; attempt++) {
    const at = now();
    const record: LockRecord = {
      id,
      owner: opts.owner,
      host: opts.host,
      pid: opts.pid,
      command: opts.command,
      acquiredAt: new Date(at).toISOString(),
      expiresAt: new Date(at + opts.ttlMs).toISOString(),
    };
    const body = JSON.stringify(record, null, 2);
    try {
      const version = await store.put(key, body, { ifNoneMatch: true });
      return new Lease(store, cluster, record, version, opts);
    } catch (e) {
      if (!(e instanceof PreconditionFailedError)) throw e;
    }
    const current = await store.get(key);
    if (current) {
      const holder = parseLockRecord(current.data);
      if (!isExpired(holder, now())) throw new ClusterLockedError(cluster, holder!);
      try {
        const version = await store.put(key, body, { ifMatch: current.version });
        return new Lease(store, cluster, record, version, opts);
      } catch (e) {
        if (!(e instanceof PreconditionFailedError)) throw e;
        // Someone else took over (or released) first: look again.
      }
    }
    if (attempt >= ACQUIRE_ATTEMPTS) {
      throw new ConflictError(`could not take the lock on cluster ${cluster}: it kept changing hands`, {
        hint: 'Several k8sup runs are contending for this cluster; retry when they are done.',
      });
    }
  }
}

export class Lease {
  private version: string;
  private current: LockRecord;
  private chain: Promise<void> = Promise.resolve();
  private timer?: ReturnType<typeof setInterval>;
  private lostReason?: Error;
  private released = false;
  private readonly now: () => number;
  private readonly ttlMs: number;

  constructor(
    private readonly store: BlobStore,
    readonly cluster: string,
    record: LockRecord,
    version: string,
    opts: AcquireLockOptions,
  ) {
    this.current = record;
    this.version = version;
    this.now = opts.now ?? Date.now;
    this.ttlMs = opts.ttlMs;
    const every = opts.renewEveryMs ?? Math.floor(opts.ttlMs / 3);
    if (every > 0) {
      this.timer = setInterval(() => void this.renew().catch(() => undefined), every);
      // A held lease must never keep the process alive on its own.
      this.timer.unref();
    }
  }

  get id(): string {
    return this.current.id;
  }

  get record(): LockRecord {
    return { ...this.current };
  }

  /** Why the lease was lost (taken over or removed by `unlock`), if it was. */
  get lost(): Error | undefined {
    return this.lostReason;
  }

  get held(): boolean {
    return !this.released && !this.lostReason;
  }

  /** True once release() was called (a released lease is not "lost": the run simply finished with it). */
  get isReleased(): boolean {
    return this.released;
  }

  /** Throws ConflictError unless the lease is still ours. Call before a write that must happen under the lock. */
  assertHeld(): void {
    if (this.lostReason) throw this.lostReason;
    if (this.released) throw new ConflictError(`the lock on cluster ${this.cluster} was already released`);
    if (isExpired(this.current, this.now())) {
      throw new ConflictError(`the lock on cluster ${this.cluster} expired at ${this.current.expiresAt}`, {
        hint: 'Retry; the run took longer than its lock lifetime without renewing it.',
      });
    }
  }

  /** Extends the expiry by ttl (compare-and-swap on our own version). Throws ConflictError if the lease was lost. */
  renew(): Promise<void> {
    return this.serialize(async () => {
      if (this.released) return;
      if (this.lostReason) throw this.lostReason;
      const next = { ...this.current, expiresAt: new Date(this.now() + this.ttlMs).toISOString() };
      try {
        this.version = await this.store.put(lockKey(this.cluster), JSON.stringify(next, null, 2), { ifMatch: this.version });
        this.current = next;
      } catch (e) {
        if (!(e instanceof PreconditionFailedError)) throw e;
        this.lostReason = new ConflictError(`lost the lock on cluster ${this.cluster}: it was removed or taken over by another run`, {
          hint: 'Check `k8sup history cluster` and the cluster state, then retry.',
          cause: e,
        });
        this.stopTimer();
        throw this.lostReason;
      }
    });
  }

  /** Stops renewing and deletes the lock if it is still ours. Idempotent; never deletes another run's lock. */
  release(): Promise<void> {
    this.stopTimer();
    return this.serialize(async () => {
      if (this.released) return;
      this.released = true;
      if (this.lostReason) return;
      try {
        await this.store.delete(lockKey(this.cluster), { ifMatch: this.version });
      } catch (e) {
        if (!(e instanceof PreconditionFailedError)) throw e;
      }
    });
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private serialize(fn: () => Promise<void>): Promise<void> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
