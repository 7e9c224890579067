import type { Cluster } from '../api/types.js';

export type NodeRole = 'control-plane-init' | 'control-plane-join' | 'worker';
export type BootstrapProvider = 'aws' | 'gce' | 'metal';
/** How a host installs packages: apt (Ubuntu, Debian) or dnf (RHEL family: Rocky, Alma). */
export type OsFamily = 'debian' | 'rhel';

export interface BootstrapInput {
  cluster: Cluster;
  role: NodeRole;
  /** 'control-plane' for control planes. */
  nodeGroup: string;
  provider: BootstrapProvider;
  /** host or host:port of the API load balancer / VIP / first control plane (kubeadm controlPlaneEndpoint). */
  apiEndpoint: string;
  apiCertSANs?: string[];
  /** sha256:<64 hex> of the cluster CA's public key (src/pki computes it). */
  caCertHash: string;
  /** s3://bucket/prefix, gs://bucket/prefix, or file:// (metal: PKI and tokens are copied over SSH instead). */
  stateStoreUrl: string;
  /** metal: fixed node name; cloud: read from the metadata service at boot. */
  nodeName?: string;
  /** metal: the node's address (kubelet node-ip, and the API advertise address on control planes). */
  nodeIp?: string;
  /** metal: the host's OS family, as probed over SSH (default debian; cloud images are Ubuntu). */
  osFamily?: OsFamily;
  /** aws: region of the state bucket when it differs from spec.region. */
  stateStoreRegion?: string;
}
