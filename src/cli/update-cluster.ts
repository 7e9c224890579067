import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { checkSavedPlanSpec, readSavedPlan } from '../lifecycle/saved-plan.js';
import { readSpec } from '../lifecycle/spec-store.js';
import { ClusterStore } from '../state/cluster-store.js';
import { InvalidInputError } from '../core/errors.js';
import { updateClusterFlow } from '../lifecycle/update-flow.js';
import { checkApplyFlags, checkSavedPlanFlags, planAndApply } from './apply-flow.js';
import type { CliContext } from './context.js';
import { expandHome, readInputFile } from './paths.js';

/**
 * update cluster: plan against the cloud; with --yes apply. Planning takes no lock and writes nothing (but the
 * --out-plan file); applying holds the cluster's lock for the whole run. `--plan FILE --yes` applies a saved plan
 * only if the spec revision and the live resources are still those it was computed against (else exit 3). The flow
 * is src/lifecycle/update-flow.ts.
 */
export default async function updateCluster(ctx: CliContext, args: string[], flags: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  // A quoted `~/plan.json` reaches k8sup unexpanded: the plan files are path flags like the others (paths.ts).
  const tilde = (p: string | undefined) => (p === undefined ? p : expandHome(p, ctx));
  const opts: Record<string, any> = { ...flags, outPlan: tilde(flags.outPlan), plan: tilde(flags.plan) };
  checkApplyFlags(opts);
  checkSavedPlanFlags(opts, ctx.globals.yes);
  if (typeof opts.admin === 'string') (await import('../pki/index.js')).parseDuration(opts.admin, '--admin'); // bad input fails before any read
  if (opts.outPlan) checkOutPlanFolder(opts.outPlan, ctx.cwd);
  const saved = opts.plan ? await readSavedPlan(opts.plan, ctx.cwd, () => readInputFile('--plan', '-', ctx)) : undefined;
  const store = await ctx.openStore();
  // A saved plan of another cluster (exit 2) or of an older revision (exit 3) is refused before the lock is taken, so
  // neither writes anything; checked again under the lock.
  if (saved) {
    const current = await readSpec(new ClusterStore(store, name), name);
    checkSavedPlanSpec(saved, opts.plan, { name, revision: current.revision, uid: current.cluster.metadata.uid });
  }
  return updateClusterFlow({ store, name, actor: ctx.actor, apply: ctx.globals.yes, saved: saved && { plan: saved, file: opts.plan } }, (cs, current) =>
    planAndApply(ctx, store, cs, current.cluster, opts, { offlineIfNew: false, revision: current.revision, saved }),
  );
}

/** The plan is written after the cloud was read: a path it cannot be written to must fail first, as the bad flag it is. */
function checkOutPlanFolder(path: string, cwd: string): void {
  // `-` is stdin for -f; stdout already carries the printed plan (-o json), so the saved plan needs a file of its own.
  if (path === '-') throw new InvalidInputError('--out-plan -: the saved plan is written to a file, not to stdout', { hint: 'give a file, e.g. --out-plan plan.json (-o json prints the plan itself on stdout)' });
  if (existsSync(resolve(cwd, path)) && statSync(resolve(cwd, path)).isDirectory()) {
    throw new InvalidInputError(`--out-plan: ${path} is a folder`, { hint: `give a file path, e.g. --out-plan ${join(path, 'plan.json')}` });
  }
  const folder = dirname(resolve(cwd, path));
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new InvalidInputError(`--out-plan: cannot write ${path}: ${folder} is not a folder`, { hint: 'create the folder first, or give a path in an existing one' });
  }
}
