// The cluster's PKI in the state store: generated once at create time, read by apply (public parts go into the
// model; private parts only to control planes through the store or SSH) and by export kubeconfig.
//
// A PKI is several objects, so it is written BEFORE the revision that makes a cluster visible (create-common.ts): an
// interrupted create leaves at most PKI objects and no cluster, and the re-run reuses or replaces them. A cluster that
// was never applied can always get a fresh PKI (no node trusts the old one yet); once anything was applied, the stored
// CA is what the nodes trust and only a backup can bring a lost part back.

import { K8supError, OperationError } from '../core/errors.js';
import type { BlobStore } from '../state/blob.js';
import type { ClusterStore } from '../state/cluster-store.js';
import { mapInFlight } from '../state/in-flight.js';
import type { ClusterPki } from '../pki/index.js';
import { PKI_FILES } from '../pki/files.js';
import type { Cluster } from '../api/types.js';

export interface PublicPki {
  caCertPem: string;
  caCertHash: string;
}

/** A new PKI, not yet stored, with its public parts. */
export async function generatePki(name: string): Promise<{ pki: ClusterPki; public: PublicPki }> {
  const mod = await import('../pki/index.js');
  const pki = await mod.generateClusterPki(name);
  return { pki, public: { caCertPem: pki.ca.certPem, caCertHash: mod.caCertHash(pki.ca.certPem) } };
}

async function publicOf(pki: ClusterPki): Promise<PublicPki> {
  const mod = await import('../pki/index.js');
  return { caCertPem: pki.ca.certPem, caCertHash: mod.caCertHash(pki.ca.certPem) };
}

/** The stored PKI, or null when there is none; `partial` when only some of its objects are there. */
export async function readPki(store: BlobStore, name: string): Promise<StoredPki> {
  const mod = await import('../pki/index.js');
  try {
    return { pki: await mod.loadClusterPki(store, name) };
  } catch (e) {
    if (e instanceof K8supError && e.code === 'IncompletePki') return { pki: null, partial: e };
    throw e;
  }
}

export interface StoredPki {
  pki: ClusterPki | null;
  partial?: K8supError;
}

/**
 * Stores `fresh` as the PKI of a cluster nothing was applied for, removing whatever part of an earlier, interrupted
 * attempt is there (its files, all at once; deleting a missing one is no error). The Secrets encryption config beside
 * it stays: it is create-only and nothing used it either. Callers hold the cluster's lock.
 */
async function replaceUnusedPki(store: BlobStore, name: string, fresh: ClusterPki, stored: StoredPki): Promise<void> {
  const mod = await import('../pki/index.js');
  if (stored.partial) await mapInFlight(Object.values(PKI_FILES), (file) => store.delete(mod.pkiKey(name, file)));
  await mod.saveClusterPki(store, name, fresh);
}

/**
 * The PKI of a cluster being created (no revision yet), stored before its first revision. A complete PKI left by an
 * interrupted create is kept (nothing can have used it: a cluster is applied only through a revision); a partial one
 * is replaced by `fresh`. `stored`: what readPki found, read under the lock. Callers hold the cluster's lock.
 */
export async function storePkiForCreate(store: BlobStore, name: string, fresh: ClusterPki, stored: StoredPki): Promise<ClusterPki> {
  if (stored.pki) return stored.pki;
  await replaceUnusedPki(store, name, fresh, stored);
  return fresh;
}

/**
 * The public PKI a plan or an apply builds the graph with. Reads, and writes only through a ClusterStore holding
 * the cluster's lock (an apply): then a missing or partial PKI of a never-applied cluster (a spec written by hand, a
 * create interrupted by an older k8sup) is replaced by a fresh one. A plan of such a cluster uses a fresh PKI it does
 * not store (every resource is a create anyway), so a plan never writes.
 */
export async function pkiForGraph(store: BlobStore, name: string, cs?: ClusterStore): Promise<PublicPki> {
  const stored = await readPki(store, name);
  const { pki, partial } = stored;
  if (pki) return publicOf(pki);
  if (cs && (await cs.journal.load()).length > 0) {
    throw (
      partial ??
      new OperationError(`the state store has no PKI for ${name}, but resources of it were applied`, {
        code: 'IncompletePki',
        hint: `Restore ${name}/pki/ from a backup or bucket versioning; a new CA would lock the existing nodes out.`,
      })
    );
  }
  const fresh = await generatePki(name);
  if (cs?.holdsLease) await replaceUnusedPki(store, name, fresh.pki, stored);
  return fresh.public;
}

export async function loadPki(store: BlobStore, name: string): Promise<ClusterPki | null> {
  const mod = await import('../pki/index.js');
  return mod.loadClusterPki(store, name);
}

/** The stored CA certificate alone (null when absent), whether or not the rest of the PKI is there. */
export async function loadCaCert(store: BlobStore, name: string): Promise<string | null> {
  const mod = await import('../pki/index.js');
  return (await store.get(mod.pkiKey(name, PKI_FILES.caCert)))?.data.toString('utf8') ?? null;
}

/**
 * Secrets that come with settings rather than with the cluster: the Secrets encryption key when
 * spec.kubeAPIServer.encryptionAtRest is on. Generated once, create-only, next to the PKI; written only by a run that
 * holds the cluster's lock (`locked`), so a plan never writes. Nodes read it at boot, so it must exist before them.
 */
export async function ensureSettingSecrets(store: BlobStore, cluster: Cluster, locked: boolean, opts: { creating?: boolean } = {}): Promise<void> {
  if (!locked || cluster.spec.kubeAPIServer?.encryptionAtRest !== true) return;
  const mod = await import('../pki/index.js');
  await mod.ensureEncryptionConfig(store, cluster.metadata.name, { likelyAbsent: opts.creating });
}
