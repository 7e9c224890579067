// `certs check NAME`: when each of the cluster's certificates expires (docs/pki.md "Certificate expiry"). Where the
// provider reaches the machines (bare metal, over SSH) every kubeadm certificate on every control plane; elsewhere the
// API server's serving certificate (from the TLS handshake) and the CAs in the state store. Read-only. The flow is
// src/lifecycle/certs-flow.ts.

import { checkCertificatesFlow, renewalAdvice } from '../lifecycle/certs-flow.js';
import { EXPIRY_WARNING_DAYS, type CertificateExpiry } from '../pki/expiry.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';
import { suggest } from './suggest.js';

function warnExpiring(ctx: CliContext, name: string, certs: CertificateExpiry[]): void {
  const soon = certs.filter((c) => c.expiresSoon);
  if (soon.length === 0) return;
  const what = soon.map((c) => `${c.name} on ${c.source} (${c.daysLeft < 0 ? 'expired' : `${c.daysLeft} days left`})`).join(', ');
  ctx.note(`warning: ${soon.length} certificate(s) of ${name} expire within ${EXPIRY_WARNING_DAYS} days: ${what}`);
}

export default async function certsCheck(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const store = await ctx.openStore();
  const { certificates, renewal } = await checkCertificatesFlow({ store, name, io: ctx.io, env: ctx.env, home: ctx.home, signal: ctx.signal, sshAcceptNew: Boolean(opts.sshAcceptNew) });
  printData(ctx, { cluster: name, warningDays: EXPIRY_WARNING_DAYS, certificates }, {
    table: {
      headers: ['CERTIFICATE', 'SOURCE', 'EXPIRES', 'DAYS LEFT', 'CA', 'STATUS'],
      rows: certificates.map((c) => [c.name, c.source, c.notAfter, c.daysLeft, c.isCa ? 'yes' : 'no', c.daysLeft < 0 ? 'EXPIRED' : c.expiresSoon ? 'EXPIRES SOON' : 'ok']),
      empty: `no certificates of ${name} could be read`,
    },
  });
  warnExpiring(ctx, name, certificates);
  if (certificates.some((c) => c.expiresSoon && !c.isCa)) {
    // Where k8sup does not log in to the control planes, `certs renew` refuses: new control planes get new certificates.
    if (renewal.command) {
      const command = suggest(ctx, renewal.command);
      ctx.io.emit({ code: 'next', level: 'info', message: `To ${renewalAdvice(renewal, command)}`, data: { command } });
    } else ctx.note(`To renew them: ${renewalAdvice(renewal)}`);
  }
  return 0;
}
