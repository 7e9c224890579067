// `certs check` / `certs renew` on bare metal: kubeadm's certificates read from every control plane over SSH, and
// renewed with `kubeadm certs renew all` one control plane at a time (templates/certs, docs/pki.md).

import type { Cluster } from '../../src/api/types.js';
import type { CertificatesCapability } from '../../src/core/certificates.js';
import { loadTemplate } from '../../src/bootstrap/template.js';
import { expiriesFromListing } from '../../src/pki/expiry.js';
import type { MetalClients } from './clients.js';
import { hostName } from './hosts-file.js';
import { shellQuote } from './ssh.js';

const controlPlanes = (cluster: Cluster) => (cluster.spec.hosts ?? []).filter((h) => h.role === 'control-plane').map(hostName);

export const metalCertificates: CertificatesCapability<MetalClients> = {
  async check(cluster, clients) {
    const listings = await Promise.all(
      controlPlanes(cluster).map(async (host) => ({ host, r: await clients.run(host, loadTemplate('certs/list.sh'), { what: 'list certificates', timeoutMs: 60_000 }) })),
    );
    return listings.flatMap(({ host, r }) => expiriesFromListing(r.stdout, host));
  },

  renewPlan(cluster) {
    return controlPlanes(cluster).map((target) => ({ target, description: 'kubeadm certs renew all, restart the static pods, wait for the API server' }));
  },

  async renew(cluster, clients, io) {
    for (const host of controlPlanes(cluster)) {
      io.emit({ code: 'metal.step', level: 'info', task: host, message: `${host}: renewing certificates…`, data: { host, step: 'certs renew', phase: 'start' } });
      const r = await clients.run(host, `bash -c ${shellQuote(loadTemplate('certs/renew.sh'))}`, { what: 'kubeadm certs renew', timeoutMs: 10 * 60_000 });
      for (const line of r.stderr.split('\n').filter(Boolean)) io.emit({ code: 'metal.script.log', level: 'debug', task: host, message: `${host}: ${line}`, data: { host, step: 'certs renew' } });
      io.emit({ code: 'metal.step', level: 'info', task: host, message: `${host}: certificates renewed`, data: { host, step: 'certs renew', phase: 'done' } });
    }
  },
};
