// The names of the cluster's shared PKI files, once: kubeadm's /etc/kubernetes/pki names, the same under
// `<cluster>/pki/` in the state store (cluster-pki.ts pkiKey). The bootstrap copies them from the store to cloud
// control planes; bare metal uploads them over SSH. Light on purpose (no crypto library): the renderer imports it.

/** One file of the shared PKI and which part of the ClusterPki it holds. */
export const PKI_FILES = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  frontProxyCaCert: 'front-proxy-ca.crt',
  frontProxyCaKey: 'front-proxy-ca.key',
  etcdCaCert: 'etcd/ca.crt',
  etcdCaKey: 'etcd/ca.key',
  saKey: 'sa.key',
  saPub: 'sa.pub',
} as const;

/** What control planes need in /etc/kubernetes/pki before kubeadm runs, in the order the bootstrap fetches them. */
export const CONTROL_PLANE_PKI_FILES = Object.values(PKI_FILES);
