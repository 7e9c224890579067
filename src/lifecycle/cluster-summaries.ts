// What `get clusters` lists: one row per cluster of a state store. One listing of the store says which clusters exist,
// their latest revision and whether cluster-info.json is there; then each cluster costs one or two reads, done in
// parallel, a bounded number at a time (issue 17: 100 clusters on a store 50 ms away).

import { parseClusterText } from '../api/index.js';
import type { BlobStore } from '../state/blob.js';
import { ClusterStore } from '../state/cluster-store.js';
import { mapInFlight } from '../state/in-flight.js';
import { CLUSTER_INFO, readClusterInfo, type ClusterInfo } from './cluster-info.js';

export interface ClusterSummary {
  name: string;
  cloud: string;
  region: string;
  kubernetesVersion: string;
  revision: number;
  appliedRevision: number | null;
}

async function summary(store: BlobStore, name: string, listed: { latestRevision: number; objects: Set<string> }): Promise<ClusterSummary | null> {
  const cs = new ClusterStore(store, name);
  const [listedLatest, info] = await Promise.all([cs.revision(listed.latestRevision), listed.objects.has(CLUSTER_INFO) ? readClusterInfo(cs) : ({} as ClusterInfo)]);
  // Gone since the listing (the cluster was deleted meanwhile): ask again, the way a single cluster is read.
  const latest = listedLatest ?? (await cs.latest());
  if (!latest) return null;
  const c = parseClusterText(latest.yaml, name, { stored: true });
  return { name, cloud: c.spec.cloud, region: c.spec.region, kubernetesVersion: c.spec.kubernetesVersion, revision: latest.revision, appliedRevision: info.appliedRevision ?? null };
}

/** Every cluster of the store, sorted by name; one whose revisions vanished while reading is left out. */
export async function clusterSummaries(store: BlobStore): Promise<ClusterSummary[]> {
  const inventory = await ClusterStore.inventory(store);
  const names = [...inventory.keys()];
  const rows = await mapInFlight(names, (name) => summary(store, name, inventory.get(name)!));
  return rows.filter((r): r is ClusterSummary => r !== null);
}
