// etcd backups on bare metal, over SSH (docs/backups.md): `backup cluster` runs the rendered k8sup-etcd-backup on
// the first control plane (it keeps the snapshot under /var/lib/k8sup/etcd-backups/<id>/) and reads the snapshot and
// its manifest back; `restore cluster` uploads a snapshot to every control plane and runs k8sup-etcd-restore there:
// `stop` on all of them (verify sha256, restore into a fresh data dir, park the static pods, swap), then `start` on
// all, then waits until etcd answers through quorum. The initial cluster is what each member's manifest names.

import { metalCloud } from './cloud.js';
import type { Cluster } from '../../src/api/types.js';
import { OperationError } from '../../src/core/errors.js';
import type { EtcdBackupCapability, EtcdSnapshot } from '../../src/core/provider.js';
import type { MetalClients } from './clients.js';
import { hostName } from './hosts-file.js';
import { shellQuote } from './ssh.js';

const BACKUP_ID = /^\d{8}T\d{6}Z$/;

function controlPlanes(cluster: Cluster) {
  return (cluster.spec.hosts ?? []).filter((h) => h.role === 'control-plane');
}

async function scripts(clients: MetalClients) {
  const { renderEtcdBackupScript, renderEtcdRestoreScript, etcdScriptsInput } = await import('../../src/bootstrap/index.js');
  const input = etcdScriptsInput(clients.cluster, metalCloud.nodes, clients.settings.stateStoreUrl);
  return { backup: renderEtcdBackupScript(input), restore: renderEtcdRestoreScript(input) };
}

export const metalEtcdBackup: EtcdBackupCapability<MetalClients> = {
  members: (cluster) => controlPlanes(cluster).map(hostName),

  async take(cluster, clients): Promise<EtcdSnapshot> {
    const host = clients.firstControlPlane;
    if (!host) throw new OperationError(`cluster ${cluster.metadata.name} has no control-plane host`, { code: 'NoControlPlane' });
    const { backup } = await scripts(clients);
    const ran = await clients.run(host, 'bash -s -- --force', { stdin: backup, what: 'etcd snapshot', timeoutMs: 15 * 60_000 });
    const id = /^backup=(\S+)$/m.exec(ran.stdout)?.[1];
    if (!id || !BACKUP_ID.test(id)) throw new OperationError(`${host}: k8sup-etcd-backup reported no backup id`, { code: 'EtcdBackupFailed' });
    const dir = `${clients.paths(host).stateDir}/etcd-backups/${id}`;
    // Base64 on stdout: the SSH channel carries text; the snapshot's checksum is verified by the caller.
    const read = await clients.run(host, `cat ${shellQuote(`${dir}/manifest.json`)} && echo K8SUP_SNAPSHOT && base64 -w 0 ${shellQuote(`${dir}/snapshot.db`)}`, {
      what: 'read etcd snapshot',
      timeoutMs: 15 * 60_000,
    });
    const [manifestText, b64] = read.stdout.split('\nK8SUP_SNAPSHOT\n');
    let manifest: Record<string, unknown>;
    try {
      manifest = JSON.parse(manifestText);
    } catch {
      throw new OperationError(`${host}: the manifest of backup ${id} is not JSON`, { code: 'EtcdBackupFailed' });
    }
    return { manifest, snapshot: Buffer.from((b64 ?? '').trim(), 'base64') };
  },

  async restore(cluster, clients, backup): Promise<void> {
    const hosts = this.members(cluster);
    const { restore } = await scripts(clients);
    // Every member as its own manifest names it (kubeadm: the node name and https://<address>:2380), asked before
    // anything stops: the restored members must agree on the same initial cluster.
    const members: string[] = [];
    for (const host of hosts) {
      const r = await clients.run(host, 'bash -s -- member', { stdin: restore, what: 'etcd member', timeoutMs: 60_000 });
      const m = /^member=(\S+=\S+)$/m.exec(r.stdout)?.[1];
      if (!m) throw new OperationError(`${host}: k8sup-etcd-restore did not name its etcd member`, { code: 'EtcdRestoreFailed' });
      members.push(m);
    }
    const initial = members.join(',');
    for (const host of hosts) {
      const file = `${clients.paths(host).stateDir}/etcd-restore-${backup.id}.db`;
      await clients.upload(host, file, backup.snapshot, 0o600);
      clients.io.emit({ code: 'etcd.restore.member', level: 'info', message: `${host}: restoring etcd from backup ${backup.id}`, data: { host, backup: backup.id } });
      await clients.run(host, `bash -s -- stop ${shellQuote(file)} ${shellQuote(backup.sha256)} ${shellQuote(initial)} && rm -f ${shellQuote(file)}`, {
        stdin: restore,
        what: 'etcd restore',
        timeoutMs: 15 * 60_000,
      });
    }
    for (const host of hosts) await clients.run(host, 'bash -s -- start', { stdin: restore, what: 'etcd restore start', timeoutMs: 120_000 });
    await clients.run(hosts[0], 'bash -s -- health 300', { stdin: restore, what: 'etcd health', timeoutMs: 400_000 });
  },
};
