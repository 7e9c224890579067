// What `k8sup export kubeconfig --admin DURATION` produces: a fresh, short-lived cluster-admin client certificate
// wrapped in a one-context kubeconfig. Short lifetimes matter because a client certificate cannot be revoked.

import { issueAdminCert } from './cluster-pki.js';
import { certInfo, type CertKeyPem } from './certs.js';
import { buildKubeconfig } from './kubeconfig.js';

/** Default for `--admin`, as in kops. */
export const DEFAULT_ADMIN_TTL = '18h';

export function buildAdminKubeconfig(
  ca: CertKeyPem,
  opts: { clusterName: string; server: string; ttlMs: number; now?: Date },
): { yaml: string; notAfter: Date } {
  const admin = issueAdminCert(ca, { ttlMs: opts.ttlMs, now: opts.now });
  const yaml = buildKubeconfig({
    clusterName: opts.clusterName,
    server: opts.server,
    caCertPem: ca.certPem,
    // Entries are named after the cluster (like kops) so exporting several clusters never overwrites another's user.
    user: opts.clusterName,
    clientCertPem: admin.certPem,
    clientKeyPem: admin.keyPem,
  });
  return { yaml, notAfter: certInfo(admin.certPem).notAfter };
}
