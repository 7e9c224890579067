// cluster-info.json: what apply recorded for other commands (export kubeconfig, validate, get clusters). Kept apart
// from deploy.ts so that reading it loads no engine code.

import type { ClusterStore } from '../state/cluster-store.js';

export interface ClusterInfo {
  apiEndpoint?: string;
  /** The spec revision the cloud was last brought to. */
  appliedRevision?: number;
  appliedAt?: string;
}

export const CLUSTER_INFO = 'cluster-info.json';

export async function readClusterInfo(cs: ClusterStore): Promise<ClusterInfo> {
  const blob = await cs.getObject(CLUSTER_INFO);
  return blob ? (JSON.parse(blob.data.toString('utf8')) as ClusterInfo) : {};
}
