// `backup cluster NAME`: takes an etcd snapshot now and stores it under `<cluster>/backups/etcd/<id>/` (with the
// cluster's lock held). Only providers that can run commands on their control planes from the CLI offer it (bare
// metal, over SSH); on the clouds k8sup has no remote execution, so the control planes' timer takes the backups and
// this command says how to trigger one (docs/backups.md).

import { listBackups, storeSnapshot } from '../cluster/etcd-backup.js';
import { connectProvider, loadProviderFor } from '../cluster/deploy.js';
import { mutateCluster, readSpec } from '../cluster/spec-store.js';
import { InvalidInputError } from '../core/errors.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';
import { renderTable } from './render/table.js';

export default async function backupCluster(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const store = await ctx.openStore();
  return mutateCluster(store, name, ctx.actor, 'backup cluster', async (cs) => {
    const { cluster } = await readSpec(cs, name);
    const provider = await loadProviderFor(cluster);
    if (!provider.etcdBackup) {
      const newest = (await listBackups(store, name)).filter((b) => b.complete).pop();
      throw new InvalidInputError(`k8sup cannot run commands on ${cluster.spec.cloud} instances, so it cannot take an etcd snapshot of ${name} itself${newest ? ` (newest backup: ${newest.id} from ${newest.node})` : ''}`, {
        hint: `the control planes back up on the schedule of spec.etcd.backups; to take one now run \`sudo systemctl start k8sup-etcd-backup.service\` on a control plane, then \`k8sup get backups ${name}\``,
      });
    }
    const clients = await connectProvider({ store, cluster, io: ctx.io, env: ctx.env, home: ctx.home, signal: ctx.signal, sshAcceptNew: opts.sshAcceptNew }, provider);
    try {
      const manifest = await storeSnapshot(store, cluster, await provider.etcdBackup.take(cluster, clients), ctx.io);
      printData(ctx, { cluster: name, backup: manifest }, {
        table: () => renderTable(['ID', 'TIME', 'NODE', 'ETCD', 'REVISION', 'SIZE', 'SHA256'], [[manifest.id, manifest.time, manifest.node, manifest.etcdVersion, manifest.revision, manifest.size, manifest.sha256]]),
      });
      return 0;
    } finally {
      (clients as { close?: () => void }).close?.();
    }
  });
}
