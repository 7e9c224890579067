// The etcd snapshot upgrade and rolling-update take before they touch a control plane, on every provider. Its own file
// because it reaches both etcd-backup.ts (bare metal: the provider takes it over SSH) and the clouds' control folder
// (etcd-control.ts, which itself builds on etcd-backup.ts).

import type { Cluster } from '../api/types.js';
import { OperationError } from '../core/errors.js';
import type { IoHost } from '../core/io.js';
import type { Provider } from '../core/provider.js';
import type { BlobStore } from '../state/blob.js';
import { storeSnapshot, type BackupManifest } from './etcd-backup.js';
import { backupThroughControlPlanes, DEFAULT_BACKUP_WAIT_MS } from './etcd-control.js';

export interface SnapshotStepDeps {
  store: BlobStore;
  cluster: Cluster;
  provider: Provider<any>;
  /** The provider's connected clients (for providers that take snapshots from the CLI). */
  clients: unknown;
  io: IoHost;
  /** Clouds: how long to wait for a control plane to answer the backup command (default 10 minutes). */
  waitMs?: number;
  signal?: AbortSignal;
  /** Who asks (recorded in the control command). */
  by?: string;
}

/**
 * The step before a change to a control plane (upgrade, rolling-update): a snapshot taken now and stored — by the
 * provider where it runs commands on its control planes (bare metal, over SSH), else through the state store's
 * control folder (clouds: a control plane's k8sup-etcd-control takes it, src/lifecycle/etcd-control.ts). Fails (exit 1,
 * with what to do) when no control plane answers within waitMs, before anything changed.
 */
export async function snapshotBeforeChange(deps: SnapshotStepDeps): Promise<BackupManifest> {
  if (deps.provider.etcdBackup) {
    const taken = await deps.provider.etcdBackup.take(deps.cluster, deps.clients);
    return storeSnapshot(deps.store, deps.cluster, taken, deps.io);
  }
  if (!deps.cluster.spec.etcd?.backups) {
    // No backup scripts (and no control poller) on its control planes: nobody would answer.
    throw new OperationError(`${deps.cluster.metadata.name} has no spec.etcd.backups, so its control planes cannot take an etcd snapshot`, {
      code: 'NoBackupScripts',
      hint: 'take a snapshot by hand (etcdctl snapshot save in the etcd pod) and keep it; docs/backups.md, "The schedule", says how to add spec.etcd.backups',
    });
  }
  return backupThroughControlPlanes({ store: deps.store, cluster: deps.cluster, io: deps.io, by: deps.by ?? 'k8sup', waitMs: deps.waitMs ?? DEFAULT_BACKUP_WAIT_MS, signal: deps.signal });
}
