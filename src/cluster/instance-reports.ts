// What `get instances` lists: the bootstrap progress reports of an existing cluster's instances (each node writes
// `<cluster>/nodes/status/<instance>.json` to the state store with its own identity; docs/bootstrap.md).

import { readNodeReports, type NodeBootstrapReport } from '../bootstrap/node-status.js';
import type { BlobStore } from '../state/blob.js';
import { ClusterStore } from '../state/cluster-store.js';
import { readSpec } from './spec-store.js';

/** The cluster must exist (NotFoundError otherwise, as for every command that names one); an empty list means no report yet. */
export async function instanceReports(store: BlobStore, name: string): Promise<NodeBootstrapReport[]> {
  await readSpec(new ClusterStore(store, name), name);
  return readNodeReports(store, name);
}
