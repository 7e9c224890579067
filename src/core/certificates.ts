// What a provider offers `certs check` / `certs renew` where k8sup can reach the machines that hold kubeadm's
// certificates (bare metal over SSH). Elsewhere the CLI reads what it can without them: the API server's serving
// certificate and the CAs in the state store (src/cli/certs-check.ts, docs/pki.md "Certificate expiry").

import type { Cluster } from '../api/types.js';
import type { CertificateExpiry } from '../pki/expiry.js';
import type { IoHost } from './io.js';

export interface CertificatesCapability<C = unknown> {
  /** Every kubeadm certificate (and kubeconfig client certificate) on every control plane. Read-only. */
  check(cluster: Cluster, clients: C): Promise<CertificateExpiry[]>;
  /** The machines `renew` changes, in order, with what it runs there (for the preview). */
  renewPlan(cluster: Cluster): { target: string; description: string }[];
  /** `kubeadm certs renew all` and a restart of the static pods, one control plane at a time. */
  renew(cluster: Cluster, clients: C, io: IoHost): Promise<void>;
}
