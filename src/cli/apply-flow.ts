// The shared tail of create, update and upgrade: the flags of an apply, and how its plan and outcome are shown. The
// pipeline itself (plan, check, apply, or render Terraform) is src/lifecycle/apply-flow.ts.

import type { Cluster } from '../api/index.js';
import { ExitCode, InvalidInputError } from '../core/errors.js';
import type { Provider } from '../core/provider.js';
import type { Plan, ResourceNode } from '../core/resource.js';
import type { BlobStore } from '../state/blob.js';
import type { ClusterStore } from '../state/cluster-store.js';
import { runApplyFlow } from '../lifecycle/apply-flow.js';
import type { CliContext } from './context.js';
import { renderPlan } from './render/plan.js';
import { printData } from './render/output.js';
import { liveDigest, writeSavedPlan, type SavedPlan } from '../lifecycle/saved-plan.js';
import { writeAdminContext } from './export-kubeconfig.js';
import { expandPath } from './paths.js';
import { suggest } from './suggest.js';
import { uncheckedSettings } from '../api/component-rules.js';

export interface ApplyFlags {
  target?: 'direct' | 'terraform';
  out?: string;
  detailedExitcode?: boolean;
  sshAcceptNew?: boolean;
  /** update: write the reviewed plan to this file (without --yes). */
  outPlan?: string;
  /** update: the saved plan file being applied (with --yes). */
  plan?: string;
  /** --admin[=DURATION]: after a successful --yes, write an admin context to the kubeconfig (true: the default lifetime). */
  admin?: string | boolean;
}

/** Flag checks that must fail before anything is written. */
export function checkApplyFlags(flags: ApplyFlags): void {
  if (flags.target === 'terraform' && !flags.out) {
    throw new InvalidInputError('--target terraform needs --out DIR', { hint: 'e.g. --target terraform --out ./tf' });
  }
  if (flags.out && flags.target !== 'terraform') {
    throw new InvalidInputError('--out is only used with --target terraform', { hint: 'add --target terraform, or drop --out' });
  }
  if ((flags.outPlan || flags.plan) && flags.target === 'terraform') {
    throw new InvalidInputError('saved plans (--out-plan, --plan) are for --target direct', { hint: 'drop --target terraform; Terraform has its own `terraform plan -out`' });
  }
  if (flags.outPlan && flags.plan) throw new InvalidInputError('--out-plan and --plan cannot be combined', { hint: 'plan with --out-plan FILE, then apply with --plan FILE --yes' });
}

/** Flag checks that need the global options: saved plans are written without --yes and applied with it. */
export function checkSavedPlanFlags(flags: ApplyFlags, yes: boolean): void {
  if (flags.outPlan && yes) throw new InvalidInputError('--out-plan writes a plan for review; it does not apply', { hint: 'drop --yes to save the plan, then apply it with --plan FILE --yes' });
  if (flags.plan && !yes) throw new InvalidInputError('--plan FILE applies a saved plan and needs --yes', { hint: 'add --yes; to look at the plan, read the file or run `k8sup update cluster NAME` again' });
  if (flags.admin !== undefined && flags.admin !== false && !yes) throw new InvalidInputError('--admin writes the kubeconfig after an apply and needs --yes', { hint: 'add --yes, or use `k8sup export kubeconfig NAME --admin DURATION`' });
}

/** `-v`: the exact script each pending step runs on its machine (bare metal: what will run on which host). */
async function printStepScripts(ctx: CliContext, provider: Provider<any>, cluster: Cluster, storeUrl: string, plan: Plan, nodes: ResourceNode[]): Promise<void> {
  const pending = new Set(plan.steps.filter((s) => s.action === 'create' || s.action === 'replace').map((s) => s.id));
  for (const node of nodes) {
    if (!pending.has(node.id)) continue;
    const script = await provider.stepScript!(cluster, node, storeUrl);
    if (script) ctx.out(`\n--- ${node.id}: the script it runs ---\n${script.endsWith('\n') ? script : `${script}\n`}`);
  }
}

/** What to run to apply a pending plan; a local store cannot apply a cloud cluster, so say so now. */
function announceNextStep(ctx: CliContext, provider: Provider<any>, storeUrl: string, applyWith: string): void {
  const schemes = provider.nodeStateStoreSchemes;
  if (!schemes || schemes.includes(new URL(storeUrl).protocol)) {
    ctx.io.emit({ code: 'next', level: 'info', message: `Apply with: ${applyWith}`, data: { command: applyWith } });
    return;
  }
  ctx.io.emit({
    code: 'note',
    level: 'info',
    message: `To apply it, keep the cluster state in ${schemes[0]}// storage (${provider.name} nodes read their bootstrap material from it): create it with --state ${schemes[0]}//BUCKET (or K8SUP_STATE_STORE), then ${applyWith.replace(/ --state \S+/, '')}`,
  });
}

/**
 * Plans the cluster and, with --yes, applies it (src/lifecycle/apply-flow.ts), printing the plan and what to run next.
 * A cluster that was never applied is planned offline (every resource is a create), so `create cluster` without --yes
 * needs no cloud account.
 */
export async function planAndApply(
  ctx: CliContext,
  store: BlobStore,
  cs: ClusterStore,
  cluster: Cluster,
  flags: ApplyFlags,
  opts: { offlineIfNew: boolean; revision: number; clients?: unknown; /** The command that applies this preview (default: update --yes). */ applyWith?: string; saved?: SavedPlan },
): Promise<number> {
  const name = cluster.metadata.name;
  const result = await runApplyFlow(
    {
      store,
      cs,
      cluster,
      io: ctx.io,
      env: ctx.env,
      home: ctx.home,
      signal: ctx.signal,
      sshAcceptNew: flags.sshAcceptNew,
      clients: opts.clients,
      revision: opts.revision,
      apply: ctx.globals.yes,
      offlineIfNew: opts.offlineIfNew,
      terraformDir: flags.target === 'terraform' ? expandPath(flags.out!, ctx) : undefined,
      saved: opts.saved ? { plan: opts.saved, file: flags.plan! } : undefined,
    },
    async ({ view, plan, nodes, provider }) => {
      printData(ctx, view, { table: () => renderPlan(view, { verbose: ctx.globals.verbose }) });
      for (const raw of uncheckedSettings(cluster)) ctx.note(`warning: UNCHECKED raw flags, passed as written (a wrong one stops the component): ${raw}`);
      if (ctx.globals.output === 'table' && ctx.globals.verbose && provider.stepScript) await printStepScripts(ctx, provider, cluster, store.url, plan, nodes);
    },
  );

  if (result.stage === 'terraform') {
    ctx.io.emit({ code: 'terraform.written', level: 'info', message: `Wrote Terraform for ${name}: ${result.files.join(', ')}`, data: { cluster: name, files: result.files } });
    if (result.needsBundles && !result.bundlesWritten) ctx.note(`The nodes load their bootstrap bundles from ${store.url}: write them with ${suggest(ctx, `update cluster ${name} --target terraform --out ${flags.out} --yes`)} before terraform apply.`);
    return ExitCode.OK;
  }
  if (result.stage === 'planned') {
    // An offline plan cannot know that the account already holds a cluster of this name (from another state store).
    if (result.offline) ctx.note(`This plan did not look at the cloud (nothing was applied from this state yet). Check it against the cloud with: ${suggest(ctx, `update cluster ${name}`)}`);
    if (flags.outPlan) {
      const file = await writeSavedPlan(flags.outPlan, ctx.cwd, { cluster: name, clusterUid: cluster.metadata.uid, specRevision: opts.revision, liveDigest: liveDigest(result.live ?? []), createdAt: new Date().toISOString(), plan: result.view });
      const command = suggest(ctx, `update cluster ${name} --plan ${flags.outPlan} --yes`);
      ctx.io.emit({ code: 'next', level: 'info', message: `Saved the plan to ${file}. Apply exactly this plan with: ${command}`, data: { command } });
    } else if (result.changes) announceNextStep(ctx, result.provider, store.url, opts.applyWith ?? suggest(ctx, `update cluster ${name} --yes`));
    return result.changes && flags.detailedExitcode ? ExitCode.CHANGES_PENDING : ExitCode.OK;
  }
  if (result.changes) {
    const validate = suggest(ctx, `validate cluster ${name} --wait 10m`);
    ctx.io.emit({ code: 'cluster.applied', level: 'info', message: `Cluster ${name} is applied (revision ${opts.revision}).`, data: { cluster: name, revision: opts.revision } });
    ctx.io.emit({ code: 'next', level: 'info', message: `Check it with: ${validate}`, data: { command: validate } });
  }
  if (flags.admin !== undefined && flags.admin !== false) ctx.note((await writeAdminContext(ctx, cs, name, flags.admin)).message);
  return ExitCode.OK;
}
