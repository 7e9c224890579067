// Reading and writing a cluster's spec revisions under its lease lock. Every mutating command goes through
// `mutateCluster`, so a race between pipelines ends with one winner and the others exiting 3.

import { clusterToYaml, parseClusterText, type Cluster } from '../api/index.js';
import { specChanges, type SpecChange } from '../api/spec-diff.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../core/errors.js';
import type { IoHost } from '../core/io.js';
import type { BlobStore } from '../state/blob.js';
import { ClusterStore, type Lease, type LockRecord } from '../state/cluster-store.js';

export interface Actor {
  owner: string;
  host: string;
  pid: number;
  /** How this run takes the cluster's lock; the CLI fills it in (library callers may leave it out). */
  lock?: LockPolicy;
}

export interface LockPolicy {
  /** Lifetime of the lock without renewal; default LOCK_TTL_MS. */
  ttlMs?: number;
  /** How long to wait for another run's lock (--lock-timeout); default 0: exit 3 at once. */
  waitMs?: number;
  /** The run's interrupt signal: stops a wait for the lock, and no lock is taken once it has fired. */
  signal?: AbortSignal;
  /** Where lock waits and takeovers are reported. */
  io?: IoHost;
  /** Recorded in the lock beside the pid, so that later runs on this host can tell whether this process still runs. */
  identity?: { pidNamespace?: string; startTime?: string };
  /** Whether the holder of a lock taken on this host (same pid namespace) no longer exists. */
  holderIsGone?: (holder: LockRecord) => boolean;
}

/** How long a lock lives without renewal; the holder renews it while it works, so only a dead run's lock expires. */
export const LOCK_TTL_MS = 10 * 60_000;

export interface CurrentSpec {
  cluster: Cluster;
  revision: number;
  yaml: string;
}

/** The command names a cluster the state store does not hold (exit 2). */
export function clusterNotFound(name: string): NotFoundError {
  return new NotFoundError(`cluster "${name}" not found in the state store`, { hint: 'list clusters with `k8sup get clusters`, or check --state / K8SUP_STATE_STORE' });
}

export async function readSpec(cs: ClusterStore, name: string): Promise<CurrentSpec> {
  const latest = await cs.latest();
  if (!latest) throw clusterNotFound(name);
  return { cluster: parseClusterText(latest.yaml, `${name} revision ${latest.revision}`, { stored: true }), revision: latest.revision, yaml: latest.yaml };
}

/**
 * Runs `fn` holding the cluster's lease lock; releases it however `fn` ends — including an interrupt (signal, closed
 * pipe), which aborts the engine's work so that `fn` returns once the calls in flight are recorded. `existing`: the
 * command is for a cluster the store holds, so one that is not there is refused (exit 2) before the lock is taken —
 * bad input writes nothing, not even a lock (one listing; `fn` reads the spec again under the lock).
 */
export async function mutateCluster<T>(
  store: BlobStore,
  name: string,
  actor: Actor,
  command: string,
  fn: (cs: ClusterStore, lease: Lease) => Promise<T>,
  opts: { existing?: boolean } = {},
): Promise<T> {
  const cs = new ClusterStore(store, name);
  if (opts.existing && (await cs.revisionNumbers()).length === 0) throw clusterNotFound(name);
  const policy = actor.lock ?? {};
  const lease = await cs.acquireLock({
    owner: actor.owner,
    host: actor.host,
    pid: actor.pid,
    command,
    ttlMs: policy.ttlMs ?? LOCK_TTL_MS,
    waitMs: policy.waitMs,
    signal: policy.signal,
    io: policy.io,
    holderIsGone: policy.holderIsGone,
    ...policy.identity,
  });
  try {
    return await fn(cs, lease);
  } finally {
    await lease.release().catch(() => {
      /* an expired or stolen lease is reported by the next run that meets it */
    });
  }
}

/** The document as `get cluster` prints it: the stored spec plus the revision it was read at. */
export function withRevision(cluster: Cluster, revision: number): Cluster {
  return { ...cluster, metadata: { ...storedMetadata(cluster), revision } };
}

/** What a revision keeps of metadata: name and uid (a revision's own number is its key, never its content). */
function storedMetadata(cluster: Cluster): Cluster['metadata'] {
  const { name, uid } = cluster.metadata;
  return uid === undefined ? { name } : { name, uid };
}

/**
 * `replace -f` of a document read at an older revision would silently undo the changes made since (the lost
 * read-modify-write): refused with exit 3 unless forced. A document without metadata.revision is not checked.
 */
export function assertNotStale(cluster: Cluster, current: CurrentSpec, source: string, force: boolean): void {
  const based = cluster.metadata.revision;
  if (based === undefined || based === current.revision || force) return;
  throw new ConflictError(`cluster ${cluster.metadata.name} changed under us: ${source} is based on revision ${based}, but the cluster is at revision ${current.revision}`, {
    hint: `Re-read it (k8sup get cluster ${cluster.metadata.name} -o yaml), re-apply your change and retry; --force replaces it anyway.`,
  });
}

/**
 * The uid is the cluster's identity: it never changes. A document without one keeps the stored one; a different one
 * (or one for a cluster created before uids existed) is refused with exit 2.
 */
function keepIdentity(cluster: Cluster, stored: Cluster | null): Cluster {
  const storedUid = stored?.metadata.uid;
  const given = cluster.metadata.uid;
  if (stored && given !== undefined && given !== storedUid) {
    throw new InvalidInputError(
      storedUid
        ? `metadata.uid "${given}" is not the uid of ${cluster.metadata.name} ("${storedUid}"): a cluster's identity cannot change`
        : `metadata.uid "${given}" cannot be given to ${cluster.metadata.name}: it was created without one, and its identity cannot change`,
      { hint: storedUid ? `set metadata.uid back to ${storedUid}, or drop the field` : 'drop metadata.uid from the document' },
    );
  }
  const uid = stored ? storedUid : given;
  return { ...cluster, metadata: uid === undefined ? { name: cluster.metadata.name } : { name: cluster.metadata.name, uid } };
}

/** Whether writing `cluster` after `current` would write nothing (writeSpec's test); a changed uid is refused (exit 2). */
export function isCurrentSpec(cluster: Cluster, current: CurrentSpec): boolean {
  return clusterToYaml(keepIdentity(cluster, current.cluster)) === current.yaml;
}

/**
 * Writes `cluster` as the next revision after `expected`. Returns the new revision number (or `expected` if unchanged)
 * and what it changes, between the revisions as stored: the document's metadata.revision, and a uid it left out, are
 * not changes.
 */
export async function writeSpec(cs: ClusterStore, cluster: Cluster, expected: number, actor: Actor, message: string, opts: { listedUnderLock?: boolean } = {}): Promise<{ revision: number; changed: boolean; changes: SpecChange[] }> {
  const latest = expected > 0 ? await cs.latest() : null;
  const stored = latest ? parseClusterText(latest.yaml, `${cs.cluster} revision ${latest.revision}`, { stored: true }) : null;
  const written = keepIdentity(cluster, stored);
  const yaml = clusterToYaml(written);
  if (latest && latest.revision === expected && latest.yaml === yaml) return { revision: expected, changed: false, changes: [] };
  const revision = await cs.writeRevision(yaml, { expectedRevision: expected, author: actor.owner, message, latestListed: opts.listedUnderLock });
  return { revision, changed: true, changes: specChanges(stored, written) };
}

export function assertSameName(cluster: Cluster, name: string, source: string): void {
  if (cluster.metadata.name !== name) {
    throw new InvalidInputError(`${source}: metadata.name is "${cluster.metadata.name}" but the command is for "${name}"`, {
      hint: 'renaming a cluster is not supported; create a new one instead',
    });
  }
}
