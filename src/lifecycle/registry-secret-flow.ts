// `create secret registry` under the cluster's lock (src/lifecycle/registry-secrets.ts holds the secrets themselves;
// kept apart because providers import that file, and this one takes the lock through the spec store).

import type { BlobStore } from '../state/blob.js';
import { ClusterStore } from '../state/cluster-store.js';
import { checkSecretTarget, storeRegistrySecret } from './registry-secrets.js';
import { mutateCluster, readSpec, type Actor } from './spec-store.js';

export interface StoreSecretResult {
  action: 'created' | 'unchanged' | 'replaced';
  /** Where the spec names registries: the entry of this host, and the secret its credentials name now (if any). */
  index: number;
  secretRef: string | undefined;
}

/**
 * `create secret registry`: checks the target before the lock (bad input writes nothing, not even a lock) and again
 * under it (the spec may have changed), then stores the rendered credential.
 */
export async function storeRegistrySecretFlow(
  input: { store: BlobStore; name: string; actor: Actor; secret: string; host: string | undefined; force: boolean },
  credential: () => Promise<string>,
): Promise<StoreSecretResult> {
  const { store, name, secret, host } = input;
  checkSecretTarget((await readSpec(new ClusterStore(store, name), name)).cluster, secret, host);
  const content = await credential();
  return mutateCluster(store, name, input.actor, 'create secret registry', async (cs) => {
    const { cluster } = await readSpec(cs, name);
    const { index, registry } = checkSecretTarget(cluster, secret, host);
    const action = await storeRegistrySecret(cs, secret, content, input.force);
    return { action, index, secretRef: registry.credentials?.secretRef };
  });
}
