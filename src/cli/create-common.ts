// create cluster / create -f: store a new cluster's PKI and first revision (under its lock), then plan or apply.
//
// Atomic creation: the parts (PKI) are written first and the revision that makes the cluster visible — spec and
// identity (metadata.uid) in one object — last. An interrupted create is therefore either absent (`get clusters`
// does not list it) or complete; running the same `create` again finishes it, whichever step it stopped at.

import { randomUUID } from 'node:crypto';
import { clusterToYaml, parseClusterText, type Cluster } from '../api/index.js';
import { InvalidInputError, K8supError, OperationError } from '../core/errors.js';
import { assertNodesCanReadStore, connectProvider, desiredGraph, loadProviderFor } from '../cluster/deploy.js';
import { generatePki, storePkiForCreate } from '../cluster/pki-store.js';
import { mutateCluster, writeSpec } from '../cluster/spec-store.js';
import type { ClusterStore } from '../state/cluster-store.js';
import { withStateStoreRegion } from '../cluster/state-store-region.js';
import { withDefaultEtcdBackups } from '../api/etcd-backups.js';
import { checkSavedPlanFlags, planAndApply, type ApplyFlags } from './apply-flow.js';
import type { CliContext } from './context.js';
import { suggest } from './suggest.js';

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
 * this spec): the re-run finishes it. Anything else already exists.
 */
async function earlierRunOfThisCreate(cs: ClusterStore, cluster: Cluster): Promise<Cluster | null> {
  const numbers = await cs.revisionNumbers();
  if (numbers.length === 0) return null;
  const first = numbers.length === 1 ? await cs.revision(numbers[0]) : null;
  const stored = first ? parseClusterText(first.yaml, `${cluster.metadata.name} revision ${first.revision}`) : null;
  if (stored && specOnly(stored) === specOnly(cluster)) return stored;
  throw new InvalidInputError(`cluster "${cluster.metadata.name}" already exists in ${cs.store.url}`, {
    hint: `change it with \`k8sup edit cluster ${cluster.metadata.name}\` or \`k8sup replace -f FILE\`, or delete it first`,
  });
}

export async function createCluster(ctx: CliContext, given: Cluster, flags: ApplyFlags): Promise<number> {
  const name = given.metadata.name;
  checkSavedPlanFlags({ admin: flags.admin }, ctx.globals.yes);
  if (typeof flags.admin === 'string') (await import('../pki/index.js')).parseDuration(flags.admin);
  const store = await ctx.openStore();
  // Asked once, here, and kept in the spec: nodes address the state bucket in its own region.
  // New clusters back up etcd on a schedule unless their spec says otherwise (docs/backups.md).
  const requested = withDefaultEtcdBackups(await withStateStoreRegion(given, store));
  // Everything that can reject the input runs before the first write: the store must suit an apply, and the
  // provider must be able to build the cluster's resources (bootstrap scripts included) from this spec.
  const provider = await loadProviderFor(requested);
  if (ctx.globals.yes || flags.target === 'terraform') assertNodesCanReadStore(provider, store.url);
  const fresh = await generatePki(name);
  await desiredGraph({ store, cluster: requested }, provider, fresh.public);
  // With --yes the cloud is asked now (credentials, region, zones): a zone the account cannot use is exit 2 with
  // nothing written, not a stored spec that can never apply.
  const clients = ctx.globals.yes && flags.target !== 'terraform'
    ? await connectProvider({ store, cluster: requested, io: ctx.io, env: ctx.env, home: ctx.home, signal: ctx.signal, sshAcceptNew: flags.sshAcceptNew }, provider)
    : undefined;
  // The identity is k8sup's to mint (like a Kubernetes object's uid): one copied from another cluster's document
  // must not make two clusters one.
  if (requested.metadata.uid !== undefined || requested.metadata.revision !== undefined) {
    ctx.note('note: metadata.uid and metadata.revision of the input are not used; create gives the cluster its own identity.');
  }

  return mutateCluster(store, name, ctx.actor, 'create cluster', async (cs) => {
    const earlier = await earlierRunOfThisCreate(cs, requested);
    if (earlier) {
      // Revision 1 is there (an older k8sup wrote it before the PKI): completing the PKI happens in the graph step
      // below, which holds the lock and replaces a partial PKI while nothing was applied.
      ctx.note(`Cluster ${name} was already stored by an earlier run of this create (revision 1); finishing it.`);
      return planAndApply(ctx, store, cs, earlier, flags, { offlineIfNew: true, clients, revision: 1 });
    }
    await storePkiForCreate(store, name, fresh.pki);
    const cluster: Cluster = { ...requested, metadata: { name, uid: randomUUID() } };
    await writeSpec(cs, cluster, 0, ctx.actor, 'create');
    ctx.io.emit({ code: 'cluster.stored', level: 'info', message: `Stored cluster ${name} (revision 1, uid ${cluster.metadata.uid}) and its PKI in ${store.url}.`, data: { cluster: name, revision: 1, store: store.url } });
    try {
      return await planAndApply(ctx, store, cs, cluster, flags, { offlineIfNew: true, clients, revision: 1 });
    } catch (e) {
      // The spec is stored now, so running the same create again would only plan again: the resume is update.
      if (!(e instanceof K8supError) || e.exitCode !== 1) throw e;
      throw new OperationError(e.message, { code: e.code, cause: e, hint: `the spec is stored; fix the cause, then resume with \`${suggest(ctx, `update cluster ${name} --yes`)}\` (finished work is not redone)` });
    }
  });
}
