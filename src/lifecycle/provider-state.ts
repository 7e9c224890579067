// The ProviderState a provider gets at connect (src/core/provider.ts): a narrow, lease-fenced view of one cluster's
// state instead of the raw BlobStore. Its writes go through ClusterStore, so they stop once the run's lock is lost.

import type { ProviderState } from '../core/provider.js';
import type { BlobStore } from '../state/blob.js';
import { ClusterStore } from '../state/cluster-store.js';
import { stateLocationOf } from '../state/url.js';

export function providerState(store: BlobStore, cluster: string): ProviderState {
  const cs = new ClusterStore(store, cluster);
  return {
    location: stateLocationOf(store.url),
    getObject: async (name) => (await cs.getObject(name))?.data ?? null,
    updateObject: (name, change) => cs.updateObject(name, change),
    // node-forge is heavy: loaded only when a provider asks for the PKI.
    readPki: async () => (await import('../pki/cluster-pki.js')).loadClusterPki(store, cluster),
    readEncryptionConfig: async () => (await import('../pki/encryption-config.js')).loadEncryptionConfig(store, cluster),
  };
}
