// `backup cluster NAME`: takes an etcd snapshot now and stores it under `<cluster>/backups/etcd/<id>/` (with the
// cluster's lock held). Only providers that can run commands on their control planes from the CLI offer it (bare
// metal, over SSH); on the clouds k8sup has no remote execution, so the control planes' timer takes the backups and
// this command says how to trigger one (docs/backups.md). The flow is src/cluster/backup-flow.ts.

import { backupClusterFlow } from '../cluster/backup-flow.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';
import { renderTable } from './render/table.js';

export default async function backupCluster(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const store = await ctx.openStore();
  const manifest = await backupClusterFlow({ store, name, actor: ctx.actor, io: ctx.io, env: ctx.env, home: ctx.home, signal: ctx.signal, sshAcceptNew: opts.sshAcceptNew });
  printData(ctx, { cluster: name, backup: manifest }, {
    table: () => renderTable(['ID', 'TIME', 'NODE', 'ETCD', 'REVISION', 'SIZE', 'SHA256'], [[manifest.id, manifest.time, manifest.node, manifest.etcdVersion, manifest.revision, manifest.size, manifest.sha256]]),
  });
  return 0;
}
