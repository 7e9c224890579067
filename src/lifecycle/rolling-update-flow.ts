// rolling-update cluster: the cluster's spec → its provider's rollingUpdate capability → the instances of every group
// (src/lifecycle/rolling-update.ts plans and replaces them) → with apply (--yes), under the cluster's lock for the
// whole run, an etcd snapshot before the first control plane is touched, then the replacements. The CLI
// (src/cli/rolling-update.ts) turns flags into this input and renders the plan and outcome; nothing here prints.

import { cloudFacts } from '../../providers/index.js';
import type { Cluster } from '../api/index.js';
import { InvalidInputError, OperationError } from '../core/errors.js';
import type { IoHost } from '../core/io.js';
import type { Provider } from '../core/provider.js';
import type { BlobStore } from '../state/blob.js';
import { ClusterStore } from '../state/cluster-store.js';
import { adminKubeconfig } from './admin-credential.js';
import { loadProviderFor } from './deploy.js';
import { snapshotBeforeChange } from './snapshot-before-change.js';
import { snapshotWaitFromEnv } from './etcd-control.js';
import { providerState } from './provider-state.js';
import { checkControlPlaneRoll, checkInstanceGroup, controlPlaneRollable, planRollingUpdate, runRollingUpdate, type KubeSide, type RollingUpdatePlan, type RollingUpdateResult } from './rolling-update.js';
import { mutateCluster, readSpec, type Actor } from './spec-store.js';

/** The admin credential must outlive the whole run (every drain, replacement and validation). */
const CREDENTIAL_TTL = '6h';

export interface RollingUpdateFlowInput {
  store: BlobStore;
  name: string;
  actor: Actor;
  /** --yes: replace; otherwise only list. */
  apply: boolean;
  /** --force: replace up-to-date instances too, and go on where the API cannot drain or validate. */
  force: boolean;
  /** --instance-group: only this spec group. */
  instanceGroup?: string;
  io: IoHost;
  env: Record<string, string | undefined>;
  home: string;
  signal?: AbortSignal;
}

/**
 * `nothing`: no instance to replace; `listed`: the preview (without --yes), with the refusal --yes would meet;
 * `replaced`: the run's result.
 */
export type RollingUpdateOutcome = { stage: 'nothing' } | { stage: 'listed'; toReplace: number; refusal?: string } | { stage: 'replaced'; result: RollingUpdateResult };

/** Providers without replaceable instances (bare metal) offer no rollingUpdate capability. */
function capabilityOf(provider: Provider<any>, cluster: Cluster) {
  if (!provider.rollingUpdate) {
    const where = cloudFacts(provider.name)?.title ?? provider.name;
    throw new InvalidInputError(`${cluster.metadata.name} runs on ${where}, whose machines are not replaceable instances, so there is nothing to roll`, {
      hint: `apply configuration changes to the machines with \`k8sup update cluster ${cluster.metadata.name} --yes\``,
    });
  }
  return provider.rollingUpdate;
}

/** `show` gets the plan before anything is replaced (the CLI prints it there). */
export async function rollingUpdateFlow(input: RollingUpdateFlowInput, show: (plan: RollingUpdatePlan) => void): Promise<RollingUpdateOutcome> {
  const { store, name, force, instanceGroup, io } = input;
  const run = async (cs: ClusterStore): Promise<RollingUpdateOutcome> => {
    const { cluster } = await readSpec(cs, name);
    const provider = await loadProviderFor(cluster);
    const capability = capabilityOf(provider, cluster);
    checkInstanceGroup(cluster, instanceGroup); // exit 2 before any cloud call
    const snapshotWaitMs = snapshotWaitFromEnv(input.env);
    const clients = await provider.connect(cluster, { io, env: input.env, signal: input.signal, home: input.home, state: providerState(store, name) });
    const groups = await capability.listGroups(cluster, clients);
    // --force pulls up-to-date control planes in only where they can be replaced (3 or more): elsewhere it would turn a
    // forced roll of the node groups into a refusal.
    const plan = planRollingUpdate(cluster, groups, { force, instanceGroup, forceControlPlane: controlPlaneRollable(cluster) });
    show(plan);
    if (plan.toReplace === 0) return { stage: 'nothing' };
    if (!input.apply) {
      try {
        checkControlPlaneRoll(plan, cluster, instanceGroup !== undefined);
      } catch (e) {
        // The listing still succeeds; --yes would refuse with exit 2.
        return { stage: 'listed', toReplace: plan.toReplace, refusal: (e as Error).message };
      }
      return { stage: 'listed', toReplace: plan.toReplace };
    }
    const result = await runRollingUpdate(plan, {
      cluster,
      capability,
      clients,
      openKube: () => openKube(cs, cluster, io, input.signal),
      beforeControlPlane: () => etcdSnapshotBeforeControlPlanes(store, cluster, provider, clients, io, { waitMs: snapshotWaitMs, signal: input.signal, by: input.actor.owner }),
      io,
      signal: input.signal,
      force,
      scoped: instanceGroup !== undefined,
    });
    return { stage: 'replaced', result };
  };
  if (!input.apply) return run(new ClusterStore(store, name));
  // Bad input the spec alone shows (no such cluster, a provider without instances, an unknown --instance-group) exits
  // 2 before the lock is taken, so it writes nothing; checked again under the lock.
  const { cluster } = await readSpec(new ClusterStore(store, name), name);
  capabilityOf(await loadProviderFor(cluster), cluster);
  checkInstanceGroup(cluster, instanceGroup);
  return mutateCluster(store, name, input.actor, 'rolling-update cluster', (cs) => run(cs));
}

/**
 * Before the first control plane is drained: an etcd snapshot taken now (docs/backups.md, "Before changes") — by the
 * provider where it runs commands on its control planes, else by a control plane through the state store's control
 * folder (snapshotBeforeChange fails the run, before anything changed, when none answers in time). A cluster
 * without spec.etcd.backups has no backup scripts on its control planes: the run goes on and says so.
 */
export async function etcdSnapshotBeforeControlPlanes(
  store: BlobStore,
  cluster: Cluster,
  provider: Provider<any>,
  clients: unknown,
  io: IoHost,
  opts: { waitMs?: number; signal?: AbortSignal; by?: string } = {},
): Promise<void> {
  const name = cluster.metadata.name;
  if (!provider.etcdBackup && !cluster.spec.etcd?.backups) {
    io.emit({ code: 'rolling-update.no-snapshot', level: 'warn', message: `no etcd snapshot of ${name} before its control planes are replaced: without spec.etcd.backups its control planes carry no backup scripts (docs/backups.md)` });
    return;
  }
  const backup = await snapshotBeforeChange({ store, cluster, provider, clients, io, ...opts });
  io.emit({ code: 'rolling-update.etcd-snapshot', level: 'info', message: `etcd snapshot before the control planes are replaced: backup ${backup.id} (revision ${backup.revision}, ${backup.time})`, data: { backup: backup.id } });
}

/** The API through a fresh admin credential for the recorded endpoint (as `validate cluster` does). */
export async function openKube(cs: ClusterStore, cluster: Cluster, io: IoHost, signal: AbortSignal | undefined): Promise<KubeSide> {
  const kc = await adminKubeconfig(cs, cluster.metadata.name, CREDENTIAL_TTL);
  if (!kc.recorded) {
    throw new OperationError(`no API endpoint is recorded for ${cluster.metadata.name}, so its nodes cannot be drained`, {
      hint: `apply the cluster first with \`k8sup update cluster ${cluster.metadata.name} --yes\``,
    });
  }
  const target = { kubeconfigYaml: kc.yaml };
  const [{ openNodeOps }, { validateCluster }] = await Promise.all([import('./rolling-update-kube.js'), import('../validate/index.js')]);
  const ops = await openNodeOps(target, { signal });
  return {
    ops,
    validate: (waitMs) => validateCluster(cluster, target, { waitMs, count: 1, intervalMs: 2000, io, signal }),
  };
}
