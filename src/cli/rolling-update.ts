// `rolling-update cluster NAME [--yes] [--instance-group G] [--force]`: lists every instance of every group with
// whether it runs an out-of-date configuration; with --yes replaces those, holding the cluster's lock for the whole
// run. The orchestration lives in src/lifecycle/rolling-update-flow.ts; this file turns flags into its input and renders
// the plan and outcome. See docs/rolling-update.md.

import { rollingUpdateFlow } from '../lifecycle/rolling-update-flow.js';
import type { RollingUpdatePlan } from '../lifecycle/rolling-update.js';
import type { CliContext } from './context.js';
import { printData, type TableView } from './render/output.js';
import { suggest } from './suggest.js';

function planTable(plan: RollingUpdatePlan): TableView {
  const rows = plan.groups.flatMap((g) =>
    g.instances.length
      ? g.instances.map((i) => [g.group, g.cloudName, i.id, i.zone ?? g.zone ?? '', i.status, i.version, i.needsUpdate ? 'NEEDS UPDATE' : i.replace ? 'FORCED' : 'up to date'])
      : [[g.group, g.cloudName, '-', g.zone ?? '', 'no instances', g.currentVersion, '']],
  );
  return { headers: ['GROUP', 'CLOUD GROUP', 'INSTANCE', 'ZONE', 'STATE', 'VERSION', 'STATUS'], rows };
}

export default async function rollingUpdate(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const force = Boolean(opts.force);
  const instanceGroup: string | undefined = opts.instanceGroup;
  const store = await ctx.openStore();
  const outcome = await rollingUpdateFlow(
    { store, name, actor: ctx.actor, apply: ctx.globals.yes, force, instanceGroup, io: ctx.io, env: ctx.env, home: ctx.home, signal: ctx.signal },
    (plan) => printData(ctx, plan, { table: planTable(plan) }),
  );
  if (outcome.stage === 'nothing') {
    ctx.note(`No instance of ${name} needs replacing${force ? '' : ' (--force replaces up-to-date ones too)'}.`);
  } else if (outcome.stage === 'listed') {
    if (outcome.refusal !== undefined) {
      ctx.note(`--yes would refuse: ${outcome.refusal}.`);
      return 0;
    }
    const command = suggest(ctx, `rolling-update cluster ${name}${instanceGroup ? ` --instance-group ${instanceGroup}` : ''}${force ? ' --force' : ''} --yes`);
    ctx.io.emit({ code: 'next', level: 'info', message: `${outcome.toReplace} instance(s) to replace, one at a time, with: ${command}`, data: { command } });
  } else {
    ctx.note(`Replaced ${outcome.result.replaced.length} instance(s) of ${name}.`);
  }
  return 0;
}
