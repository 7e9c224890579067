// The cluster lease lock: `<cluster>/lock.json`. Taken with a create-only write; an expired lock — or one whose holder
// is a process of this host that no longer exists — is taken over with a compare-and-swap on its version, so two runs
// can never both believe they hold it. While held, a timer renews it (also CAS), so a long apply keeps its lock and a
// crashed run's lock expires after ttl. A run may wait for a held lock (bounded, jittered polling) instead of failing.

import { randomUUID } from 'node:crypto';
import { ConflictError } from '../core/errors.js';
import type { IoHost } from '../core/io.js';
import { sleep } from '../core/sleep.js';
import { PreconditionFailedError, type BlobStore } from './blob.js';
import { backoffDelay } from '../core/executor.js';

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
  /**
   * Where the holder's pid means something: the kernel boot and pid namespace (Linux). Only a run that sees the same
   * value (and the same host) judges whether the holder still runs; other runs wait for the expiry.
   */
  pidNamespace?: string;
  /** When the holder process started (Linux: /proc/PID/stat field 22), so a reused pid is not taken for the holder. */
  startTime?: string;
}

/** How a lock holder prints: `owner@host`, without repeating the host when the owner already names it. */
export function holderName(holder: Pick<LockRecord, 'owner' | 'host'>): string {
  return holder.owner === holder.host || holder.owner.endsWith(`@${holder.host}`) ? holder.owner : `${holder.owner}@${holder.host}`;
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
  /** See LockRecord: recorded so that a later run on this host can tell whether this process still runs. */
  pidNamespace?: string;
  startTime?: string;
  /**
   * True when `holder` (a lock of this host and pid namespace) belongs to a process that no longer exists. Without
   * it, only expiry frees a lock.
   */
  holderIsGone?: (holder: LockRecord) => boolean;
  /** Wait up to this long (wall time) for a held lock, polling, before giving up with ClusterLockedError. Default 0. */
  waitMs?: number;
  /** Stops a wait for the lock (Ctrl-C); the wait rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Receives `state.lock.wait` and `state.lock.takeover` events. */
  io?: IoHost;
  /** Random numbers in [0, 1) for the poll jitter; default Math.random. */
  random?: () => number;
}

/** The cluster is locked by another live run. Exit 3; `holder` says who. */
export class ClusterLockedError extends ConflictError {
  constructor(
    readonly cluster: string,
    readonly holder: LockRecord,
    waitedMs = 0,
  ) {
    super(
      `cluster ${cluster} is locked by ${holderName(holder)} (pid ${holder.pid}, "${holder.command}") since ${holder.acquiredAt}; lock id ${holder.id}, expires ${holder.expiresAt}${waitedMs > 0 ? ` (waited ${formatWait(waitedMs)})` : ''}`,
      {
        hint: `Wait for that run to finish. If it is no longer running: k8sup unlock cluster ${cluster} --lock-id ${holder.id}`,
      },
    );
  }
}

// Takeover races are settled by CAS; these bounded re-reads only decide which error to report.
const ACQUIRE_ATTEMPTS = 5;
// Waiting for a held lock: the first poll comes soon (short commands hold it for seconds), later ones back off to a
// ceiling so a long wait costs a few reads a minute. Each delay is jittered so waiters spread out instead of
// stampeding the moment the lock is released.
const FIRST_POLL_MS = 500;
const MAX_POLL_MS = 5_000;

function pollDelayMs(poll: number, random: () => number): number {
  return backoffDelay(poll + 1, FIRST_POLL_MS, MAX_POLL_MS, random);
}

function formatWait(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

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

/** Why a lock that is not ours may be taken over now; null while its holder may still be working. */
function takeoverReason(holder: LockRecord | null, nowMs: number, opts: AcquireLockOptions): 'expired' | 'holder-gone' | null {
  if (isExpired(holder, nowMs)) return 'expired';
  const sameProcessSpace = holder!.host === opts.host && (holder!.pidNamespace ?? opts.pidNamespace) === opts.pidNamespace;
  return sameProcessSpace && opts.holderIsGone?.(holder!) ? 'holder-gone' : null;
}

/**
 * Takes the cluster's lock. A live lock of another run is waited for up to `waitMs` (polling with jitter, abortable
 * through `signal`); then ClusterLockedError (exit 3) names the holder.
 */
export async function acquireLease(store: BlobStore, cluster: string, opts: AcquireLockOptions): Promise<Lease> {
  const waitMs = opts.waitMs ?? 0;
  // The wait is measured on the monotonic clock: `now` may be a test clock, and lock expiry is what it is for.
  const started = performance.now();
  for (let poll = 0; ; poll++) {
    opts.signal?.throwIfAborted();
    try {
      return await tryAcquireLease(store, cluster, opts);
    } catch (e) {
      if (!(e instanceof ClusterLockedError)) throw e;
      const waited = performance.now() - started;
      if (waited >= waitMs) throw waitMs > 0 ? new ClusterLockedError(cluster, e.holder, Math.round(waited)) : e;
      if (poll === 0) {
        opts.io?.emit({
          code: 'state.lock.wait',
          level: 'info',
          message: `cluster ${cluster} is locked by ${holderName(e.holder)} (pid ${e.holder.pid}, "${e.holder.command}"); waiting up to ${formatWait(waitMs)} for it`,
          data: { cluster, lockId: e.holder.id, holder: holderName(e.holder), pid: e.holder.pid, waitMs },
        });
      }
      await sleep(Math.max(1, Math.min(waitMs - waited, pollDelayMs(poll, opts.random ?? Math.random))), opts.signal);
    }
  }
}

async function tryAcquireLease(store: BlobStore, cluster: string, opts: AcquireLockOptions): Promise<Lease> {
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
      ...(opts.pidNamespace ? { pidNamespace: opts.pidNamespace } : {}),
      ...(opts.startTime ? { startTime: opts.startTime } : {}),
    };
    const body = JSON.stringify(record, null, 2);
    try {
      const version = await store.put(key, body, { ifNoneMatch: true });
      return new Lease(store, cluster, record, version, opts);
    } catch (e) {
      if (!(e instanceof PreconditionFailedError)) return landedAnyway(store, cluster, record, opts, e);
    }
    const current = await store.get(key);
    if (current) {
      const holder = parseLockRecord(current.data);
      const reason = takeoverReason(holder, now(), opts);
      if (!reason) throw new ClusterLockedError(cluster, holder!);
      try {
        const version = await store.put(key, body, { ifMatch: current.version });
        if (reason === 'holder-gone') {
          opts.io?.emit({
            code: 'state.lock.takeover',
            level: 'warn',
            message: `took over the lock on cluster ${cluster} from ${holderName(holder!)} (pid ${holder!.pid}, "${holder!.command}"): that process no longer runs on this host; whatever it left unfinished is planned again`,
            data: { cluster, lockId: holder!.id, holder: holderName(holder!), pid: holder!.pid, command: holder!.command },
          });
        }
        return new Lease(store, cluster, record, version, opts);
      } catch (e) {
        if (!(e instanceof PreconditionFailedError)) return landedAnyway(store, cluster, record, opts, e);
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

/**
 * A lock write whose call failed (a lost reply whose retries ran out) may have landed: then lock.json holds our
 * record, and the lease is ours — rather than a lock this run leaves behind for others to wait out. Otherwise `err`.
 */
async function landedAnyway(store: BlobStore, cluster: string, record: LockRecord, opts: AcquireLockOptions, err: unknown): Promise<Lease> {
  const current = await store.get(lockKey(cluster)).catch(() => null);
  if (!current || parseLockRecord(current.data)?.id !== record.id) throw err;
  return new Lease(store, cluster, record, current.version, opts);
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
        try {
          this.version = await this.store.put(lockKey(this.cluster), JSON.stringify(next, null, 2), { ifMatch: this.version });
        } catch (e) {
          // An earlier renewal may have landed although its call failed (a lost reply whose retries ran out): the lock
          // then still carries our id, and we renew on its version.
          if (!(e instanceof PreconditionFailedError) || !(await this.adoptOwnVersion())) throw e;
          this.version = await this.store.put(lockKey(this.cluster), JSON.stringify(next, null, 2), { ifMatch: this.version });
        }
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
        try {
          await this.store.delete(lockKey(this.cluster), { ifMatch: this.version });
        } catch (e) {
          // Still ours under another version (a renewal that landed although its call failed): remove it all the same.
          if (!(e instanceof PreconditionFailedError) || !(await this.adoptOwnVersion())) throw e;
          await this.store.delete(lockKey(this.cluster), { ifMatch: this.version });
        }
      } catch (e) {
        if (!(e instanceof PreconditionFailedError)) throw e;
      }
    });
  }

  /**
   * True (and the lock's current version adopted) when lock.json still holds this lease's id. Only this run writes
   * records with its id: a takeover writes a new id and `unlock` deletes, so such a record is one of our own writes.
   */
  private async adoptOwnVersion(): Promise<boolean> {
    const blob = await this.store.get(lockKey(this.cluster));
    const record = blob && parseLockRecord(blob.data);
    if (!blob || record?.id !== this.current.id || blob.version === this.version) return false;
    this.version = blob.version;
    this.current = record;
    return true;
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
