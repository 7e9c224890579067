// One cluster's apply pipeline, shared by create, update and upgrade: provider → desired graph → either the Terraform
// files, or a plan (offline for a cluster never applied, else against the cloud) → saved-plan check → shown → applied.
// The CLI (src/cli/apply-flow.ts) turns flags into this input and renders what comes out; nothing here prints.

import type { Cluster } from '../api/index.js';
import { isEmptyPlan } from '../core/engine.js';
import { reviewPlan, type PlanView } from '../core/plan-view.js';
import type { Provider } from '../core/provider.js';
import type { LiveResource, Plan, ResourceNode } from '../core/resource.js';
import { missingRegistrySecret } from './registry-secrets.js';
import { assertNodesCanReadStore, desiredGraph, hasApplied, loadProviderFor, offlinePlan, planAgainstCloud, writeBootstrapBundles, writeTerraform, type DeployContext } from './deploy.js';
import { checkSavedPlanLive, liveDigest, planFromSaved, type SavedPlan } from './saved-plan.js';

export interface ApplyFlowInput extends Omit<DeployContext, 'revision' | 'otherClusters'> {
  /** The spec revision being planned or applied. */
  revision: number;
  /** Apply the plan (--yes); otherwise only plan. */
  apply: boolean;
  /** A cluster nothing was applied from yet is planned without the cloud (every resource a create), unless applying. */
  offlineIfNew: boolean;
  /** Write Terraform to this directory instead of planning (--target terraform --out). */
  terraformDir?: string;
  /** A reviewed plan to apply exactly (--plan FILE): refused if the cloud changed since it was made. */
  saved?: { plan: SavedPlan; file: string };
}

export interface PlannedCluster {
  provider: Provider<any>;
  nodes: ResourceNode[];
  plan: Plan;
  view: PlanView;
  /** What the cloud reported; undefined for an offline plan. */
  live?: LiveResource[];
  offline: boolean;
  changes: boolean;
}

export type ApplyFlowResult = { stage: 'terraform'; files: string[]; bundlesWritten: boolean; needsBundles: boolean } | ({ stage: 'planned' | 'applied' } & PlannedCluster);

/** Runs the pipeline; `show` is called with the plan before anything is applied (the CLI prints it there). */
export async function runApplyFlow(input: ApplyFlowInput, show: (planned: PlannedCluster) => Promise<void>): Promise<ApplyFlowResult> {
  const provider = await loadProviderFor(input.cluster);
  if (input.apply || input.terraformDir !== undefined) assertNodesCanReadStore(provider, input.store.url);
  const missingSecret = await missingRegistrySecret(input.store, input.cluster);
  if (missingSecret && input.apply) throw missingSecret;
  if (missingSecret) input.io.emit({ code: 'note', level: 'warn', message: `${missingSecret.message} (${missingSecret.hint})`, data: {} });
  const dctx: DeployContext = { store: input.store, cs: input.cs, cluster: input.cluster, io: input.io, env: input.env, home: input.home, signal: input.signal, sshAcceptNew: input.sshAcceptNew, clients: input.clients, revision: input.revision };
  const nodes = await desiredGraph(dctx, provider);

  if (input.terraformDir !== undefined) {
    const files = await writeTerraform(provider, input.cluster, nodes, input.terraformDir);
    // The instances Terraform creates load their bootstrap bundles from the state store (like kops, k8sup writes them
    // there, not Terraform); only with --yes, which holds the cluster's lock.
    const bundlesWritten = input.apply ? (await writeBootstrapBundles(dctx, provider)).length > 0 : false;
    return { stage: 'terraform', files, bundlesWritten, needsBundles: Boolean(provider.bootstrapBundles) };
  }

  const offline = !input.apply && input.offlineIfNew && !(await hasApplied(input.cs));
  // An apply's bootstrap bundles (those not in the store yet) are written while the cloud is asked what exists, not
  // after the plan: off the command's chain of state round trips (issue 17). Not for a saved plan, which must
  // match the cloud before anything is written.
  const bundles = input.apply && !input.saved ? writeBootstrapBundles(dctx, provider, { missingOnly: true }) : undefined;
  bundles?.catch(() => undefined); // its failure is the apply's (or the no-op's, below), not an unhandled one meanwhile
  try {
    const live = offline ? undefined : await planAgainstCloud(dctx, provider, nodes, bundles);
    const plan = live?.plan ?? offlinePlan(dctx, provider, nodes);
    const view = reviewPlan(plan, provider.handlers);
    // A saved plan applies only if the cloud is still what it was planned against (exit 3 before anything changes).
    if (input.saved) checkSavedPlanLive(input.saved.plan, input.saved.file, liveDigest(live!.live), view);
    const planned: PlannedCluster = { provider, nodes, plan, view, live: live?.live, offline, changes: !isEmptyPlan(plan) };
    await show(planned);
    if (!input.apply) return { stage: 'planned', ...planned };
    if (planned.changes) await live!.apply(input.saved ? planFromSaved(input.saved.plan) : undefined);
    // With nothing to apply, a bundle that was missing and could not be written still fails the run.
    else await bundles;
    return { stage: 'applied', ...planned };
  } finally {
    // However the run ends, no write of it is still in flight when it returns (and releases the cluster's lock).
    await bundles?.catch(() => undefined);
  }
}
