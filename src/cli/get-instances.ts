// `get instances NAME`: every machine of the cluster — the cloud's instance groups (zone, cloud state, whether it runs
// its group's current bootstrap) joined with the bootstrap progress reports each node writes to the state store
// (`<cluster>/nodes/status/<instance>.json` with its own identity; docs/bootstrap.md), read by
// src/lifecycle/instance-reports.ts.

import { clusterInstances } from '../lifecycle/instance-reports.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';
import { renderTable } from './render/table.js';

export default async function getInstances(ctx: CliContext, args: string[], opts: Record<string, any> = {}): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const store = await ctx.openStore();
  const { instances, warnings } = await clusterInstances({ store, name, io: ctx.io, env: ctx.env, home: ctx.home, signal: ctx.signal, sshAcceptNew: Boolean(opts.sshAcceptNew) });
  for (const w of warnings) ctx.note(`warning: ${w}`);
  if (instances.length === 0) ctx.note(`no instance of ${name} is listed by the cloud or has reported its bootstrap yet (metal hosts never report: k8sup runs theirs over SSH)`);
  const current = (c: boolean | undefined) => (c === undefined ? '' : c ? 'yes' : 'NO');
  printData(ctx, { cluster: name, instances }, {
    table: () =>
    renderTable(
      ['INSTANCE', 'GROUP', 'ROLE', 'STATE', 'STEP', 'ATTEMPT', 'ZONE', 'CLOUD STATE', 'CURRENT', 'REPORTED', 'ERROR'],
      instances.map((r) => [r.instance, r.group, r.role, r.state ?? '', r.step ?? '', r.attempt ?? '', r.zone ?? '', r.cloudState ?? '', current(r.current), r.time ?? '', r.error ?? '']),
    ),
  });
  return 0;
}
