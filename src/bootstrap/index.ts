// Node bootstrap: renders the script a node runs at first boot (cloud user data) or over SSH (metal), and the
// kubeadm configuration inside it. Templates are data under templates/; see docs/bootstrap.md.

export type { BootstrapInput, BootstrapProvider, NodeRole } from './types.js';
export {
  renderBootstrapScript,
  renderTokenRefreshScript,
  renderEtcdLeaveScript,
  CONTROL_PLANE_PKI_FILES,
  bootstrapTokenKey,
  initializedMarkerKey,
  VIP_INTERFACE_PLACEHOLDER,
} from './script.js';
export {
  renderKubeadmConfig,
  NODE_NAME_PLACEHOLDER,
  BOOTSTRAP_TOKEN_PLACEHOLDER,
  NODE_GROUP_LABEL,
} from './kubeadm-config.js';
export {
  supportedCni,
  CNI,
  CONTAINERD,
  RUNC,
  KUBE_VIP,
  KUBEADM_API_VERSION,
  type CniPin,
  type PinnedBinary,
} from './versions.js';
export { parseStateStoreUrl } from './inputs.js';
export { renderBootstrapInstaller, BOOTSTRAP_UNIT, BOOTSTRAP_SCRIPT_PATH, type InstallerOptions } from './unit.js';
export { s3Address } from './script.js';
export { readNodeReports, parseNodeReport, describeBootstrapFailure, nodeStatusPrefix, type NodeBootstrapReport, type BootstrapState } from './node-status.js';
export { bootstrapBundle, distinctBundles, renderLoader, BUNDLE_FOLDER, type BootstrapBundle, type LoaderOptions } from './loader.js';
export { etcdScriptsInput, ETCD_BACKUP_SCRIPT_PATH, ETCD_RESTORE_SCRIPT_PATH } from './etcd-backup.js';
export { renderEtcdBackupScript, renderEtcdControlScript, renderEtcdRestoreScript } from './etcd-scripts.js';
