// `get addons NAME`: the cluster's addons as the spec wants them (the catalogue's defaults for its provider, changed
// by spec.addons) and, when the API answers, whether each one runs (its workloads rolled out).

import { imageReference, resolveAddons } from '../addons/index.js';
import { readSpec } from '../lifecycle/spec-store.js';
import { ClusterStore } from '../state/cluster-store.js';
import type { CliContext } from './context.js';
import { checkContextFlag } from './context-flag.js';
import { adminKubeconfig } from '../lifecycle/admin-credential.js';
import { readInputFile } from './paths.js';
import { printData } from './render/output.js';
import { renderTable } from './render/table.js';

/** Only for this one read. */
const CREDENTIAL_TTL = '10m';

export default async function getAddons(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  checkContextFlag(opts, name, 'get addons');
  const cs = new ClusterStore(await ctx.openStore(), name);
  const { cluster } = await readSpec(cs, name);
  const images = new Map(resolveAddons(cluster).map((a) => [a.definition.name, Object.values(a.definition.images).map(imageReference).join(' ')]));
  const { addonStatusRows, readAddonWorkload } = await import('../validate/addons.js');

  let live: Map<string, Awaited<ReturnType<typeof readAddonWorkload>>[]> | undefined;
  let kubeconfigYaml: string | undefined;
  if (opts.kubeconfig) kubeconfigYaml = await readInputFile('--kubeconfig', opts.kubeconfig, ctx);
  else {
    const kc = await adminKubeconfig(cs, name, CREDENTIAL_TTL);
    if (kc.recorded) kubeconfigYaml = kc.yaml;
    else ctx.note(`${name} has no recorded API endpoint (not applied?): showing what the spec wants only`);
  }
  if (kubeconfigYaml !== undefined) {
    const { openKubeReader, ApiUnavailableError } = await import('../validate/kube-client.js');
    try {
      const kube = await openKubeReader({ kubeconfigYaml, context: opts.context }, { signal: ctx.signal });
      live = new Map();
      for (const a of resolveAddons(cluster).filter((x) => x.enabled)) {
        live.set(a.definition.name, await Promise.all(a.definition.workloads.map((w) => readAddonWorkload(kube, w))));
      }
    } catch (e) {
      if (!(e instanceof ApiUnavailableError)) throw e;
      live = undefined;
      ctx.note(`the API of ${name} does not answer (${e.message}): showing what the spec wants only`);
    }
  }
  const addons = addonStatusRows(cluster, (n) => images.get(n)!, live);
  printData(ctx, { cluster: name, addons }, {
    table: () => renderTable(['NAME', 'VERSION', 'ENABLED', 'FROM', 'RUNNING', 'IMAGE'], addons.map((a) => [a.name, a.version, a.enabled ? 'yes' : 'no', a.from, a.running, a.image])),
  });
  return 0;
}
