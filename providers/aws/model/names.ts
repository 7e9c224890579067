// Names, tags and ids shared by the model builders and the handlers. AWS names have small length limits
// (load balancers and target groups 32, IAM roles 64) so long cluster names are shortened with a hash suffix that
// keeps them unique and stable across runs.

import { createHash } from 'node:crypto';
import type { Cluster } from '../../../src/api/types.js';
import { stateLocationOf } from '../../../src/state/url.js';
import { CLUSTER_ID_TAG, CLUSTER_TAG, RESOURCE_ID_TAG } from '../../../src/api/labels.js';

export const TAG_CLUSTER = CLUSTER_TAG;
/** The cluster's identity (`metadata.uid`): tells apart clusters of the same name kept in different state stores. */
export const TAG_CLUSTER_ID = CLUSTER_ID_TAG;
export const TAG_ID = RESOURCE_ID_TAG;
export const kubernetesClusterTag = (cluster: string) => `kubernetes.io/cluster/${cluster}`;

/** Canonical Ubuntu 24.04 LTS, the newest by name wins. */
export const UBUNTU_OWNER = '099720109477';
export const UBUNTU_NAME_PATTERN = 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*';

/**
 * The tags every resource carries: CONTRACT tags, the graph id (so list() maps live → graph) and a Name. The cluster
 * id tag is added to every node's tags in one place (withClusterId, model/index.ts).
 */
export function clusterTags(cluster: string, id: string): Record<string, string> {
  return {
    [TAG_CLUSTER]: cluster,
    [kubernetesClusterTag(cluster)]: 'owned',
    [TAG_ID]: id,
    Name: `${id.replace(/\//g, '-')}.${cluster}`,
  };
}

/** Adds the cluster id tag wherever a node's `tags` / `instanceTags` carry the cluster tag. */
export function withClusterId<N extends { fields: Record<string, unknown> }>(nodes: N[], uid: string | undefined): N[] {
  if (!uid) return nodes;
  const add = (v: unknown) => (v && typeof v === 'object' && TAG_CLUSTER in v ? { ...v, [TAG_CLUSTER_ID]: uid } : v);
  return nodes.map((n) => ({ ...n, fields: { ...n.fields, ...('tags' in n.fields ? { tags: add(n.fields.tags) } : {}), ...('instanceTags' in n.fields ? { instanceTags: add(n.fields.instanceTags) } : {}) } }));
}

function shortHash(text: string, len = 8): string {
  return createHash('sha256').update(text).digest('hex').slice(0, len);
}

/** `text` if it fits in `max` characters and matches `allowed`; otherwise a prefix plus a stable hash. */
export function fitName(text: string, max: number, allowed: RegExp = /^[A-Za-z0-9-]+$/): string {
  const cleaned = allowed.test(text) ? text : text.replace(/[^A-Za-z0-9-]/g, '-');
  if (cleaned.length <= max && cleaned === text) return text;
  const hash = shortHash(text);
  const head = cleaned.slice(0, max - hash.length - 1).replace(/-+$/, '');
  return `${head}-${hash}`;
}

/**
 * Load balancer / target group names: 32 characters of letters, digits and '-'. Dots become dashes, which would
 * make `x-y.k8s.local` and `x.y.k8s.local` collide; so for a cluster with an identity (metadata.uid) a hash of the
 * full name is added whenever the name had to change. A cluster made before identities keeps its old name: renaming
 * would replace its API load balancer, whose DNS name its nodes and kubeconfigs use.
 */
export function elbName(prefix: string, cluster: Pick<Cluster, 'metadata'>): string {
  const name = cluster.metadata.name;
  if (!cluster.metadata.uid) return fitName(`${prefix}-${name.replace(/\./g, '-')}`, 32);
  return fitName(`${prefix}-${name}`, 32);
}

/** IAM role / instance profile names: 64 characters of `[\w+=,.@-]`. */
export function iamName(role: string, cluster: string): string {
  return fitName(`${role}.${cluster}`, 64, /^[\w+=,.@-]+$/);
}

/** IAM path that holds only this cluster's roles and profiles: list() filters by it. */
export function iamPath(cluster: string): string {
  return `/k8sup/${cluster}/`;
}

/** Auto Scaling group / launch template / key pair names (255 / 128 / 255 characters). */
export function groupName(group: string, cluster: string): string {
  return fitName(`${group}.${cluster}`, 128, /^[A-Za-z0-9().\/_-]+$/);
}

/**
 * The EC2 key pair's name changes with the key (a short sha256 of it): a changed ssh.publicKey replaces the pair
 * create-before-delete, and the new pair cannot be imported under the old pair's name (issue 15).
 */
export function keyPairName(cluster: string, publicKeySha256: string): string {
  return groupName('k8sup', `${cluster}.${publicKeySha256.slice(0, 12)}`);
}

/** `s3://bucket/prefix` → bucket and prefix (no slashes at either end); null for other stores. */
export function parseS3Store(url: string): { bucket: string; prefix: string } | null {
  const location = stateLocationOf(url);
  return location?.scheme === 's3' ? { bucket: location.bucket, prefix: location.prefix } : null;
}

/** The state-store key prefix of one cluster (`prefix/cluster` or `cluster`). */
export function clusterKeyPrefix(prefix: string, cluster: string): string {
  return prefix ? `${prefix}/${cluster}` : cluster;
}
