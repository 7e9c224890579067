// What `get instances` lists: every machine of an existing cluster. The instance groups of the cloud (the
// provider's rolling-update listing: group, zone, cloud state, the configuration it was launched with and whether
// that is the group's current one) joined with the bootstrap progress reports the instances wrote to the state
// store (`<cluster>/nodes/status/<instance>.json` with their own identity; docs/bootstrap.md). Read-only: list calls
// only, no lock. A cloud that cannot be reached is a warning: the reports are still listed.

import { readNodeReports, type NodeBootstrapReport } from '../bootstrap/node-status.js';
import type { BlobStore } from '../state/blob.js';
import { ClusterStore } from '../state/cluster-store.js';
import { readClusterInfo } from './cluster-info.js';
import { closeClients, connectProvider, loadProviderFor, type FlowHost } from './deploy.js';
import { readSpec } from './spec-store.js';

/** A report, the cloud's view of the same instance, or both. */
export interface InstanceRow extends Partial<NodeBootstrapReport> {
  instance: string;
  group: string;
  role: string;
  zone?: string;
  /** The cloud's lifecycle state (InService, RUNNING…); absent when the cloud was not asked or does not list it. */
  cloudState?: string;
  /** The launch/instance template (version) it runs. */
  version?: string;
  /** It runs its group's current configuration (the current bootstrap); false: rolling-update replaces it. */
  current?: boolean;
}

/** The cluster must exist (NotFoundError otherwise, as for every command that names one); an empty list means no report yet. */
export async function instanceReports(store: BlobStore, name: string): Promise<NodeBootstrapReport[]> {
  await readSpec(new ClusterStore(store, name), name);
  return readNodeReports(store, name);
}

/**
 * Every machine: the cloud's instances (where the provider lists instance groups and something was applied), then
 * reports of instances the cloud no longer lists (replaced or terminated ones, kept for their errors). `warnings`
 * says why the cloud was not listed.
 */
export async function clusterInstances(input: FlowHost & { store: BlobStore; name: string }): Promise<{ instances: InstanceRow[]; warnings: string[] }> {
  const { store, name } = input;
  const cs = new ClusterStore(store, name);
  const { cluster } = await readSpec(cs, name);
  const reports = await readNodeReports(store, name);
  const warnings: string[] = [];
  const provider = await loadProviderFor(cluster);
  const listing = provider.rollingUpdate;
  const rows: InstanceRow[] = [];
  if (listing && (await readClusterInfo(cs)).appliedRevision !== undefined) {
    try {
      const clients = await connectProvider({ store, cluster, io: input.io, env: input.env, home: input.home, signal: input.signal, sshAcceptNew: input.sshAcceptNew }, provider);
      try {
        for (const g of await listing.listGroups(cluster, clients)) {
          for (const i of g.instances) {
            const report = reports.find((r) => r.instance === i.id);
            rows.push({ ...report, instance: i.id, group: g.group, role: report?.role ?? g.role, zone: i.zone ?? g.zone, cloudState: i.status, version: i.version, current: !i.needsUpdate });
          }
        }
      } finally {
        closeClients(clients);
      }
    } catch (e) {
      if (input.signal?.aborted) throw input.signal.reason ?? e;
      warnings.push(`cannot list the instances of ${name} in the cloud (${e instanceof Error ? e.message : String(e)}): only the bootstrap reports are shown`);
    }
  }
  const listed = new Set(rows.map((r) => r.instance));
  return { instances: [...rows, ...reports.filter((r) => !listed.has(r.instance))], warnings };
}
