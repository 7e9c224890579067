// The cluster's PKI in the state store: generated once at create time, read by apply (public parts go into the
// model; private parts only to control planes through the store or SSH) and by export kubeconfig.

import type { BlobStore } from '../state/blob.js';

export interface PublicPki {
  caCertPem: string;
  caCertHash: string;
}

/** Generates and stores the PKI unless the cluster already has one. */
export async function ensurePki(store: BlobStore, name: string): Promise<PublicPki> {
  const pki = await import('../pki/index.js');
  let existing = await pki.loadClusterPki(store, name);
  if (!existing) {
    existing = pki.generateClusterPki(name);
    await pki.saveClusterPki(store, name, existing);
  }
  return { caCertPem: existing.ca.certPem, caCertHash: pki.caCertHash(existing.ca.certPem) };
}

export async function loadPki(store: BlobStore, name: string) {
  const pki = await import('../pki/index.js');
  const loaded = await pki.loadClusterPki(store, name);
  return loaded;
}
