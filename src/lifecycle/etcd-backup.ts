// etcd backups in the state store (docs/backups.md): `<cluster>/backups/etcd/<id>/snapshot.db` and its
// `manifest.json` (sha256, size, etcd version, revision, node), written last, so a backup without a manifest is
// incomplete and never restored. Control planes upload on their timer (src/bootstrap/etcd-backup.ts); the CLI
// stores what a provider's etcdBackup capability brings back (bare metal, over SSH) and restores through it; on the
// clouds it asks a control plane through the control folder (src/lifecycle/etcd-control.ts).

import { createHash } from 'node:crypto';
import type { Cluster } from '../api/types.js';
import { InvalidInputError, OperationError } from '../core/errors.js';
import type { IoHost } from '../core/io.js';
import type { EtcdSnapshot } from '../core/provider.js';
import type { BlobStore } from '../state/blob.js';

/** A backup id: the UTC second of the snapshot; a control command's backup adds the command's 8 random hex digits (unique, still sorted by time). */
export const BACKUP_ID = /^\d{8}T\d{6}Z(-[0-9a-f]{8})?$/;
export const backupsPrefix = (cluster: string) => `${cluster}/backups/etcd/`;
const snapshotKey = (cluster: string, id: string) => `${backupsPrefix(cluster)}${id}/snapshot.db`;
const manifestKey = (cluster: string, id: string) => `${backupsPrefix(cluster)}${id}/manifest.json`;

export interface BackupManifest {
  id: string;
  cluster: string;
  node: string;
  member: string;
  /** When the snapshot was taken (RFC 3339, the node's clock). */
  time: string;
  etcdVersion: string;
  revision: number;
  size: number;
  sha256: string;
  /** schedule: the control planes' timer; manual: `backup cluster` or a snapshot before a change. */
  trigger: string;
  /** Clouds: the control command (src/lifecycle/etcd-control.ts) this backup answers. */
  command?: string;
}

export interface BackupEntry extends Partial<BackupManifest> {
  id: string;
  /** The manifest is there and readable: the backup can be restored. */
  complete: boolean;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** A manifest as a node wrote it, checked field by field: it comes from a machine, not from k8sup. */
export function parseManifest(text: string, id: string): BackupManifest | undefined {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object' || doc.id !== id || typeof doc.sha256 !== 'string' || !SHA256.test(doc.sha256) || !Number.isInteger(doc.size)) return undefined;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    id,
    cluster: str(doc.cluster),
    node: str(doc.node),
    member: str(doc.member),
    time: str(doc.time),
    etcdVersion: str(doc.etcdVersion),
    revision: Number.isInteger(doc.revision) ? doc.revision : 0,
    size: doc.size,
    sha256: doc.sha256,
    trigger: str(doc.trigger),
    ...(typeof doc.command === 'string' ? { command: doc.command } : {}),
  };
}

/** Every backup of the cluster, oldest first; incomplete ones (no readable manifest) are listed as such. */
export async function listBackups(store: BlobStore, cluster: string): Promise<BackupEntry[]> {
  const prefix = backupsPrefix(cluster);
  const ids = new Set<string>();
  for (const key of await store.list(prefix)) {
    const id = key.slice(prefix.length).split('/')[0];
    if (BACKUP_ID.test(id)) ids.add(id);
  }
  return Promise.all(
    [...ids].sort().map(async (id): Promise<BackupEntry> => {
      const blob = await store.get(manifestKey(cluster, id));
      const manifest = blob ? parseManifest(blob.data.toString('utf8'), id) : undefined;
      return manifest ? { ...manifest, complete: true } : { id, complete: false };
    }),
  );
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Writes a snapshot a provider brought back: checked against its manifest, the snapshot first, the manifest last. */
export async function storeSnapshot(store: BlobStore, cluster: Cluster, taken: EtcdSnapshot, io: IoHost): Promise<BackupManifest> {
  const name = cluster.metadata.name;
  const id = String(taken.manifest.id ?? '');
  const manifest = BACKUP_ID.test(id) ? parseManifest(JSON.stringify(taken.manifest), id) : undefined;
  if (!manifest) throw new OperationError(`the etcd backup of ${name} came back without a valid manifest`, { code: 'EtcdBackupFailed' });
  const actual = sha256(taken.snapshot);
  if (actual !== manifest.sha256 || taken.snapshot.length !== manifest.size) {
    throw new OperationError(`backup ${id}: the snapshot copied from ${manifest.node} has sha256 ${actual} (${taken.snapshot.length} bytes), its manifest says ${manifest.sha256} (${manifest.size} bytes)`, {
      code: 'EtcdBackupCorrupt',
      hint: 'run `k8sup backup cluster` again; nothing was stored',
    });
  }
  await store.put(snapshotKey(name, id), taken.snapshot);
  await store.put(manifestKey(name, id), `${JSON.stringify(manifest)}\n`);
  io.emit({ code: 'etcd.backup.stored', level: 'info', message: `Stored etcd backup ${id} of ${name} (${manifest.size} bytes, sha256 ${manifest.sha256}).`, data: { cluster: name, backup: id, size: manifest.size, sha256: manifest.sha256 } });
  await applyManualRetention(store, cluster, io);
  return manifest;
}

/**
 * The CLI keeps the newest `retain` backups it took (trigger manual); the control planes' timer keeps its own
 * `retain` through its index. Clusters without spec.etcd.backups keep every backup.
 */
export async function applyManualRetention(store: BlobStore, cluster: Cluster, io: IoHost): Promise<void> {
  const retain = cluster.spec.etcd?.backups?.retain;
  if (retain === undefined) return;
  const manual = (await listBackups(store, cluster.metadata.name)).filter((b) => b.complete && b.trigger === 'manual');
  for (const old of manual.slice(0, Math.max(0, manual.length - retain))) {
    await store.delete(manifestKey(cluster.metadata.name, old.id));
    await store.delete(snapshotKey(cluster.metadata.name, old.id));
    io.emit({ code: 'note', level: 'info', message: `Deleted etcd backup ${old.id} (retain ${retain}).` });
  }
}

/** The manifest of a backup by id; exit 2 for an id that is malformed, unknown or has no readable manifest. */
export async function backupManifest(store: BlobStore, cluster: string, id: string): Promise<BackupManifest> {
  if (!BACKUP_ID.test(id)) throw new InvalidInputError(`--backup ${id}: not a backup id (like 20261201T130000Z)`, { hint: `\`k8sup get backups ${cluster}\` lists them` });
  const manifestBlob = await store.get(manifestKey(cluster, id));
  const manifest = manifestBlob ? parseManifest(manifestBlob.data.toString('utf8'), id) : undefined;
  if (!manifest) throw new InvalidInputError(`backup ${id} of ${cluster} does not exist or is incomplete (no readable manifest)`, { hint: `\`k8sup get backups ${cluster}\` lists the complete ones` });
  return manifest;
}

/** A complete backup by id, its snapshot verified against the manifest; exit 2 for an unknown or incomplete id. */
export async function loadBackup(store: BlobStore, cluster: string, id: string): Promise<{ manifest: BackupManifest; snapshot: Buffer }> {
  const manifest = await backupManifest(store, cluster, id);
  const snap = await store.get(snapshotKey(cluster, id));
  if (!snap) throw new InvalidInputError(`backup ${id} of ${cluster} has a manifest but no snapshot`, { hint: `choose another backup from \`k8sup get backups ${cluster}\`` });
  const actual = sha256(snap.data);
  if (actual !== manifest.sha256) {
    throw new OperationError(`backup ${id}: the stored snapshot has sha256 ${actual}, its manifest says ${manifest.sha256}: it is damaged and is not restored`, {
      code: 'EtcdBackupCorrupt',
      hint: `choose another backup from \`k8sup get backups ${cluster}\``,
    });
  }
  return { manifest, snapshot: snap.data };
}
