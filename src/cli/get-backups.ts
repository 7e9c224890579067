// `get backups NAME`: the cluster's etcd backups in the state store (`<cluster>/backups/etcd/`), oldest first.

import { clusterBackups } from '../lifecycle/backup-flow.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';
import { renderTable } from './render/table.js';
import { suggest } from './suggest.js';

export default async function getBackups(ctx: CliContext, args: string[]): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const store = await ctx.openStore();
  const { cluster, backups } = await clusterBackups(store, name);
  if (backups.length === 0) {
    const schedule = cluster.spec.etcd?.backups?.schedule;
    ctx.note(`${name} has no etcd backup yet (${schedule && schedule !== 'off' ? `the control planes take one ${schedule}` : 'no schedule in spec.etcd.backups'}; \`${suggest(ctx, `backup cluster ${name}`)}\` takes one now)`);
  }
  printData(ctx, { cluster: name, backups }, {
    table: () =>
      renderTable(
        ['ID', 'TIME', 'NODE', 'TRIGGER', 'ETCD', 'REVISION', 'SIZE', 'SHA256', 'COMPLETE'],
        backups.map((b) => [b.id, b.time ?? '', b.node ?? '', b.trigger ?? '', b.etcdVersion ?? '', b.revision ?? '', b.size ?? '', b.sha256?.slice(0, 12) ?? '', b.complete ? 'yes' : 'no (no manifest)']),
      ),
  });
  return 0;
}
