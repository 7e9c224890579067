// The state bucket's region, looked up once when a cluster is created and kept in its spec (spec.stateStore.region):
// nodes reach the bucket in that region with their own identity and sign for it, whatever region the cluster is in.

import type { Cluster } from '../api/types.js';
import type { BlobStore } from '../state/blob.js';

/** The cluster with spec.stateStore.region filled in when the store has a region and the spec does not say it yet. */
export async function withStateStoreRegion(cluster: Cluster, store: BlobStore): Promise<Cluster> {
  if (!store.bucketRegion || cluster.spec.stateStore?.region) return cluster;
  const region = await store.bucketRegion();
  return { ...cluster, spec: { ...cluster.spec, stateStore: { ...cluster.spec.stateStore, region } } };
}
