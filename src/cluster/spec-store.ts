// Reading and writing a cluster's spec revisions under its lease lock. Every mutating command goes through
// `mutateCluster`, so a race between pipelines ends with one winner and the others exiting 3.

import { clusterToYaml, parseClusterText, type Cluster } from '../api/index.js';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import type { BlobStore } from '../state/blob.js';
import { ClusterStore, type Lease } from '../state/cluster-store.js';

export interface Actor {
  owner: string;
  host: string;
  pid: number;
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
  return { cluster: parseClusterText(latest.yaml, `${name} revision ${latest.revision}`, { stored: true }), revision: latest.revision, yaml: latest.yaml };
}

/** Runs `fn` holding the cluster's lease lock; releases it however `fn` ends. */
export async function mutateCluster<T>(
  store: BlobStore,
  name: string,
  actor: Actor,
  command: string,
  fn: (cs: ClusterStore, lease: Lease) => Promise<T>,
): Promise<T> {
  const cs = new ClusterStore(store, name);
  const lease = await cs.acquireLock({ ...actor, command, ttlMs: LOCK_TTL_MS });
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
