// `certs renew NAME [--yes]`: kubeadm's manual renewal where k8sup reaches the control planes (bare metal): without
// --yes the control planes it would renew, in order; with --yes `kubeadm certs renew all` and a static-pod restart on
// each in turn, then the new expiry dates. Cloud control planes get fresh certificates when they are replaced
// (`rolling-update cluster --instance-group control-plane --force`, or an upgrade). See docs/pki.md. The flow is
// src/lifecycle/certs-flow.ts.

import { renewCertificatesFlow } from '../lifecycle/certs-flow.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';
import { suggest } from './suggest.js';

export default async function certsRenew(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const store = await ctx.openStore();
  const outcome = await renewCertificatesFlow(
    { store, name, actor: ctx.actor, apply: ctx.globals.yes, io: ctx.io, env: ctx.env, home: ctx.home, signal: ctx.signal, sshAcceptNew: Boolean(opts.sshAcceptNew) },
    (steps) => printData(ctx, { cluster: name, steps }, { table: { headers: ['CONTROL PLANE', 'WHAT'], rows: steps.map((s) => [s.target, s.description]) } }),
  );
  if (outcome.stage === 'previewed') {
    ctx.io.emit({ code: 'cluster.preview', level: 'info', message: `Would renew the certificates of ${outcome.steps.length} control plane(s) of ${name}, one at a time; nothing was changed.`, data: { cluster: name } });
    const command = suggest(ctx, `certs renew ${name} --yes`);
    ctx.io.emit({ code: 'next', level: 'info', message: `Renew with: ${command}`, data: { command } });
    return 0;
  }
  const { soonest } = outcome;
  ctx.note(`Renewed the certificates of ${name}${soonest ? `; the first leaf certificate now expires ${soonest.notAfter} (${soonest.name} on ${soonest.source})` : ''}.`);
  return 0;
}
