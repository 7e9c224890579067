// backup cluster, restore cluster and get backups: the cluster's spec → its provider's etcdBackup capability (bare
// metal, over SSH), or on the clouds a command in the state store's control folder that a control plane carries out
// (src/lifecycle/etcd-control.ts) → the backups in the state store (src/lifecycle/etcd-backup.ts). Taking and restoring hold the cluster's lock; a restore preview takes none.
// The CLI (src/cli/backup-cluster.ts, restore-cluster.ts, get-backups.ts) renders what comes out; nothing here prints.

import type { Cluster } from '../api/index.js';
import { BUNDLE_FOLDER } from '../bootstrap/loader.js';
import { InvalidInputError } from '../core/errors.js';
import type { BlobStore } from '../state/blob.js';
import { ClusterStore } from '../state/cluster-store.js';
import { settleAll } from '../state/in-flight.js';
import { assertNodesCanReadStore, closeClients, connectProvider, loadProviderFor, type FlowHost } from './deploy.js';
import { backupManifest, listBackups, loadBackup, storeSnapshot, type BackupEntry, type BackupManifest } from './etcd-backup.js';
import { backupThroughControlPlanes, DEFAULT_BACKUP_WAIT_MS, DEFAULT_RESTORE_WAIT_MS, restoreThroughControlPlane } from './etcd-control.js';
import { restoreHaThroughControlPlanes, restoresHaThroughControlFolder } from './etcd-ha-restore.js';
import { mutateCluster, readSpec, type Actor } from './spec-store.js';

export interface BackupFlowInput extends FlowHost {
  store: BlobStore;
  name: string;
  actor: Actor;
  /** --wait: clouds, how long to wait for a control plane to answer (default 10 minutes, restore 15). */
  waitMs?: number;
}

/** Clouds: control planes carry the backup scripts (and the control poller) only when spec.etcd.backups is set. */
function requireBackupScripts(cluster: Cluster): void {
  if (cluster.spec.etcd?.backups) return;
  throw new InvalidInputError(`${cluster.metadata.name} has no spec.etcd.backups, so its control planes carry no etcd backup scripts`, {
    hint: 'add `etcd: {backups: {schedule: hourly, retain: 24}}` (or schedule: off) with `k8sup edit cluster`, then `update cluster --yes` and `rolling-update cluster --yes` to install them (docs/backups.md)',
  });
}

/**
 * Clouds: the backup is a command in the state store's control folder that a control plane carries out. Every node
 * boots from a bundle written to this store before it is launched (by `update --yes`, or `--target terraform --yes`),
 * so without one no control plane polls the folder and the command could only wait out --wait (10 minutes).
 * Refused before anything (even the lock) is written.
 */
async function assertSomeControlPlaneCanAnswer(store: BlobStore, name: string): Promise<void> {
  const { cluster } = await readSpec(new ClusterStore(store, name), name);
  const provider = await loadProviderFor(cluster);
  if (provider.etcdBackup) return;
  assertNodesCanReadStore(provider, store.url);
  if ((await store.list(`${name}/${BUNDLE_FOLDER}`)).length > 0) return;
  throw new InvalidInputError(`${name} was never applied from this state store: no control plane runs to take an etcd backup`, {
    hint: `apply it first with \`k8sup update cluster ${name} --yes\`, then take the backup`,
  });
}

/** `backup cluster`: an etcd snapshot taken now through the provider and stored; exit 2 where k8sup cannot take one. */
export async function backupClusterFlow(input: BackupFlowInput): Promise<BackupManifest> {
  const { store, name } = input;
  await assertSomeControlPlaneCanAnswer(store, name);
  return mutateCluster(store, name, input.actor, 'backup cluster', async (cs) => {
    const { cluster } = await readSpec(cs, name);
    const provider = await loadProviderFor(cluster);
    if (!provider.etcdBackup) {
      requireBackupScripts(cluster);
      return backupThroughControlPlanes({ store, cluster, io: input.io, by: input.actor.owner, waitMs: input.waitMs ?? DEFAULT_BACKUP_WAIT_MS, signal: input.signal });
    }
    const clients = await connectProvider({ store, cluster, io: input.io, env: input.env, home: input.home, signal: input.signal, sshAcceptNew: input.sshAcceptNew }, provider);
    try {
      return await storeSnapshot(store, cluster, await provider.etcdBackup.take(cluster, clients), input.io);
    } finally {
      closeClients(clients);
    }
  });
}

/** `get backups`: every backup of an existing cluster, oldest first, and the spec (whose schedule explains an empty list). */
export async function clusterBackups(store: BlobStore, name: string): Promise<{ cluster: Cluster; backups: BackupEntry[] }> {
  const { cluster } = await readSpec(new ClusterStore(store, name), name);
  return { cluster, backups: await listBackups(store, name) };
}

export interface RestoreFlowInput extends BackupFlowInput {
  backup: string;
  /** --yes: restore; otherwise check the backup and show the steps, writing nothing (and taking no lock). */
  apply: boolean;
}

export interface RestoreStep {
  host: string;
  step: string;
}

export interface RestorePreview {
  cluster: Cluster;
  backup: BackupManifest;
  steps: RestoreStep[];
  /** The control planes k8sup restores. */
  members: string[];
}

/** The clouds' HA steps: one control plane restores the snapshot alone (the seed), the others join it one by one. */
function haCloudSteps(cluster: Cluster, id: string, sha256: string): RestoreStep[] {
  const others = cluster.spec.controlPlane.count - 1;
  return [
    { host: 'control-plane (seed)', step: `restore-seed command in ${cluster.metadata.name}/backups/etcd/control/: the first control plane to take it (within a minute) is the seed` },
    { host: 'control-plane (seed)', step: `k8sup-etcd-restore fetch ${id}: download it with the instance identity, verify sha256 ${sha256.slice(0, 12)}…` },
    { host: 'control-plane (seed)', step: 'k8sup-etcd-restore seed: stop etcd and kube-apiserver, restore the snapshot as a one-member cluster, swap the data dir in (the old one is kept), start, wait until healthy' },
    ...Array.from({ length: others }, (_, i) => ({
      host: `control-plane (member ${i + 2})`,
      step: `rejoin command (${i + 1} of ${others}), for a control plane not yet joined: k8sup-etcd-restore rejoin stops etcd and kube-apiserver, moves the data dir aside, etcdctl member add at the seed, starts with --initial-cluster-state=existing, waits until healthy`,
    })),
  ];
}

/**
 * `show` gets the checked backup and the steps before anything changes (the CLI prints them there). `previewed`:
 * without --yes, `restored`: every control plane runs etcd from the backup.
 */
export async function restoreClusterFlow(input: RestoreFlowInput, show: (preview: RestorePreview) => void): Promise<{ stage: 'previewed' | 'restored'; preview: RestorePreview }> {
  const { store, name, backup: id } = input;
  const run = async (cs: ClusterStore) => {
    const { cluster } = await readSpec(cs, name);
    const provider = await loadProviderFor(cluster);
    const backup = await loadBackup(store, name, id);
    const m = backup.manifest;
    const capability = provider.etcdBackup;
    const viaControl = !capability;
    const ha = viaControl && restoresHaThroughControlFolder(cluster);
    const members = capability ? capability.members(cluster) : Array.from({ length: cluster.spec.controlPlane.count }, (_, i) => (ha ? (i === 0 ? 'control-plane (seed)' : `control-plane (member ${i + 1})`) : 'control-plane'));
    const steps = ha
      ? haCloudSteps(cluster, id, m.sha256)
      : viaControl
      ? [
          { host: 'control-plane', step: `restore command in ${name}/backups/etcd/control/: the control plane's k8sup-etcd-control takes it within a minute` },
          { host: 'control-plane', step: `k8sup-etcd-restore fetch ${id}: download it with the instance identity, verify sha256 ${m.sha256.slice(0, 12)}…` },
          { host: 'control-plane', step: 'k8sup-etcd-restore stop: restore into a fresh data dir, stop etcd and kube-apiserver, swap it in (the old one is kept)' },
          { host: 'control-plane', step: 'k8sup-etcd-restore start, then health: etcd answers again' },
        ]
      : [
          ...members.map((h) => ({ host: h, step: `upload the snapshot, verify sha256 ${m.sha256.slice(0, 12)}…, stop etcd and kube-apiserver, restore into a fresh data dir, swap it in (the old one is kept)` })),
          ...members.map((h) => ({ host: h, step: 'start etcd and kube-apiserver again' })),
          { host: members[0], step: 'wait until etcd answers through quorum' },
        ];
    const preview: RestorePreview = { cluster, backup: m, steps, members };
    show(preview);
    if (viaControl) {
      if (!input.apply) return { stage: 'previewed' as const, preview };
      requireBackupScripts(cluster);
      const deps = { store, cluster, io: input.io, by: input.actor.owner, waitMs: input.waitMs ?? DEFAULT_RESTORE_WAIT_MS, signal: input.signal };
      if (ha) await restoreHaThroughControlPlanes(deps, m);
      else await restoreThroughControlPlane(deps, m);
      input.io.emit({ code: 'etcd.restored', level: 'info', message: `Restored etcd of ${name} from backup ${id}.`, data: { cluster: name, backup: id } });
      return { stage: 'restored' as const, preview };
    }
    if (!input.apply) return { stage: 'previewed' as const, preview };
    const clients = await connectProvider({ store, cluster, io: input.io, env: input.env, home: input.home, signal: input.signal, sshAcceptNew: input.sshAcceptNew }, provider);
    try {
      await capability.restore(cluster, clients, { id, snapshot: backup.snapshot, sha256: m.sha256 });
    } finally {
      closeClients(clients);
    }
    input.io.emit({ code: 'etcd.restored', level: 'info', message: `Restored etcd of ${name} from backup ${id}.`, data: { cluster: name, backup: id } });
    return { stage: 'restored' as const, preview };
  };
  if (!input.apply) return run(new ClusterStore(store, name));
  // An unknown cluster or backup is bad input: refused before the lock is taken, so it writes nothing (the manifest
  // only; the snapshot is read and verified once, under the lock).
  await settleAll([readSpec(new ClusterStore(store, name), name), backupManifest(store, name, id)]);
  return mutateCluster(store, name, input.actor, 'restore cluster', run);
}
