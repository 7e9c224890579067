// Cluster identity on live objects. Every object k8sup creates carries the cluster's name and, since identities
// exist, its id (`metadata.uid`). Two state stores can hold clusters of the same name in one account; the id is
// what tells their objects apart, so no command adopts, changes or deletes an object whose id is another cluster's.
// A cluster without an id (created before ids existed), or an object without one, is matched by name as before.

import { InvalidInputError } from './errors.js';

export interface ClusterIdentity {
  cluster: string;
  /** The cluster's `metadata.uid`; undefined: a legacy cluster, matched by name only. */
  clusterId?: string;
  /**
   * What to do with an object of the same cluster name but another id: `refuse` (default) stops the command with
   * exit 2; `skip` leaves it alone (`delete --cluster-id`, which deletes exactly one identity's objects).
   */
  otherClusters?: 'refuse' | 'skip';
}

/**
 * Whether a live object that carries this cluster's name is this cluster's. `what` names the object for the
 * message (kind and cloud id); `liveClusterId` is the id it carries, if any.
 */
export function isOwnObject(ctx: ClusterIdentity, liveClusterId: string | undefined, what: string): boolean {
  if (!ctx.clusterId || !liveClusterId || liveClusterId === ctx.clusterId) return true;
  if (ctx.otherClusters === 'skip') return false;
  throw new InvalidInputError(
    `${what} belongs to another cluster named ${ctx.cluster} (cluster id ${liveClusterId}), not to this one (cluster id ${ctx.clusterId}); nothing was changed`,
    {
      hint: `another state store holds a cluster of this name in this account: use that store (--state), or give this cluster another name; to delete only this cluster's own resources, add --cluster-id ${ctx.clusterId}`,
    },
  );
}
