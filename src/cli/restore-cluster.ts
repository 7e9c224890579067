// `restore cluster NAME --backup ID [--yes]`: restores every control plane's etcd from a stored backup. Without
// --yes it checks the backup (complete, snapshot matching its sha256) and prints what it would do, writing nothing.
// With --yes (bare metal, over SSH) every control plane is stopped and swapped first, then all are started, then
// etcd must answer through quorum. On the clouds k8sup cannot run commands on instances: the preview prints the
// commands to run on each control plane (docs/backups.md, "Restoring on AWS and GCE").

import { loadBackup } from '../cluster/etcd-backup.js';
import { connectProvider, loadProviderFor } from '../cluster/deploy.js';
import { mutateCluster, readSpec } from '../cluster/spec-store.js';
import { InvalidInputError } from '../core/errors.js';
import { ClusterStore } from '../state/cluster-store.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';
import { renderTable } from './render/table.js';
import { suggest } from './suggest.js';

export default async function restoreCluster(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const id = String(opts.backup ?? '');
  const store = await ctx.openStore();
  const run = async (cs: ClusterStore) => {
    const { cluster } = await readSpec(cs, name);
    const provider = await loadProviderFor(cluster);
    const backup = await loadBackup(store, name, id);
    const m = backup.manifest;
    const capability = provider.etcdBackup;
    const members = capability ? capability.members(cluster) : [];
    const steps = capability
      ? [
          ...members.map((h) => ({ host: h, step: `upload the snapshot, verify sha256 ${m.sha256.slice(0, 12)}…, stop etcd and kube-apiserver, restore into a fresh data dir, swap it in (the old one is kept)` })),
          ...members.map((h) => ({ host: h, step: 'start etcd and kube-apiserver again' })),
          { host: members[0], step: 'wait until etcd answers through quorum' },
        ]
      : [
          { host: 'each control plane', step: `sudo k8sup-etcd-restore fetch ${id}   (downloads and verifies the snapshot; prints its path)` },
          { host: 'each control plane', step: 'sudo k8sup-etcd-restore stop SNAPSHOT SHA256 [NAME=PEER_URL,…]   (all of them before any start)' },
          { host: 'each control plane', step: 'sudo k8sup-etcd-restore start' },
          { host: 'one control plane', step: 'sudo k8sup-etcd-restore health' },
        ];
    const doc = { cluster: name, backup: m, steps };
    printData(ctx, doc, { table: () => renderTable(['HOST', 'STEP'], steps.map((s) => [s.host, s.step])) });
    if (!capability) {
      if (!ctx.globals.yes) {
        ctx.note(`k8sup cannot run commands on ${cluster.spec.cloud} instances: run the steps above on the control planes (docs/backups.md, "Restoring on AWS and GCE").`);
        return 0;
      }
      throw new InvalidInputError(`k8sup cannot run commands on ${cluster.spec.cloud} instances, so it cannot restore ${name} itself`, {
        hint: 'run the steps above on the control planes over SSH (docs/backups.md, "Restoring on AWS and GCE")',
      });
    }
    if (!ctx.globals.yes) {
      const command = suggest(ctx, `restore cluster ${name} --backup ${id} --yes`);
      ctx.io.emit({ code: 'cluster.preview', level: 'info', message: `Would restore etcd of ${name} on ${members.length} control plane(s) from backup ${id} (revision ${m.revision}, taken ${m.time}); everything written since is lost. Run: ${command}`, data: { cluster: name } });
      return 0;
    }
    const clients = await connectProvider({ store, cluster, io: ctx.io, env: ctx.env, home: ctx.home, signal: ctx.signal, sshAcceptNew: opts.sshAcceptNew }, provider);
    try {
      await capability.restore(cluster, clients, { id, snapshot: backup.snapshot, sha256: m.sha256 });
    } finally {
      (clients as { close?: () => void }).close?.();
    }
    ctx.io.emit({ code: 'etcd.restored', level: 'info', message: `Restored etcd of ${name} from backup ${id}.`, data: { cluster: name, backup: id } });
    return 0;
  };
  if (!ctx.globals.yes) return run(new ClusterStore(store, name));
  return mutateCluster(store, name, ctx.actor, 'restore cluster', run);
}
