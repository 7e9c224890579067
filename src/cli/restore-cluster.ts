// `restore cluster NAME --backup ID [--yes]`: restores every control plane's etcd from a stored backup. Without
// --yes it checks the backup (complete, snapshot matching its sha256) and prints what it would do, writing nothing.
// With --yes (bare metal, over SSH) every control plane is stopped and swapped first, then all are started, then
// etcd must answer through quorum. On the clouds the control planes restore themselves from commands in the state
// store's control folder (--wait bounds each wait, default 15m): a single control plane from one restore command, an
// HA one from a restore-seed command and then one rejoin per other member (docs/backups.md, "Restoring on AWS and
// GCE"). The flow is src/lifecycle/backup-flow.ts.

import { restoreClusterFlow } from '../lifecycle/backup-flow.js';
import { waitOption } from './backup-cluster.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';
import { renderTable } from './render/table.js';
import { suggest } from './suggest.js';

export default async function restoreCluster(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const id = String(opts.backup ?? '');
  const waitMs = await waitOption(opts.wait);
  const store = await ctx.openStore();
  const { stage, preview } = await restoreClusterFlow(
    { store, name, backup: id, apply: ctx.globals.yes, waitMs, actor: ctx.actor, io: ctx.io, env: ctx.env, home: ctx.home, signal: ctx.signal, sshAcceptNew: opts.sshAcceptNew },
    ({ backup, steps }) => printData(ctx, { cluster: name, backup, steps }, { table: () => renderTable(['HOST', 'STEP'], steps.map((s) => [s.host, s.step])) }),
  );
  if (stage === 'previewed') {
    const m = preview.backup;
    const command = suggest(ctx, `restore cluster ${name} --backup ${id} --yes`);
    ctx.io.emit({ code: 'cluster.preview', level: 'info', message: `Would restore etcd of ${name} on ${preview.members.length} control plane(s) from backup ${id} (revision ${m.revision}, taken ${m.time}); everything written since is lost. Run: ${command}`, data: { cluster: name } });
  }
  return 0;
}
