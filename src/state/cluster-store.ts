// One cluster's state inside a BlobStore, all keys under `<cluster>/`:
//   revisions/000001.yaml …  every spec change, one immutable object each (see revision-format.ts)
//   lock.json                the lease lock (see lease.ts)
//   applied.json             the engine journal (see journal.ts)
//   pki/…, kubeconfig, cluster-info.json …   other objects via getObject / putObject
// The latest revision is found by listing revisions/ (strongly consistent on every backend), never through a separate
// pointer object that could disagree with the revisions themselves.

import { ConflictError, InvalidInputError, NotFoundError } from '../core/errors.js';
import type { Journal } from '../core/journal.js';
import { PreconditionFailedError, type Blob, type BlobStore } from './blob.js';
import { casUpdate } from './cas.js';
import { StoreJournal } from './journal.js';
import { mapInFlight } from './in-flight.js';
import { assertValidKey } from './keys.js';
import { acquireLease, holderName, isExpired, lockKey, parseLockRecord, type AcquireLockOptions, type Lease, type LockRecord } from './lease.js';
import {
  decodeRevision,
  encodeRevision,
  revisionKey,
  revisionNumberOf,
  type Revision,
  type RevisionMeta,
} from './revision-format.js';

export type { Revision, RevisionMeta } from './revision-format.js';
export type { AcquireLockOptions, LockRecord } from './lease.js';
export { ClusterLockedError, holderName, Lease } from './lease.js';

export interface WriteRevisionOptions {
  /** The revision this change was based on; 0 for a new cluster. */
  expectedRevision: number;
  author: string;
  message?: string;
  /** If given, the write is refused unless this lease is still held. */
  lease?: Lease;
  /**
   * The caller listed the revisions under the cluster's lock and expectedRevision was the latest: no second listing
   * (one state round trip less). The create-only write still refuses a revision that exists.
   */
  latestListed?: boolean;
}

export interface PutObjectOptions {
  secret?: boolean;
  ifMatch?: string;
  ifNoneMatch?: boolean;
}

export interface ClusterStoreOptions {
  /** Clock (ms since epoch) for revision times and lock expiry; default Date.now. */
  now?: () => number;
}

const CLUSTER_SEGMENT = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
const RESERVED = /^(lock\.json|applied\.json|revisions(\/.*)?)$/;

/**
 * The leases this process took, per store and cluster. Every ClusterStore over the same store fences its writes with
 * them, so a handle made before the lock was taken (create connects its provider first) still stops writing once the
 * lock is lost.
 */
const HELD = new WeakMap<BlobStore, Map<string, Lease>>();

export class ClusterStore {
  private readonly now: () => number;
  private journalInstance?: StoreJournal;
  /** The lease this instance took, so its writes stop once the lease is lost or expired. */
  private ownLease?: Lease;

  constructor(
    readonly store: BlobStore,
    readonly cluster: string,
    opts: ClusterStoreOptions = {},
  ) {
    if (!CLUSTER_SEGMENT.test(cluster) || cluster.length > 253) {
      throw new InvalidInputError(`invalid cluster name ${JSON.stringify(cluster)}`, {
        issues: [{ path: 'metadata.name', message: 'must be a DNS-1123 subdomain' }],
        hint: 'Use lowercase letters, digits, "-" and ".", e.g. demo.k8s.local.',
      });
    }
    this.now = opts.now ?? Date.now;
  }

  /** Clusters that have at least one revision, sorted. */
  static async listClusters(store: BlobStore): Promise<string[]> {
    return [...(await ClusterStore.inventory(store)).keys()];
  }

  /**
   * One listing of the whole store: each cluster that has a revision (sorted), with its latest revision number and
   * the names of its other objects, so a caller reading many clusters need not list each one again.
   */
  static async inventory(store: BlobStore): Promise<Map<string, { latestRevision: number; objects: Set<string> }>> {
    const found = new Map<string, { latestRevision: number; objects: Set<string> }>();
    const objects = new Map<string, Set<string>>();
    for (const key of await store.list('')) {
      const slash = key.indexOf('/');
      if (slash < 0) continue;
      const cluster = key.slice(0, slash);
      const n = /^[^/]+\/revisions\/\d{6,}\.yaml$/.test(key) ? revisionNumberOf(key) : undefined;
      if (n !== undefined) found.set(cluster, { latestRevision: Math.max(n, found.get(cluster)?.latestRevision ?? 0), objects: new Set() });
      else (objects.get(cluster) ?? objects.set(cluster, new Set()).get(cluster)!).add(key.slice(slash + 1));
    }
    const sorted = new Map([...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    for (const [cluster, entry] of sorted) entry.objects = objects.get(cluster) ?? new Set();
    return sorted;
  }

  // ---- revisions ----

  /** Revision numbers present, ascending. */
  async revisionNumbers(): Promise<number[]> {
    const keys = await this.store.list(`${this.cluster}/revisions/`);
    return keys
      .map(revisionNumberOf)
      .filter((n): n is number => n !== undefined)
      .sort((a, b) => a - b);
  }

  async latest(): Promise<Revision | null> {
    const numbers = await this.revisionNumbers();
    // Revisions are immutable and only deleteAll removes them, so the newest listed one is readable.
    for (let i = numbers.length - 1; i >= 0; i--) {
      const rev = await this.revision(numbers[i]);
      if (rev) return rev;
    }
    return null;
  }

  async revision(n: number): Promise<Revision | null> {
    if (!Number.isSafeInteger(n) || n < 1) return null;
    const key = revisionKey(this.cluster, n);
    const blob = await this.store.get(key);
    return blob ? decodeRevision(key, blob.data.toString('utf8')) : null;
  }

  /** Metadata of every revision, oldest first. */
  async revisions(): Promise<RevisionMeta[]> {
    const numbers = await this.revisionNumbers();
    const revisions = await mapInFlight(numbers, (n) => this.revision(n));
    return revisions.filter((rev): rev is Revision => rev !== null).map((rev) => rev.meta);
  }

  /**
   * Stores `yaml` as revision expectedRevision+1. Create-only, so of two writers racing for the same number exactly one
   * wins; the other gets ConflictError (exit 3), as does a writer whose expectedRevision is no longer the latest.
   */
  async writeRevision(yaml: string, opts: WriteRevisionOptions): Promise<number> {
    opts.lease?.assertHeld();
    this.assertOwnLease();
    const numbers = opts.latestListed ? [opts.expectedRevision] : await this.revisionNumbers();
    const latest = numbers.length ? numbers[numbers.length - 1] : 0;
    if (latest !== opts.expectedRevision) {
      throw new ConflictError(
        opts.expectedRevision === 0
          ? `cluster ${this.cluster} already exists (revision ${latest})`
          : `cluster ${this.cluster} changed under us: it is at revision ${latest}, this change was based on revision ${opts.expectedRevision}`,
        {
          hint:
            opts.expectedRevision === 0
              ? `Use k8sup replace -f or k8sup edit cluster ${this.cluster} to change it.`
              : `Re-read it (k8sup get cluster ${this.cluster} -o yaml), re-apply your change and retry.`,
        },
      );
    }
    const n = latest + 1;
    const meta: RevisionMeta = {
      revision: n,
      createdAt: new Date(this.now()).toISOString(),
      author: opts.author,
      ...(opts.message ? { message: opts.message } : {}),
    };
    try {
      await this.store.put(revisionKey(this.cluster, n), encodeRevision(meta, yaml), { ifNoneMatch: true });
    } catch (e) {
      if (!(e instanceof PreconditionFailedError)) throw e;
      throw new ConflictError(`cluster ${this.cluster} changed under us: another run wrote revision ${n} first`, {
        hint: `Re-read it (k8sup get cluster ${this.cluster} -o yaml), re-apply your change and retry.`,
        cause: e,
      });
    }
    return n;
  }

  // ---- lease lock ----

  async acquireLock(opts: AcquireLockOptions): Promise<Lease> {
    const lease = await acquireLease(this.store, this.cluster, { now: this.now, ...opts });
    this.ownLease = lease;
    const held = HELD.get(this.store) ?? new Map<string, Lease>();
    HELD.set(this.store, held.set(this.cluster, lease));
    return lease;
  }

  /** True while this instance holds the cluster's lock: the only state in which a command may write. */
  get holdsLease(): boolean {
    return Boolean(this.ownLease?.held);
  }

  /**
   * Writes through an instance that took the lock must not happen once the lock was lost (taken over after expiry,
   * or removed by `unlock`): another run may be changing the cluster. After a normal release there is no check.
   */
  private assertOwnLease(): void {
    const lease = this.ownLease ?? HELD.get(this.store)?.get(this.cluster);
    if (lease && !lease.isReleased) lease.assertHeld();
  }

  /** The current lock, with whether it has expired; null when unlocked. */
  async lockInfo(): Promise<(LockRecord & { expired: boolean }) | null> {
    const blob = await this.store.get(lockKey(this.cluster));
    if (!blob) return null;
    const record = parseLockRecord(blob.data) ?? unreadableLock();
    return { ...record, expired: isExpired(record, this.now()) };
  }

  /** `k8sup unlock`: removes the lock if its id is `lockId`. Returns the record that was removed. */
  async forceUnlock(lockId: string): Promise<LockRecord> {
    const blob = await this.store.get(lockKey(this.cluster));
    if (!blob) {
      throw new NotFoundError(`cluster ${this.cluster} is not locked; there is nothing to unlock`, {
        hint: `k8sup get cluster ${this.cluster} shows the cluster; no unlock is needed.`,
      });
    }
    const record = parseLockRecord(blob.data) ?? unreadableLock();
    if (record.id !== lockId) {
      throw new InvalidInputError(`lock id ${lockId} does not match the lock on cluster ${this.cluster} (held by ${holderName(record)}, id ${record.id})`, {
        issues: [{ path: '--lock-id', message: `does not match the current lock ${record.id}` }],
        hint: 'Copy the lock id from the error message of the run that was refused.',
      });
    }
    try {
      await this.store.delete(lockKey(this.cluster), { ifMatch: blob.version });
    } catch (e) {
      if (!(e instanceof PreconditionFailedError)) throw e;
      throw new ConflictError(`the lock on cluster ${this.cluster} changed while unlocking (its holder renewed or released it)`, {
        hint: 'Run the command again to see the current holder.',
        cause: e,
      });
    }
    return record;
  }

  // ---- other objects ----

  async getObject(name: string): Promise<Blob | null> {
    return this.store.get(this.objectKey(name));
  }

  async putObject(name: string, data: Buffer | string, opts: PutObjectOptions = {}): Promise<string> {
    const key = this.objectKey(name);
    this.assertOwnLease();
    return this.store.put(key, data, opts);
  }

  /**
   * Compare-and-swap update of one object (casUpdate): `change` gets the current bytes (null when absent) and returns
   * the new text, or undefined to keep it. Each write is refused once this run's lease is lost.
   */
  async updateObject(name: string, change: (current: Buffer | null) => string | undefined): Promise<void> {
    const key = this.objectKey(name);
    await casUpdate(this.store, key, (current) => {
      const next = change(current);
      if (next !== undefined) this.assertOwnLease();
      return next;
    });
  }

  async deleteObject(name: string, opts: { ifMatch?: string } = {}): Promise<void> {
    await this.store.delete(this.objectKey(name), opts);
  }

  /** The engine's journal of applied resources (`applied.json`). */
  get journal(): Journal {
    this.journalInstance ??= new StoreJournal(this.store, `${this.cluster}/applied.json`);
    return this.journalInstance;
  }

  async clearJournal(): Promise<void> {
    await (this.journal as StoreJournal).clear();
  }

  /**
   * The cluster's keys: everything under `<cluster>/` except the folders of clusters of another store nested there
   * (`s3://b/X` is a store of its own below cluster X of `s3://b`; its clusters have `X/<name>/revisions/NNNNNN.yaml`,
   * a shape no object of X itself has).
   */
  async ownKeys(): Promise<string[]> {
    const keys = await this.store.list(`${this.cluster}/`);
    const nested = new Set<string>();
    for (const key of keys) {
      const m = /^(.+\/)revisions\/\d{6,}\.yaml$/.exec(key.slice(this.cluster.length + 1));
      if (m) nested.add(`${this.cluster}/${m[1]}`);
    }
    return keys.filter((k) => ![...nested].some((folder) => k.startsWith(folder)));
  }

  /**
   * Removes every key of the cluster (ownKeys), a bounded number at once: first all but the revisions, then the
   * revisions (so a run stopped half-way leaves a cluster that is still listed and whose delete can be run again),
   * the lock last so the cluster stays locked while it is being removed. Pass the caller's lease to release it at the
   * end (otherwise any lock is deleted unconditionally), and `keys` when the caller already listed them (ownKeys)
   * under that lease.
   */
  async deleteAll(opts: { lease?: Lease; keys?: string[] } = {}): Promise<void> {
    opts.lease?.assertHeld();
    const lock = lockKey(this.cluster);
    const keys = (opts.keys ?? (await this.ownKeys())).filter((k) => k !== lock);
    const revisions = `${this.cluster}/revisions/`;
    await mapInFlight(keys.filter((k) => !k.startsWith(revisions)), (k) => this.store.delete(k));
    await mapInFlight(keys.filter((k) => k.startsWith(revisions)), (k) => this.store.delete(k));
    if (opts.lease) await opts.lease.release();
    else await this.store.delete(lock);
  }

  private objectKey(name: string): string {
    if (RESERVED.test(name)) {
      throw new InvalidInputError(`state object name ${name} is reserved`, {
        hint: 'Revisions, the lock and the journal have their own methods on ClusterStore.',
      });
    }
    const key = `${this.cluster}/${name}`;
    assertValidKey(key);
    return key;
  }
}

function unreadableLock(): LockRecord {
  // A lock we cannot parse is reported (and removable) under a fixed id rather than blocking forever.
  return { id: 'unreadable', owner: 'unknown', host: 'unknown', pid: 0, command: 'unknown', acquiredAt: '', expiresAt: '' };
}
