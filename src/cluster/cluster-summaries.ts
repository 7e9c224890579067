// What `get clusters` lists: one row per cluster of a state store. Each cluster costs two or three round trips (list
// its revisions, read the latest, read cluster-info.json), so they are read in parallel, a bounded number at a time:
// 100 clusters on S3 50 ms away take about a second, not ten (issue 17).

import { parseClusterText } from '../api/index.js';
import type { BlobStore } from '../state/blob.js';
import { ClusterStore } from '../state/cluster-store.js';
import { readClusterInfo } from './cluster-info.js';

/** Clusters read at once: well under the SDKs' socket pools, enough to hide the latency. */
const READS_IN_FLIGHT = 16;

export interface ClusterSummary {
  name: string;
  cloud: string;
  region: string;
  kubernetesVersion: string;
  revision: number;
  appliedRevision: number | null;
}

async function summary(store: BlobStore, name: string): Promise<ClusterSummary | null> {
  const cs = new ClusterStore(store, name);
  const [latest, info] = await Promise.all([cs.latest(), readClusterInfo(cs)]);
  if (!latest) return null;
  const c = parseClusterText(latest.yaml, name);
  return { name, cloud: c.spec.cloud, region: c.spec.region, kubernetesVersion: c.spec.kubernetesVersion, revision: latest.revision, appliedRevision: info.appliedRevision ?? null };
}

/** Every cluster of the store, sorted by name; one whose revisions vanished while reading is left out. */
export async function clusterSummaries(store: BlobStore): Promise<ClusterSummary[]> {
  const names = await ClusterStore.listClusters(store);
  const rows: (ClusterSummary | null)[] = new Array(names.length).fill(null);
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const i = next++;
      rows[i] = await summary(store, names[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, names.length) }, worker));
  return rows.filter((r): r is ClusterSummary => r !== null);
}
