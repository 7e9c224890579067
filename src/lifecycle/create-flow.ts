// create cluster / create -f: store a new cluster's PKI and first revision (under its lock), then plan or apply it.
//
// Atomic creation: the parts (PKI) are written first and the revision that makes the cluster visible — spec and
// identity (metadata.uid) in one object — last. An interrupted create is therefore either absent (`get clusters`
// does not list it) or complete; running the same `create` again finishes it, whichever step it stopped at.

import { randomUUID } from 'node:crypto';
import { clusterToYaml, parseClusterText, type Cluster } from '../api/index.js';
import { InvalidInputError } from '../core/errors.js';
import type { BlobStore } from '../state/blob.js';
import type { ClusterStore } from '../state/cluster-store.js';
import { assertNodesCanReadStore, connectProvider, desiredGraph, loadProviderFor, type FlowHost } from './deploy.js';
import { withNewClusterSettings } from '../api/defaults.js';
import { withDefaultEtcdBackups } from '../api/etcd-backups.js';
import { ensureSettingSecrets, generatePki, readPki, storePkiForCreate } from './pki-store.js';
import { mutateCluster, writeSpec, type Actor } from './spec-store.js';
import { withStateStoreRegion } from './state-store-region.js';
import { settleAll } from '../state/in-flight.js';

export interface CreateFlowInput extends FlowHost {
  store: BlobStore;
  /** The spec as given (its uid and revision are not used). */
  given: Cluster;
  actor: Actor;
  /** --yes: the cloud is asked before the first write. */
  apply: boolean;
  /** --target terraform: no cloud call at all. */
  terraform: boolean;
}

export interface CreateFlowHost {
  /** A message for people (not progress). */
  note(text: string): void;
  /**
   * Plans and (with --yes) applies revision 1 of the stored cluster, under its lock. `resumed`: an earlier run of this
   * create had stored it already.
   */
  planAndApply(cs: ClusterStore, cluster: Cluster, opts: { clients?: unknown; resumed: boolean }): Promise<number>;
}

/**
 * The spec without its identity, its revision and what create looks up itself (the state bucket's region): what
 * "the same create" compares.
 */
function specOnly(cluster: Cluster): string {
  const { stateStore: _lookedUp, ...spec } = cluster.spec;
  return clusterToYaml({ ...cluster, metadata: { name: cluster.metadata.name }, spec: spec as Cluster['spec'] });
}

/**
 * The stored cluster if it is this very create, run before (only its first revision exists and it holds exactly
 * this spec): the re-run finishes it. Anything else already exists. `alike` are the specs that count as this create:
 * the requested one and, for a state an older k8sup stored before the create-time settings existed, the input
 * without them.
 */
async function earlierRunOfThisCreate(cs: ClusterStore, cluster: Cluster, alike: readonly Cluster[] = [cluster]): Promise<Cluster | null> {
  const numbers = await cs.revisionNumbers();
  if (numbers.length === 0) return null;
  const first = numbers.length === 1 ? await cs.revision(numbers[0]) : null;
  const stored = first ? parseClusterText(first.yaml, `${cluster.metadata.name} revision ${first.revision}`, { stored: true }) : null;
  if (stored && alike.some((c) => specOnly(stored) === specOnly(c))) return stored;
  throw new InvalidInputError(`cluster "${cluster.metadata.name}" already exists in ${cs.store.url}`, {
    hint: `change it with \`k8sup edit cluster ${cluster.metadata.name}\` or \`k8sup replace -f FILE\`, or delete it first`,
  });
}

export async function createClusterFlow(input: CreateFlowInput, host: CreateFlowHost): Promise<number> {
  const { store, given } = input;
  const name = given.metadata.name;
  // Asked once, here, and kept in the spec: nodes address the state bucket in its own region.
  // A new cluster gets audit logging and Secrets encryption unless the input turns them off (docs/spec.md).
  // New clusters also back up etcd on a schedule unless their spec says otherwise (docs/backups.md).
  // The PKI is generated while the region is asked (its keys take CPU, the lookup a state round trip).
  const [located, fresh] = await settleAll([withStateStoreRegion(given, store), generatePki(name)]);
  const requested = withDefaultEtcdBackups(withNewClusterSettings(located));
  // Everything that can reject the input runs before the first write: the store must suit an apply, and the
  // provider must be able to build the cluster's resources (bootstrap scripts included) from this spec.
  const provider = await loadProviderFor(requested);
  if (input.apply || input.terraform) assertNodesCanReadStore(provider, store.url);
  await desiredGraph({ store, cluster: requested }, provider, fresh.public);
  // With --yes the cloud is asked now (credentials, region, zones): a zone the account cannot use is exit 2 with
  // nothing written, not a stored spec that can never apply.
  const clients =
    input.apply && !input.terraform
      ? await connectProvider({ store, cluster: requested, io: input.io, env: input.env, home: input.home, signal: input.signal, sshAcceptNew: input.sshAcceptNew }, provider)
      : undefined;
  // The identity is k8sup's to mint (like a Kubernetes object's uid): one copied from another cluster's document
  // must not make two clusters one.
  if (requested.metadata.uid !== undefined || requested.metadata.revision !== undefined) {
    host.note('note: metadata.uid and metadata.revision of the input are not used; create gives the cluster its own identity.');
  }

  return mutateCluster(store, name, input.actor, 'create cluster', async (cs) => {
    // The reads under the lock go out together, and so do the writes of the parts; the revision that makes the
    // cluster visible is written last, alone (issue 17: a create's state round trips do not grow with the cluster).
    const [earlier, storedPki] = await settleAll([earlierRunOfThisCreate(cs, requested, [requested, located]), readPki(store, name)]);
    if (earlier) {
      // Revision 1 is there (an older k8sup wrote it before the PKI): completing the PKI happens in the graph step
      // of planAndApply, which holds the lock and replaces a partial PKI while nothing was applied.
      host.note(`Cluster ${name} was already stored by an earlier run of this create (revision 1); finishing it.`);
      return host.planAndApply(cs, earlier, { clients, resumed: true });
    }
    await settleAll([storePkiForCreate(store, name, fresh.pki, storedPki), ensureSettingSecrets(store, requested, true, { creating: true })]);
    const cluster: Cluster = { ...requested, metadata: { name, uid: randomUUID() } };
    // No revision was listed just now under the lock: the create-only write needs no second listing.
    await writeSpec(cs, cluster, 0, input.actor, 'create', { listedUnderLock: true });
    input.io.emit({ code: 'cluster.stored', level: 'info', message: `Stored cluster ${name} (revision 1, uid ${cluster.metadata.uid}) and its PKI in ${store.url}.`, data: { cluster: name, revision: 1, store: store.url } });
    return host.planAndApply(cs, cluster, { clients, resumed: false });
  });
}
