// A fresh admin credential for a cluster, from its CA in the state store, for the API address recorded at apply time:
// what export kubeconfig writes, and what validate, get addons and rolling-update talk to the cluster with.

import { NotFoundError } from '../core/errors.js';
import type { ClusterStore } from '../state/cluster-store.js';
import { readClusterInfo } from './cluster-info.js';
import { loadPki } from './pki-store.js';

/** The API URL recorded at apply time, or kops' convention `https://api.<name>` before the first apply. */
export async function apiServerFor(cs: ClusterStore, name: string): Promise<{ server: string; recorded: boolean }> {
  const info = await readClusterInfo(cs);
  if (info.apiEndpoint) return { server: info.apiEndpoint, recorded: true };
  return { server: `https://api.${name}:6443`, recorded: false };
}

export async function adminKubeconfig(cs: ClusterStore, name: string, ttl: string) {
  const pkiMod = await import('../pki/index.js');
  const pki = await loadPki(cs.store, name);
  if (!pki) throw new NotFoundError(`cluster ${name} has no PKI in the state store`, { hint: 'recreate the cluster spec with `k8sup create`' });
  const { server, recorded } = await apiServerFor(cs, name);
  const kc = pkiMod.buildAdminKubeconfig(pki.ca, { clusterName: name, server, ttlMs: pkiMod.parseDuration(ttl) });
  return { ...kc, server, recorded };
}
