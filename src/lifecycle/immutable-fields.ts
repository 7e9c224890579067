// Fields that cannot change once a cluster exists in the cloud (like kops' immutable fields): a new network CIDR,
// cloud, region or project would mean a new VPC, new subnets and new machines — a different cluster. replace, edit
// and update refuse such a change (exit 2) once anything was applied; before the first apply the spec is free.

import { parseClusterText, type Cluster } from '../api/index.js';
import { specChanges } from '../api/spec-diff.js';
import { InvalidInputError } from '../core/errors.js';
import type { ClusterStore } from '../state/cluster-store.js';
import { readClusterInfo } from './cluster-info.js';

export const IMMUTABLE_PATHS = [
  'metadata.name',
  'spec.cloud',
  'spec.region',
  'spec.project',
  'spec.networking.networkCIDR',
  'spec.networking.podCIDR',
  'spec.networking.serviceCIDR',
  // Service names, certificates and every pod's resolv.conf carry the DNS domain.
  'spec.networking.dnsDomain',
  // Another network or topology moves every instance and load balancer: a different cluster.
  'spec.networking.networkId',
  'spec.networking.subnets',
  'spec.topology',
] as const;

/**
 * The spec the cloud was built from: the applied revision recorded in cluster-info.json, or — when an apply started
 * but never finished (journal entries, no record) — the revision given. Null when nothing was ever applied.
 */
export async function appliedSpec(cs: ClusterStore, name: string, current: { cluster: Cluster; revision: number }): Promise<Cluster | null> {
  const info = await readClusterInfo(cs);
  if (info.appliedRevision !== undefined) {
    if (info.appliedRevision === current.revision) return current.cluster;
    const rev = await cs.revision(info.appliedRevision);
    if (rev) return parseClusterText(rev.yaml, `${name} revision ${info.appliedRevision}`, { stored: true });
  }
  if ((await cs.journal.load()).length > 0) return current.cluster;
  return null;
}

const get = (doc: unknown, path: string): unknown => path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), doc);

/** Throws InvalidInputError (exit 2) naming the first immutable field that `next` changes against `applied`. */
export function assertImmutableFieldsKept(applied: Cluster, next: Cluster, source: string): void {
  for (const path of IMMUTABLE_PATHS) {
    const was = get(applied, path);
    const now = get(next, path);
    if (specChanges(was, now).length === 0) continue;
    const show = (v: unknown) => (v === undefined || v === null ? '(none)' : JSON.stringify(v));
    throw new InvalidInputError(`${source}: ${path} cannot change on an applied cluster (it is ${show(was)}, the new spec says ${show(now)})`, {
      hint: `set ${path} back to ${show(was)}; a different ${path.split('.').pop()} needs a new cluster (create one and move the workloads)`,
    });
  }
}

/**
 * Secrets encryption only goes one way on an applied cluster: an API server without the key could not read the
 * Secrets written while it was on (docs/spec.md, "Turning encryption off" has the manual procedure).
 */
function assertEncryptionKept(applied: Cluster, next: Cluster, source: string): void {
  if (applied.spec.kubeAPIServer?.encryptionAtRest === true && next.spec.kubeAPIServer?.encryptionAtRest !== true) {
    throw new InvalidInputError(`${source}: spec.kubeAPIServer.encryptionAtRest cannot be turned off on an applied cluster (its Secrets are encrypted with the key)`, {
      hint: 'set spec.kubeAPIServer.encryptionAtRest back to true; to decrypt, follow docs/spec.md "Turning encryption off"',
    });
  }
}

/** For replace / edit / update: refuses `next` if it changes an immutable field of what was applied. */
export async function checkImmutableFields(cs: ClusterStore, name: string, current: { cluster: Cluster; revision: number }, next: Cluster, source: string): Promise<void> {
  const applied = await appliedSpec(cs, name, current);
  if (applied) {
    assertImmutableFieldsKept(applied, next, source);
    assertEncryptionKept(applied, next, source);
  }
}
