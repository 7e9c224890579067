// Reading and writing a cluster's spec revisions under its lease lock. Every mutating command goes through
// `mutateCluster`, so a race between pipelines ends with one winner and the others exiting 3.

import { clusterToYaml, parseClusterText, type Cluster } from '../api/index.js';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
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

export async function readSpec(cs: ClusterStore, name: string): Promise<CurrentSpec> {
  const latest = await cs.latest();
  if (!latest) {
    throw new NotFoundError(`cluster "${name}" not found in the state store`, {
      hint: 'list clusters with `k8sup get clusters`, or check --state / K8SUP_STATE_STORE',
    });
  }
  return { cluster: parseClusterText(latest.yaml, `${name} revision ${latest.revision}`), revision: latest.revision, yaml: latest.yaml };
}

/**
 * Runs `fn` holding the cluster's lease lock; releases it however `fn` ends — including an interrupt (signal, closed
 * pipe), which aborts the engine's work so that `fn` returns once the calls in flight are recorded.
 */
export async function mutateCluster<T>(
  store: BlobStore,
  name: string,
  actor: Actor,
  command: string,
  fn: (cs: ClusterStore, lease: Lease) => Promise<T>,
): Promise<T> {
  const cs = new ClusterStore(store, name);
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

/** Writes `cluster` as the next revision after `expected`. Returns the new revision number, or `expected` if unchanged. */
export async function writeSpec(cs: ClusterStore, cluster: Cluster, expected: number, actor: Actor, message: string): Promise<{ revision: number; changed: boolean }> {
  const yaml = clusterToYaml(cluster);
  if (expected > 0) {
    const latest = await cs.latest();
    if (latest && latest.revision === expected && latest.yaml === yaml) return { revision: expected, changed: false };
  }
  const revision = await cs.writeRevision(yaml, { expectedRevision: expected, author: actor.owner, message });
  return { revision, changed: true };
}

export function assertSameName(cluster: Cluster, name: string, source: string): void {
  if (cluster.metadata.name !== name) {
    throw new InvalidInputError(`${source}: metadata.name is "${cluster.metadata.name}" but the command is for "${name}"`, {
      hint: 'renaming a cluster is not supported; create a new one instead',
    });
  }
}
