// An etcd backup in the state store as a control plane's k8sup-etcd-backup writes it (docs/backups.md): the snapshot
// first, then its manifest (what makes the backup complete). For tests of the commands that require or list one.

import { createHash } from 'node:crypto';
import type { BlobStore } from '../../src/state/blob.js';

/** Writes a complete backup taken now by `node`; returns its id. */
export async function putEtcdBackup(store: BlobStore, cluster: string, node = 'ip-10-0-0-5', trigger = 'schedule'): Promise<string> {
  const now = new Date();
  const id = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const snapshot = Buffer.from(`etcd snapshot of ${cluster} at ${id}\n`);
  const manifest = { v: 1, id, cluster, node, member: node, time: now.toISOString().replace(/\.\d+Z$/, 'Z'), etcdVersion: '3.6.5', revision: 1234, size: snapshot.length, sha256: createHash('sha256').update(snapshot).digest('hex'), trigger };
  await store.put(`${cluster}/backups/etcd/${id}/snapshot.db`, snapshot);
  await store.put(`${cluster}/backups/etcd/${id}/manifest.json`, `${JSON.stringify(manifest)}\n`);
  return id;
}

/** The ids of the cluster's complete backups (those with a manifest), oldest first. */
export async function etcdBackupIds(store: BlobStore, cluster: string): Promise<string[]> {
  const prefix = `${cluster}/backups/etcd/`;
  return (await store.list(prefix)).filter((k) => k.endsWith('/manifest.json')).map((k) => k.slice(prefix.length, -'/manifest.json'.length)).sort();
}
