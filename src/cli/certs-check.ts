// `certs check NAME`: when each of the cluster's certificates expires (docs/pki.md "Certificate expiry"). Where the
// provider reaches the machines (bare metal, over SSH) every kubeadm certificate on every control plane; elsewhere the
// API server's serving certificate (from the TLS handshake) and the CAs in the state store. Read-only.

import { providerState } from '../cluster/provider-state.js';
import type { Cluster } from '../api/types.js';
import { readClusterInfo } from '../cluster/cluster-info.js';
import { loadProviderFor } from '../cluster/deploy.js';
import { readSpec } from '../cluster/spec-store.js';
import { EXPIRY_WARNING_DAYS, expiryOf, type CertificateExpiry } from '../pki/expiry.js';
import type { BlobStore } from '../state/blob.js';
import { ClusterStore } from '../state/cluster-store.js';
import type { CliContext } from './context.js';
import { printData } from './render/output.js';
import { suggest } from './suggest.js';

export async function clusterCertificates(ctx: CliContext, store: BlobStore, cs: ClusterStore, cluster: Cluster, sshAcceptNew: boolean): Promise<CertificateExpiry[]> {
  const provider = await loadProviderFor(cluster);
  if (provider.certificates) {
    const clients = await provider.connect(cluster, { io: ctx.io, env: ctx.env, signal: ctx.signal, home: ctx.home, state: providerState(store, cluster.metadata.name), sshAcceptNew });
    try {
      return await provider.certificates.check(cluster, clients);
    } finally {
      (clients as { close?: () => void }).close?.();
    }
  }
  const name = cluster.metadata.name;
  const found: CertificateExpiry[] = [];
  const { loadClusterPki } = await import('../pki/index.js');
  const pki = await loadClusterPki(store, name);
  if (pki) {
    for (const [file, pem] of [['ca.crt', pki.ca.certPem], ['front-proxy-ca.crt', pki.frontProxyCa.certPem], ['etcd/ca.crt', pki.etcdCa.certPem]] as const) {
      found.push(expiryOf(`pki/${file}`, 'state store', pem));
    }
  }
  const { apiEndpoint } = await readClusterInfo(cs);
  if (apiEndpoint) {
    const { servingCertificate } = await import('../pki/serving-certificate.js');
    try {
      found.push(expiryOf('apiserver (serving)', new URL(apiEndpoint).host, await servingCertificate(apiEndpoint)));
    } catch (e) {
      ctx.note(`warning: could not read the API server's certificate at ${apiEndpoint}: ${e instanceof Error ? e.message : e}`);
    }
  } else {
    ctx.note(`warning: ${name} has no recorded API endpoint (not applied?): only the CAs in the state store were checked`);
  }
  return found;
}

export function warnExpiring(ctx: CliContext, name: string, certs: CertificateExpiry[]): void {
  const soon = certs.filter((c) => c.expiresSoon);
  if (soon.length === 0) return;
  const what = soon.map((c) => `${c.name} on ${c.source} (${c.daysLeft < 0 ? 'expired' : `${c.daysLeft} days left`})`).join(', ');
  ctx.note(`warning: ${soon.length} certificate(s) of ${name} expire within ${EXPIRY_WARNING_DAYS} days: ${what}`);
}

export default async function certsCheck(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const name = ctx.clusterName(args[0]);
  const store = await ctx.openStore();
  const cs = new ClusterStore(store, name);
  const { cluster } = await readSpec(cs, name);
  const certificates = (await clusterCertificates(ctx, store, cs, cluster, Boolean(opts.sshAcceptNew))).sort((a, b) => a.daysLeft - b.daysLeft || a.source.localeCompare(b.source) || a.name.localeCompare(b.name));
  printData(ctx, { cluster: name, warningDays: EXPIRY_WARNING_DAYS, certificates }, {
    table: {
      headers: ['CERTIFICATE', 'SOURCE', 'EXPIRES', 'DAYS LEFT', 'CA', 'STATUS'],
      rows: certificates.map((c) => [c.name, c.source, c.notAfter, c.daysLeft, c.isCa ? 'yes' : 'no', c.daysLeft < 0 ? 'EXPIRED' : c.expiresSoon ? 'EXPIRES SOON' : 'ok']),
      empty: `no certificates of ${name} could be read`,
    },
  });
  warnExpiring(ctx, name, certificates);
  if (certificates.some((c) => c.expiresSoon && !c.isCa)) {
    const command = suggest(ctx, `certs renew ${name} --yes`);
    ctx.io.emit({ code: 'next', level: 'info', message: `Renew with: ${command}`, data: { command } });
  }
  return 0;
}
