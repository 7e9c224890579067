// The key that encrypts Secrets at rest (spec.kubeAPIServer.encryptionAtRest): an EncryptionConfiguration the API
// servers read, generated once into the state store next to the PKI (`<cluster>/pki/encryption-config.yaml`, a secret
// object) and delivered to control planes the way the CA keys are (their own store identity, or SSH on metal). It
// never appears in user data, plans or logs. Losing it makes every Secret unreadable: it is backed up with the PKI.

import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { ENCRYPTION_CONFIG_FILE } from '../bootstrap/component-config.js';
import { PreconditionFailedError, type BlobStore } from '../state/blob.js';
import { pkiKey } from './cluster-pki.js';

export function encryptionConfigKey(clusterName: string): string {
  return pkiKey(clusterName, ENCRYPTION_CONFIG_FILE);
}

/**
 * aescbc with a fresh 32-byte key (the provider kubeadm's and kops' guides use), and identity after it so Secrets
 * written before encryption was switched on stay readable until they are rewritten.
 */
export function generateEncryptionConfig(): string {
  return stringify({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'EncryptionConfiguration',
    resources: [
      {
        resources: ['secrets'],
        providers: [{ aescbc: { keys: [{ name: 'k8sup-1', secret: randomBytes(32).toString('base64') }] } }, { identity: {} }],
      },
    ],
  });
}

/**
 * Stores a new encryption config unless one is there (create-only: a key in use is never replaced). `likelyAbsent`
 * (a cluster being created): no read first, the create-only write settles it either way — one state round trip.
 */
export async function ensureEncryptionConfig(store: BlobStore, clusterName: string, opts: { likelyAbsent?: boolean } = {}): Promise<void> {
  const key = encryptionConfigKey(clusterName);
  if (!opts.likelyAbsent && (await store.get(key))) return;
  try {
    await store.put(key, generateEncryptionConfig(), { ifNoneMatch: true, secret: true });
  } catch (e) {
    // Another run stored one first: that one is the key.
    if (!(e instanceof PreconditionFailedError)) throw e;
  }
}

export async function loadEncryptionConfig(store: BlobStore, clusterName: string): Promise<string | null> {
  const blob = await store.get(encryptionConfigKey(clusterName));
  return blob ? blob.data.toString('utf8') : null;
}
