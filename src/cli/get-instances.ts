// `get instances NAME`: the cluster's instances as their bootstrap progress reports show them (each node writes
// `<cluster>/nodes/status/<instance>.json` to the state store with its own identity; docs/bootstrap.md), read by
// src/cluster/instance-reports.ts.

import { instanceReports } from '../cluster/instance-reports.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';
import { renderTable } from './render/table.js';

export default async function getInstances(ctx: CliContext, args: string[]): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const store = await ctx.openStore();
  const instances = await instanceReports(store, name);
  if (instances.length === 0) ctx.note(`no instance of ${name} has reported its bootstrap yet (metal hosts never do: k8sup runs theirs over SSH)`);
  printData(ctx, { cluster: name, instances }, {
    table: () =>
    renderTable(
      ['INSTANCE', 'GROUP', 'ROLE', 'STATE', 'STEP', 'ATTEMPT', 'REPORTED', 'ERROR'],
      instances.map((r) => [r.instance, r.group, r.role, r.state, r.step, r.attempt, r.time, r.error]),
    ),
  });
  return 0;
}
