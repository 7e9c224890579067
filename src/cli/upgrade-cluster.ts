import { parseKubeVersion } from '../api/version.js';
import { upgradeClusterFlow } from '../lifecycle/upgrade.js';
import { InvalidInputError } from '../core/errors.js';
import { planAndApply } from './apply-flow.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';
import { suggest } from './suggest.js';

/**
 * upgrade cluster: the flags and the rendering; the flow is src/lifecycle/upgrade.ts (bare metal over SSH, clouds
 * through the bootstrap of new instances: src/lifecycle/cloud-upgrade.ts; docs/upgrades.md). Without --yes it prints
 * the plan of steps and writes nothing. With --yes it runs them one at a time, recording progress in the state store;
 * the same command again resumes an interrupted upgrade, and does nothing once the cluster runs the version.
 */
export default async function upgradeCluster(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const target = parseKubeVersion(String(opts.kubernetesVersion));
  if (!target) throw new InvalidInputError(`--kubernetes-version: "${opts.kubernetesVersion}" is not a version X.Y.Z`, { hint: 'e.g. --kubernetes-version 1.35.1' });
  const store = await ctx.openStore();
  const result = await upgradeClusterFlow(
    {
      store, name, target, apply: Boolean(ctx.globals.yes), actor: ctx.actor, io: ctx.io, env: ctx.env, home: ctx.home, signal: ctx.signal, sshAcceptNew: Boolean(opts.sshAcceptNew),
      show: (view) =>
        printData(ctx, view, {
          table: {
            headers: ['STEP', 'ACTION', 'TARGET', 'STATUS', 'WHAT'],
            rows: view.steps.map((s) => [s.id, s.action, s.target, s.done ? 'done' : 'pending', s.description]),
            empty: `${name} runs Kubernetes ${target.text}: nothing to upgrade`,
          },
        }),
    },
    // A cluster without machines to upgrade: the new revision is planned (and applied with --yes) like update cluster.
    (cs, current, cluster, revisionWritten) =>
      planAndApply(ctx, store, cs, cluster, { target: 'direct' }, {
        offlineIfNew: true,
        revision: revisionWritten ?? current.revision,
        ...(revisionWritten === undefined ? { applyWith: suggest(ctx, `upgrade cluster ${name} --kubernetes-version ${cluster.spec.kubernetesVersion} --yes`) } : {}),
      }),
  );
  if (result.kind === 'spec-only') return result.exitCode;
  if (result.kind === 'preview') {
    ctx.io.emit({ code: 'cluster.preview', level: 'info', message: `Would upgrade ${name} from Kubernetes ${result.from} to ${target.text} in ${result.pending} steps; nothing was written.`, data: { cluster: name } });
    const command = suggest(ctx, `upgrade cluster ${name} --kubernetes-version ${target.text} --yes`);
    ctx.io.emit({ code: 'next', level: 'info', message: `Upgrade with: ${command}`, data: { command } });
  }
  return 0;
}
