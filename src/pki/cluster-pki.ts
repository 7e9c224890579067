// The long-lived secrets of one cluster, the same set kubeadm expects to find in /etc/kubernetes/pki when it joins
// control-plane nodes with pre-existing certificates: cluster CA, front-proxy CA, etcd CA, service-account key pair.

import { createCertificateAuthority, generateRsaKeyPairs, issueClientCert, type CertKeyPem } from './certs.js';
import type { BlobStore } from '../state/blob.js';
import { mapInFlight } from '../state/in-flight.js';
import { InvalidInputError, OperationError } from '../core/errors.js';
import { CONTROL_PLANE_PKI_FILES, PKI_FILES } from './files.js';

export interface ClusterPki {
  ca: CertKeyPem;
  frontProxyCa: CertKeyPem;
  etcdCa: CertKeyPem;
  serviceAccount: { publicKeyPem: string; privateKeyPem: string };
}

// X.520 caps OU at 64 characters; a cluster name may be longer, and it is only a label for humans.
const MAX_OU = 64;

export async function generateClusterPki(clusterName: string, opts: { now?: Date; validityYears?: number } = {}): Promise<ClusterPki> {
  if (!clusterName) throw new InvalidInputError('cluster name must not be empty');
  const ou = clusterName.slice(0, MAX_OU);
  const common = { organizationalUnit: ou, now: opts.now, validityYears: opts.validityYears ?? 10 };
  // The four keys are most of what a create computes: made at once, they use every core.
  const [sa, caKeys, frontProxyKeys, etcdKeys] = await generateRsaKeyPairs(4);
  return {
    // Same common names as kubeadm, so certificates look familiar in `openssl x509 -text`.
    ca: createCertificateAuthority({ commonName: 'kubernetes', ...common }, caKeys),
    frontProxyCa: createCertificateAuthority({ commonName: 'front-proxy-ca', ...common }, frontProxyKeys),
    etcdCa: createCertificateAuthority({ commonName: 'etcd-ca', ...common }, etcdKeys),
    serviceAccount: { publicKeyPem: sa.publicKeyPem, privateKeyPem: sa.privateKeyPem },
  };
}

/** The cluster-admin identity: O=system:masters is bound to cluster-admin by the apiserver itself, no RBAC needed. */
export const ADMIN_COMMON_NAME = 'kubernetes-admin';
export const ADMIN_ORGANIZATION = 'system:masters';

export function issueAdminCert(ca: CertKeyPem, opts: { ttlMs: number; now?: Date }): CertKeyPem {
  return issueClientCert(ca, { commonName: ADMIN_COMMON_NAME, organizations: [ADMIN_ORGANIZATION], ttlMs: opts.ttlMs, now: opts.now });
}


export function pkiKey(clusterName: string, file: string): string {
  return `${clusterName}/pki/${file}`;
}

function pkiEntries(pki: ClusterPki): { file: string; data: string; secret: boolean }[] {
  return [
    { file: PKI_FILES.caCert, data: pki.ca.certPem, secret: false },
    { file: PKI_FILES.caKey, data: pki.ca.keyPem, secret: true },
    { file: PKI_FILES.frontProxyCaCert, data: pki.frontProxyCa.certPem, secret: false },
    { file: PKI_FILES.frontProxyCaKey, data: pki.frontProxyCa.keyPem, secret: true },
    { file: PKI_FILES.etcdCaCert, data: pki.etcdCa.certPem, secret: false },
    { file: PKI_FILES.etcdCaKey, data: pki.etcdCa.keyPem, secret: true },
    { file: PKI_FILES.saPub, data: pki.serviceAccount.publicKeyPem, secret: false },
    { file: PKI_FILES.saKey, data: pki.serviceAccount.privateKeyPem, secret: true },
  ];
}

/** The PKI as the files control planes get, in CONTROL_PLANE_PKI_FILES order (bare metal uploads them over SSH). */
export function pkiFiles(pki: ClusterPki): { file: string; data: string; secret: boolean }[] {
  const byFile = new Map(pkiEntries(pki).map((e) => [e.file, e]));
  return CONTROL_PLANE_PKI_FILES.map((file) => byFile.get(file)!);
}

/**
 * Writes every PKI object with create-only semantics: a cluster's CAs are never silently replaced (that would cut
 * off every node). A second writer loses with PreconditionFailedError (exit 3). Callers hold the cluster lock.
 */
export async function saveClusterPki(store: BlobStore, clusterName: string, pki: ClusterPki): Promise<void> {
  // All at once (one state round trip, issue 17): they are independent, and nothing reads them before the revision
  // that makes the cluster visible is written after them.
  await mapInFlight(pkiEntries(pki), (e) => store.put(pkiKey(clusterName, e.file), e.data, { ifNoneMatch: true, secret: e.secret }));
}

/** The stored PKI, or null when the cluster has none yet. Throws if only part of it is there. */
export async function loadClusterPki(store: BlobStore, clusterName: string): Promise<ClusterPki | null> {
  const files = Object.values(PKI_FILES);
  const blobs = await Promise.all(files.map((f) => store.get(pkiKey(clusterName, f))));
  const present = blobs.filter((b) => b !== null).length;
  if (present === 0) return null;
  const text = (file: string): string => {
    const blob = blobs[files.indexOf(file as (typeof files)[number])];
    if (!blob) {
      throw new OperationError(`the state store has an incomplete PKI for ${clusterName}: ${pkiKey(clusterName, file)} is missing`, {
        code: 'IncompletePki',
        hint: 'Restore the missing object from a backup; regenerating the CAs would lock existing nodes out.',
      });
    }
    return blob.data.toString('utf8');
  };
  return {
    ca: { certPem: text(PKI_FILES.caCert), keyPem: text(PKI_FILES.caKey) },
    frontProxyCa: { certPem: text(PKI_FILES.frontProxyCaCert), keyPem: text(PKI_FILES.frontProxyCaKey) },
    etcdCa: { certPem: text(PKI_FILES.etcdCaCert), keyPem: text(PKI_FILES.etcdCaKey) },
    serviceAccount: { publicKeyPem: text(PKI_FILES.saPub), privateKeyPem: text(PKI_FILES.saKey) },
  };
}
