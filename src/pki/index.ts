// Public surface of the PKI module. node-forge is loaded with it, so commands that do not mint certificates
// (version, help, get) should reach this module through `await import()`.

export {
  type CertKeyPem,
  type CertInfo,
  type RsaKeyPairPem,
  CLOCK_SKEW_MS,
  createCertificateAuthority,
  generateRsaKeyPair,
  issueClientCert,
  issueServerCert,
  caCertHash,
  certInfo,
} from './certs.js';
export {
  type ClusterPki,
  ADMIN_COMMON_NAME,
  ADMIN_ORGANIZATION,
  generateClusterPki,
  issueAdminCert,
  pkiKey,
  saveClusterPki,
  loadClusterPki,
} from './cluster-pki.js';
export { parseDuration } from './duration.js';
export { type KubeconfigInput, buildKubeconfig, mergeKubeconfig, removeKubeconfigEntries, writeKubeconfigFile } from './kubeconfig.js';
export { DEFAULT_ADMIN_TTL, buildAdminKubeconfig } from './admin-kubeconfig.js';
export { encryptionConfigKey, ensureEncryptionConfig, generateEncryptionConfig, loadEncryptionConfig } from './encryption-config.js';
