// `certs renew NAME [--yes]`: kubeadm's manual renewal where k8sup reaches the control planes (bare metal): without
// --yes the control planes it would renew, in order; with --yes `kubeadm certs renew all` and a static-pod restart on
// each in turn, then the new expiry dates. Cloud control planes get fresh certificates when they are replaced
// (`rolling-update cluster --instance-group control-plane --force`, or an upgrade). See docs/pki.md.

import { providerState } from '../cluster/provider-state.js';
import { loadProviderFor } from '../cluster/deploy.js';
import { mutateCluster, readSpec } from '../cluster/spec-store.js';
import { InvalidInputError } from '../core/errors.js';
import { ClusterStore } from '../state/cluster-store.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';
import { suggest } from './suggest.js';

export default async function certsRenew(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const store = await ctx.openStore();
  const { cluster } = await readSpec(new ClusterStore(store, name), name);
  const provider = await loadProviderFor(cluster);
  const capability = provider.certificates;
  if (!capability) {
    throw new InvalidInputError(`${name} runs on ${provider.name}, where k8sup does not log in to the control planes to renew certificates`, {
      hint: `replace the control planes, which get new certificates when they join: k8sup rolling-update cluster ${name} --instance-group control-plane --force --yes (docs/pki.md, "Certificate expiry")`,
    });
  }
  const steps = capability.renewPlan(cluster);
  printData(ctx, { cluster: name, steps }, { table: { headers: ['CONTROL PLANE', 'WHAT'], rows: steps.map((s) => [s.target, s.description]) } });
  if (!ctx.globals.yes) {
    ctx.io.emit({ code: 'cluster.preview', level: 'info', message: `Would renew the certificates of ${steps.length} control plane(s) of ${name}, one at a time; nothing was changed.`, data: { cluster: name } });
    const command = suggest(ctx, `certs renew ${name} --yes`);
    ctx.io.emit({ code: 'next', level: 'info', message: `Renew with: ${command}`, data: { command } });
    return 0;
  }
  return mutateCluster(store, name, ctx.actor, 'certs renew', async () => {
    const clients = await provider.connect(cluster, { io: ctx.io, env: ctx.env, signal: ctx.signal, home: ctx.home, state: providerState(store, cluster.metadata.name), sshAcceptNew: Boolean(opts.sshAcceptNew) });
    try {
      await capability.renew(cluster, clients, ctx.io);
      const after = await capability.check(cluster, clients);
      const soonest = after.filter((c) => !c.isCa).sort((a, b) => a.daysLeft - b.daysLeft)[0];
      ctx.note(`Renewed the certificates of ${name}${soonest ? `; the first leaf certificate now expires ${soonest.notAfter} (${soonest.name} on ${soonest.source})` : ''}.`);
    } finally {
      (clients as { close?: () => void }).close?.();
    }
    return 0;
  });
}
