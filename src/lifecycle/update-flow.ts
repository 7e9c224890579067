// update cluster: the stored spec's latest revision, checked (a saved plan's revision, the fields that cannot
// change), then handed to the apply pipeline (apply-flow.ts). Planning takes no lock and writes nothing; applying
// holds the cluster's lock for the whole run. The CLI (src/cli/update-cluster.ts) renders the plan and outcome.

import type { BlobStore } from '../state/blob.js';
import { ClusterStore } from '../state/cluster-store.js';
import { checkImmutableFields } from './immutable-fields.js';
import { checkSavedPlanSpec, type SavedPlan } from './saved-plan.js';
import { mutateCluster, readSpec, type Actor, type CurrentSpec } from './spec-store.js';

export interface UpdateFlowInput {
  store: BlobStore;
  name: string;
  actor: Actor;
  /** --yes: apply under the cluster's lock; otherwise only plan. */
  apply: boolean;
  /** --plan FILE: the saved plan to apply, and its file (for messages). */
  saved?: { plan: SavedPlan; file: string };
}

/** `planAndApply` plans and (with --yes) applies the checked revision; the CLI's apply-flow.ts renders it. */
export async function updateClusterFlow(input: UpdateFlowInput, planAndApply: (cs: ClusterStore, current: CurrentSpec) => Promise<number>): Promise<number> {
  const { store, name, saved } = input;
  const planIt = async (cs: ClusterStore) => {
    const current = await readSpec(cs, name);
    if (saved) checkSavedPlanSpec(saved.plan, saved.file, { name, revision: current.revision, uid: current.cluster.metadata.uid });
    // A revision that changes what cannot change (e.g. restored by rollback) is refused before any cloud call.
    await checkImmutableFields(cs, name, current, current.cluster, `revision ${current.revision}`);
    return planAndApply(cs, current);
  };
  if (!input.apply) return planIt(new ClusterStore(store, name));
  return mutateCluster(store, name, input.actor, 'update cluster', planIt, { existing: true });
}
