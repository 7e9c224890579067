// Names, labels and the description marker. GCE names are RFC 1035 labels (`[a-z]([-a-z0-9]*[a-z0-9])?`, at most 63
// characters; a managed instance group's base instance name at most 58, so every name here fits 58). Every name
// starts with `k8sup-<cluster>-`, which list() filters on server-side for kinds without labels (networks,
// subnetworks, firewalls, health checks, backend services, instance templates, instance group managers); the
// description marker `[k8sup-cluster=<name> k8sup-id=<graph id>]` is then checked exactly, so a cluster whose name
// merely shares the prefix is never touched.

import { createHash } from 'node:crypto';
import type { Cluster } from '../../../src/api/types.js';

export const LABEL_CLUSTER = 'k8sup-cluster';
/** The cluster's identity (`metadata.uid`), as a label and in the description marker. */
export const LABEL_CLUSTER_ID = 'k8sup-cluster-id';
export const LABEL_NODE_GROUP = 'k8sup-node-group';
export const LABEL_ROLE = 'k8sup-role';
const MAX_NAME = 58;
const MAX_CLUSTER_PART = 24;

const hash6 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 6);

/** The label value for a cluster name: dots become dashes (CONTRACT), at most 63 characters. */
export function clusterLabel(cluster: string): string {
  const dashed = cluster.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return dashed.length <= 63 ? dashed : `${dashed.slice(0, 56)}-${hash6(cluster)}`;
}

/** A cluster as names see it: the name alone (legacy: no identity) or the spec's metadata. */
export type NamedCluster = string | Pick<Cluster, 'metadata'>;

/**
 * `k8sup-<cluster, dashed, shortened with a hash if long>-`: the prefix of every resource name of the cluster.
 * Dashing makes `x-y.k8s.local` and `x.y.k8s.local` alike, so a cluster with an identity (metadata.uid) gets a hash
 * of its full name appended whenever dashing changed it (`k8sup-x-y-k8s-local-1a2b3c-`). The legacy prefix stays a
 * prefix of that name, so nameFilter (legacy) finds both; the description marker then tells them apart exactly. A
 * cluster made before identities keeps its names: renaming would replace its network, address and instances.
 */
export function namePrefix(cluster: NamedCluster): string {
  const name = typeof cluster === 'string' ? cluster : cluster.metadata.name;
  const dashed = clusterLabel(name);
  if (dashed.length > MAX_CLUSTER_PART) return `k8sup-${dashed.slice(0, MAX_CLUSTER_PART - 7).replace(/-+$/, '')}-${hash6(name)}-`;
  const withIdentity = typeof cluster !== 'string' && !!cluster.metadata.uid;
  return withIdentity && dashed !== name ? `k8sup-${dashed}-${hash6(name)}-` : `k8sup-${dashed}-`;
}

/** A GCE resource name for the cluster: `k8sup-<cluster>-<suffix>`, shortened with a hash so it fits 58 characters. */
export function resourceName(cluster: NamedCluster, suffix: string): string {
  const prefix = namePrefix(cluster);
  const clean = suffix.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  const room = MAX_NAME - prefix.length;
  const s = clean.length <= room ? clean : `${clean.slice(0, room - 7).replace(/-+$/, '')}-${hash6(suffix)}`;
  return prefix + s;
}

/** The server-side list filter that narrows a kind to names of this cluster (RE2, anchored by the API); legacy and identity names alike. */
export function nameFilter(cluster: string): string {
  return `name eq "${namePrefix(cluster).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*"`;
}

/** The label filter for kinds that carry labels. */
export function labelFilter(cluster: string): string {
  return `labels.${LABEL_CLUSTER} = "${clusterLabel(cluster)}"`;
}

/** The description marker; clusters with an identity add `k8sup-cluster-id=<uid>` (older objects lack it). */
export function description(cluster: string, id: string, clusterId?: string): string {
  return `Managed by k8sup [${LABEL_CLUSTER}=${cluster} k8sup-id=${id}${clusterId ? ` ${LABEL_CLUSTER_ID}=${clusterId}` : ''}]`;
}

/** Cluster name, graph id and (when present) cluster id from a description marker. */
export function parseMarker(desc: string | null | undefined): { cluster: string; id: string; clusterId?: string } | undefined {
  const m = /\[k8sup-cluster=(\S+) k8sup-id=(\S+?)(?: k8sup-cluster-id=(\S+))?\]/.exec(desc ?? '');
  return m ? { cluster: m[1], id: m[2], ...(m[3] ? { clusterId: m[3] } : {}) } : undefined;
}

/** The graph id from a description marker, if the object carries `cluster`'s name (exact match). */
export function ownedId(desc: string | null | undefined, cluster: string): string | undefined {
  const m = parseMarker(desc);
  return m && m.cluster === cluster ? m.id : undefined;
}

/** A label value for the cluster id: labels allow lowercase letters, digits, '-' and '_', 63 characters. */
export function clusterIdLabel(uid: string): string {
  return uid.toLowerCase().replace(/[^a-z0-9_-]/g, '-').slice(0, 63);
}

/** Labels on every labelled resource. */
export function clusterLabels(cluster: string, extra: Record<string, string> = {}): Record<string, string> {
  return { [LABEL_CLUSTER]: clusterLabel(cluster), ...extra };
}

/** Network tags the firewall rules target. */
export const networkTag = (cluster: NamedCluster, role: 'control-plane' | 'node') => resourceName(cluster, role === 'control-plane' ? 'cp' : 'node');

/** A short, stable digest of a value (instance template names change when their content does). */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 8);
}

/** The last path segment of a Compute URL (`…/zones/us-central1-a` → `us-central1-a`); '' when there is none. */
export function lastSegment(url: unknown): string {
  return typeof url === 'string' ? url.slice(url.lastIndexOf('/') + 1) : '';
}
