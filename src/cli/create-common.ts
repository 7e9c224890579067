// create cluster / create -f: store a new cluster's first revision and PKI (under its lock), then plan or apply.

import type { Cluster } from '../api/index.js';
import { InvalidInputError, K8supError, OperationError } from '../core/errors.js';
import { assertNodesCanReadStore, connectProvider, desiredGraph, loadProviderFor } from '../cluster/deploy.js';
import { generatePki, savePki } from '../cluster/pki-store.js';
import { mutateCluster, writeSpec } from '../cluster/spec-store.js';
import { planAndApply, type ApplyFlags } from './apply-flow.js';
import type { CliContext } from './context.js';
import { suggest } from './suggest.js';

export async function createCluster(ctx: CliContext, cluster: Cluster, flags: ApplyFlags): Promise<number> {
  const name = cluster.metadata.name;
  const store = await ctx.openStore();
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
    ctx.io.emit({ code: 'cluster.stored', level: 'info', message: `Stored cluster ${name} (revision 1) and its PKI in ${store.url}.`, data: { cluster: name, revision: 1, store: store.url } });
    try {
      return await planAndApply(ctx, store, cs, cluster, flags, { offlineIfNew: true, clients, revision: 1 });
    } catch (e) {
      // The spec is stored now, so running the same create again would only say it exists: the resume is update.
      if (!(e instanceof K8supError) || e.exitCode !== 1) throw e;
      throw new OperationError(e.message, { code: e.code, cause: e, hint: `the spec is stored; fix the cause, then resume with \`${suggest(ctx, `update cluster ${name} --yes`)}\` (finished work is not redone)` });
    }
  });
}
