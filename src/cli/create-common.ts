// create cluster / create -f: store a new cluster's first revision and PKI (under its lock), then plan or apply.

import type { Cluster } from '../api/index.js';
import { InvalidInputError } from '../core/errors.js';
import { assertNodesCanReadStore, connectProvider, desiredGraph, loadProviderFor } from '../cluster/deploy.js';
import { generatePki, savePki } from '../cluster/pki-store.js';
import { mutateCluster, writeSpec } from '../cluster/spec-store.js';
import { withStateStoreRegion } from '../cluster/state-store-region.js';
import { planAndApply, type ApplyFlags } from './apply-flow.js';
import type { CliContext } from './context.js';

export async function createCluster(ctx: CliContext, given: Cluster, flags: ApplyFlags): Promise<number> {
  const name = given.metadata.name;
  const store = await ctx.openStore();
  // Asked once, here, and kept in the spec: nodes address the state bucket in its own region.
  const cluster = await withStateStoreRegion(given, store);
  // Everything that can reject the input runs before the first write: the store must suit an apply, and the
  // provider must be able to build the cluster's resources (bootstrap scripts included) from this spec.
  const provider = await loadProviderFor(cluster);
  if (ctx.globals.yes || flags.target === 'terraform') assertNodesCanReadStore(provider, store.url);
  const pki = await generatePki(name);
  await desiredGraph({ store, cluster }, provider, pki.public);
  // With --yes the cloud is asked now (credentials, region, zones): a zone the account cannot use is exit 2 with
  // nothing written, not a stored spec that can never apply.
  const clients = ctx.globals.yes && flags.target !== 'terraform'
    ? await connectProvider({ store, cluster, io: ctx.io, env: ctx.env, home: ctx.home, signal: ctx.signal, sshAcceptNew: flags.sshAcceptNew }, provider)
    : undefined;

  return mutateCluster(store, name, ctx.actor, 'create cluster', async (cs) => {
    if (await cs.latest()) {
      throw new InvalidInputError(`cluster "${name}" already exists in ${store.url}`, {
        hint: `change it with \`k8sup edit cluster ${name}\` or \`k8sup replace -f FILE\`, or delete it first`,
      });
    }
    await writeSpec(cs, cluster, 0, ctx.actor, 'create');
    await savePki(store, name, pki.pki);
    ctx.note(`Stored cluster ${name} (revision 1) and its PKI in ${store.url}.`);
    return planAndApply(ctx, store, cs, cluster, flags, { offlineIfNew: true, clients, revision: 1 });
  });
}
