// edit, replace and rollback: one new spec revision of an existing cluster, written under the cluster's lock. The
// session below is what those commands get from the lock: the revision they start from, the checks a new revision
// must pass, and the write; the CLI keeps what is its own (the editor loop, the file, the wording). Applying the new
// revision is `update cluster --yes`.

import { parseClusterText, type Cluster } from '../api/index.js';
import { ClusterStore, type Lease } from '../state/cluster-store.js';
import type { BlobStore } from '../state/blob.js';
import { checkImmutableFields } from './immutable-fields.js';
import type { SpecChange } from '../api/spec-diff.js';
import { mutateCluster, readSpec, writeSpec, type Actor, type CurrentSpec } from './spec-store.js';

export interface RevisionReader {
  /** The latest revision, read once when the session starts. */
  current: CurrentSpec;
  /** The spec of an earlier revision, or null when the cluster has no revision `n`. */
  revision(n: number): Promise<Cluster | null>;
  /** Refuses (exit 2) a `next` that changes what cannot change since the current revision; `source` names it in the message. */
  checkImmutable(next: Cluster, source: string): Promise<void>;
}

export interface RevisionSession extends RevisionReader {
  /** Proves the lock is still this run's (a compare-and-swap on it), for a session that waited long (an open editor). */
  renewLock(): Promise<void>;
  /** Writes `cluster` as the revision after `current`; a spec equal to the current one writes nothing (changed: false). */
  write(cluster: Cluster, message: string): Promise<{ revision: number; changed: boolean; changes: SpecChange[] }>;
}

async function reader(cs: ClusterStore, name: string): Promise<RevisionReader> {
  const current = await readSpec(cs, name);
  return {
    current,
    async revision(n) {
      const old = n <= current.revision ? await cs.revision(n) : null;
      return old ? parseClusterText(old.yaml, `${name} revision ${n}`, { stored: true }) : null;
    },
    checkImmutable: (next, source) => checkImmutableFields(cs, name, current, next, source),
  };
}

/** Runs `fn` with the latest revision, without the lock: for previews, which write nothing. */
export async function readRevisions<T>(store: BlobStore, name: string, fn: (r: RevisionReader) => Promise<T>): Promise<T> {
  return fn(await reader(new ClusterStore(store, name), name));
}

/** Runs `fn` holding the cluster's lock (taken as `command`), with a session that can write the next revision. */
export async function reviseCluster<T>(store: BlobStore, name: string, actor: Actor, command: string, fn: (s: RevisionSession) => Promise<T>): Promise<T> {
  return mutateCluster(store, name, actor, command, async (cs: ClusterStore, lease: Lease) => {
    const r = await reader(cs, name);
    return fn({
      ...r,
      renewLock: () => lease.renew(),
      write: (cluster, message) => writeSpec(cs, cluster, r.current.revision, actor, message),
    });
  });
}
