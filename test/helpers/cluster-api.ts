// A fake kube-apiserver that a cluster's own k8sup commands trust: its server certificate is issued from the
// cluster's CA in the state store, and it becomes the cluster's recorded API endpoint (cluster-info.json) — so
// rolling-update / validate reach it exactly as they would reach the real API server.

import { CLUSTER_INFO } from '../../src/lifecycle/cluster-info.js';
import { issueAdminCert, issueServerCert, loadClusterPki } from '../../src/pki/index.js';
import type { BlobStore } from '../../src/state/blob.js';
import { ClusterStore } from '../../src/state/cluster-store.js';
import { startFakeKubeApiserver, type FakeClusterState, type FakeKubeApiserver } from '../fakes/kube-apiserver.js';

export async function startClusterApi(store: BlobStore, cluster: string, state: FakeClusterState): Promise<FakeKubeApiserver> {
  const pki = await loadClusterPki(store, cluster);
  if (!pki) throw new Error(`no PKI for ${cluster} in ${store.url}`);
  const server = issueServerCert(pki.ca, { commonName: 'kube-apiserver', ipAddresses: ['127.0.0.1'], ttlMs: 3_600_000 });
  const admin = issueAdminCert(pki.ca, { ttlMs: 3_600_000 });
  const fake = await startFakeKubeApiserver({
    pki: { dir: '', caCert: pki.ca.certPem, serverCert: server.certPem, serverKey: server.keyPem, adminCert: admin.certPem, adminKey: admin.keyPem, rogueCert: admin.certPem, rogueKey: admin.keyPem, cleanup() {} },
    state,
  });
  await pointClusterApiAt(store, cluster, fake.url);
  return fake;
}

/** The cluster's recorded API endpoint → url (an apply records the load balancer's again: a test points it back). */
export async function pointClusterApiAt(store: BlobStore, cluster: string, url: string): Promise<void> {
  const cs = new ClusterStore(store, cluster);
  const info = JSON.parse((await cs.getObject(CLUSTER_INFO))!.data.toString('utf8'));
  await cs.putObject(CLUSTER_INFO, JSON.stringify({ ...info, apiEndpoint: url }));
}
