// The cluster's PKI in the state store: generated once at create time, read by apply (public parts go into the
// model; private parts only to control planes through the store or SSH) and by export kubeconfig.

import type { BlobStore } from '../state/blob.js';
import type { ClusterPki } from '../pki/index.js';

export interface PublicPki {
  caCertPem: string;
  caCertHash: string;
}

/** A new PKI, not yet stored, with its public parts. */
export async function generatePki(name: string): Promise<{ pki: ClusterPki; public: PublicPki }> {
  const mod = await import('../pki/index.js');
  const pki = mod.generateClusterPki(name);
  return { pki, public: { caCertPem: pki.ca.certPem, caCertHash: mod.caCertHash(pki.ca.certPem) } };
}

export async function savePki(store: BlobStore, name: string, pki: ClusterPki): Promise<void> {
  const mod = await import('../pki/index.js');
  await mod.saveClusterPki(store, name, pki);
}

/** The stored PKI's public parts; generates and stores one if the cluster has none (a spec written by hand). */
export async function ensurePki(store: BlobStore, name: string): Promise<PublicPki> {
  const mod = await import('../pki/index.js');
  const existing = await mod.loadClusterPki(store, name);
  if (existing) return { caCertPem: existing.ca.certPem, caCertHash: mod.caCertHash(existing.ca.certPem) };
  const fresh = await generatePki(name);
  await savePki(store, name, fresh.pki);
  return fresh.public;
}

export async function loadPki(store: BlobStore, name: string): Promise<ClusterPki | null> {
  const mod = await import('../pki/index.js');
  return mod.loadClusterPki(store, name);
}
