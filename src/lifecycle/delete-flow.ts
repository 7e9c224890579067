// delete cluster: every resource of the cluster (found by its ownership tags/labels and by the journal) is listed; with
// apply (--yes) they are all deleted under the cluster's lock, then the cluster's state. "Never applied" is only said
// when the cloud holds nothing of the cluster. Without a state (`--cloud … --region …`) it deletes what carries the
// cluster's ownership tags. The CLI (src/cli/delete-cluster.ts) turns flags into this input and renders what comes
// out; nothing here prints.

import type { Cluster } from '../api/index.js';
import { cloudFacts, loadProvider, type CloudName } from '../../providers/index.js';
import { InvalidInputError } from '../core/errors.js';
import { reviewPlan, type PlanView } from '../core/plan-view.js';
import type { BlobStore } from '../state/blob.js';
import { ClusterStore, type Lease } from '../state/cluster-store.js';
import { settleAll } from '../state/in-flight.js';
import { desiredGraph, destroyAll, hasApplied, loadProviderFor, mayHaveCloudObjects, planDeleteByOwnership, type FlowHost } from './deploy.js';
import { loadCaCert } from './pki-store.js';
import { mutateCluster, readSpec, type Actor } from './spec-store.js';

export interface DeleteFlowInput extends FlowHost {
  store: BlobStore;
  name: string;
  actor: Actor;
  /** --yes: delete; otherwise only list (and take no lock: a listing writes nothing, not even lock.json). */
  apply: boolean;
  /** --cluster-id: delete exactly this identity's objects. */
  clusterId?: string;
  /** --cloud/--region/--project: where to look when the store has no state for the cluster. */
  orphan?: { cloud: string; region?: string; project?: string };
}

export interface DeleteFlowHost {
  /** The resources to delete, before any is (the CLI prints them). */
  showPlan(view: PlanView): void;
  /** A cluster with nothing in the cloud: the document of its (empty) delete plan, and the table line. */
  showNothingApplied(doc: PlanView & { stateObjects: number }): void;
  /** After the state is gone: remove the local kubeconfig entries k8sup wrote for the cluster (its CA names them). */
  forgetKubeconfig(caCertPem: string): Promise<void>;
}

/** The document and table of a state-less delete that found nothing. */
export interface OrphanNothing {
  cluster: string;
  steps: [];
  cloud: string;
  region: string;
  clusterId?: string;
}

export interface OrphanDeleteHost {
  /** `stateKept`: the store holds a cluster of this name with that other id, which is not touched. */
  showNothing(found: OrphanNothing, kept: { stateKept?: string }): void;
  /** What is about to be deleted, and where it was found. */
  showPlan(view: PlanView, where: { cloud: string; region: string; clusterId?: string; stateKept?: string }): void;
}

/**
 * What was done. `listed` is a preview (without --yes) of the cloud resources, of the state objects alone, or of what
 * carries the ownership tags of a cluster without state (`orphans`); `nothing`: no state and no tagged object.
 */
export type DeleteOutcome = { stage: 'listed'; what: 'resources' | 'state' | 'orphans' } | { stage: 'deleted' } | { stage: 'orphans-deleted' } | { stage: 'nothing' };

/**
 * With state: the cluster's delete (see the file comment). When the store holds the cluster, `orphan` must name where
 * it is (or be left out): `--cloud gce --region europe-west1` meant "clean up there", never "delete this aws cluster".
 */
export async function deleteClusterFlow(input: DeleteFlowInput, host: DeleteFlowHost & { orphan: OrphanDeleteHost }): Promise<DeleteOutcome> {
  const { store, name } = input;
  if (input.orphan !== undefined) {
    if (!(await new ClusterStore(store, name).latest())) return deleteWithoutState(input, input.orphan, host.orphan);
    const { cluster } = await readSpec(new ClusterStore(store, name), name);
    // --cluster-id of another identity (the way out the error below names): that cluster's objects, found by their
    // tags; the state of this store's cluster stays.
    if (input.clusterId !== undefined && cluster.metadata.uid && input.clusterId !== cluster.metadata.uid) {
      return deleteWithoutState(input, input.orphan, host.orphan, { stateKept: cluster.metadata.uid });
    }
    assertOrphanScopeIsTheCluster(name, cluster.spec, input.orphan);
  }
  const run = async (cs: ClusterStore, lease?: Lease): Promise<DeleteOutcome> => {
    // The spec and the journal are read together (the journal's key does not depend on the spec).
    const [{ cluster }, applied] = await settleAll([readSpec(cs, name), hasApplied(cs)]);
    const clusterIdFlag = input.clusterId;
    if (clusterIdFlag !== undefined) assertClusterId(name, cluster, clusterIdFlag);
    const provider = await loadProviderFor(cluster);
    if (applied || mayHaveCloudObjects(provider, store.url)) {
      // --cluster-id: delete exactly this identity's objects and leave a same-named cluster of another store alone.
      const identity = clusterIdFlag !== undefined ? { cluster: { ...cluster, metadata: { ...cluster.metadata, uid: clusterIdFlag } }, otherClusters: 'skip' as const } : { cluster };
      const dctx = { store, cs, io: input.io, env: input.env, home: input.home, signal: input.signal, sshAcceptNew: Boolean(input.sshAcceptNew), ...identity };
      const nodes = await desiredGraph(dctx, provider);
      const { plan, run } = await destroyAll(dctx, provider, nodes);
      if (applied || plan.steps.length > 0) {
        host.showPlan(reviewPlan(plan, provider.handlers));
        if (!input.apply) return { stage: 'listed', what: 'resources' };
        // Throws (exit 1, naming what is left) unless every resource is gone; the state is kept until then.
        await run();
        return forgetCluster(input, host, cs, lease!);
      }
    }
    // The same document as an applied cluster's delete plan (no steps), plus what --yes removes from the store.
    host.showNothingApplied({ ...reviewPlan({ cluster: name, steps: [] }, []), stateObjects: (await new ClusterStore(store, name).ownKeys()).length });
    if (!input.apply) return { stage: 'listed', what: 'state' };
    return forgetCluster(input, host, cs, lease!);
  };
  if (!input.apply) return run(new ClusterStore(store, name));
  // --cluster-id of another identity is bad input the spec shows: refused before the lock (checked again under it).
  if (input.clusterId !== undefined && input.orphan === undefined) assertClusterId(name, (await readSpec(new ClusterStore(store, name), name)).cluster, input.clusterId);
  return mutateCluster(store, name, input.actor, 'delete cluster', run, { existing: true });
}

/** --cluster-id must be the stored cluster's id (a cluster created before uids existed has none to compare). */
function assertClusterId(name: string, cluster: Cluster, clusterId: string): void {
  const uid = cluster.metadata.uid;
  if (!uid || clusterId === uid) return;
  throw new InvalidInputError(`--cluster-id ${clusterId} is not the id of ${name} in this state store (${uid})`, {
    hint: `drop --cluster-id, or delete the other cluster without its state: k8sup delete cluster ${name} --cloud ${cluster.spec.cloud} --region ${cluster.spec.region} --cluster-id ${clusterId}`,
  });
}

/** Deletes the cluster's state, then (through the host) the kubeconfig entries k8sup wrote for it. */
async function forgetCluster(input: DeleteFlowInput, host: DeleteFlowHost, cs: ClusterStore, lease: Lease): Promise<DeleteOutcome> {
  // The CA certificate identifies the kubeconfig entries k8sup wrote for this cluster; read it before the state goes.
  // Only it: a delete interrupted while it removed the state left part of the PKI, and that must not stop this one.
  const [caCertPem, keys] = await settleAll([loadCaCert(cs.store, input.name), cs.ownKeys()]);
  await cs.deleteAll({ lease, keys });
  input.io.emit({ code: 'cluster.deleted', level: 'info', message: `Deleted cluster ${input.name}.`, data: { cluster: input.name } });
  if (caCertPem) await host.forgetKubeconfig(caCertPem);
  return { stage: 'deleted' };
}

/** --cloud/--region/--project given for a cluster the store holds: they must be its own (exit 2 before anything otherwise). */
function assertOrphanScopeIsTheCluster(name: string, spec: { cloud: string; region?: string; project?: string }, where: NonNullable<DeleteFlowInput['orphan']>): void {
  const differs = [
    where.cloud !== spec.cloud ? `--cloud ${where.cloud}` : '',
    where.region !== undefined && where.region !== spec.region ? `--region ${where.region}` : '',
    where.project !== undefined && where.project !== spec.project ? `--project ${where.project}` : '',
  ].filter(Boolean);
  if (!differs.length) return;
  const at = [spec.cloud, spec.region, spec.project].filter(Boolean).join(' ');
  throw new InvalidInputError(`${differs.join(' ')}: the state store holds ${name} on ${at}, so this would delete that cluster, not look elsewhere`, {
    hint: `to delete ${name} with its state, drop --cloud, --region and --project; to clean up another cluster of this name elsewhere, use the state store that lost it (--state) or one without ${name}`,
  });
}

/** `delete cluster NAME --cloud C --region R [--project P] [--cluster-id ID]`: the state is gone; the tags say what is the cluster's. */
async function deleteWithoutState(input: DeleteFlowInput, where: NonNullable<DeleteFlowInput['orphan']>, host: OrphanDeleteHost, kept: { stateKept?: string } = {}): Promise<DeleteOutcome> {
  const { name } = input;
  // commander's choices for --cloud are the clouds with an orphanScope (src/cli/main.ts).
  const cloud = where.cloud as CloudName;
  const facts = cloudFacts(cloud);
  const needs = facts?.orphanScope;
  if (!where.region) throw new InvalidInputError(`delete cluster ${name} --cloud ${cloud} without a state needs --region`, { hint: `e.g. --region ${needs?.exampleRegion ?? 'REGION'}` });
  // The regions --zones accepts: a cluster can only have been made in one of them, and a typo must not reach the API.
  const regions = facts?.zones?.regions;
  if (regions && !Object.hasOwn(regions, where.region)) {
    throw new InvalidInputError(`--region: unknown ${cloud} region "${where.region}"`, { hint: `give the region of the cluster's zones, e.g. --region ${needs?.exampleRegion ?? 'REGION'}` });
  }
  if (needs?.needsProject && !where.project) throw new InvalidInputError(`delete cluster ${name} --cloud ${cloud} without a state needs --project`, { hint: 'add --project my-project' });
  const provider = await loadProvider(cloud);
  const scope = { name, cloud, region: where.region, project: where.project, clusterId: input.clusterId };
  const found = await planDeleteByOwnership({ store: input.store, io: input.io, env: input.env, home: input.home, signal: input.signal }, provider, scope);
  if (found.plan.steps.length === 0) {
    host.showNothing({ cluster: name, steps: [], cloud, region: scope.region, clusterId: found.clusterId }, kept);
    return { stage: 'nothing' };
  }
  host.showPlan(reviewPlan(found.plan, provider.handlers), { cloud, region: scope.region, clusterId: found.clusterId, ...kept });
  if (!input.apply) return { stage: 'listed', what: 'orphans' };
  await found.run();
  return { stage: 'orphans-deleted' };
}
