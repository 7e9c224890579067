import type { Cluster } from '../api/types.js';
import type { PinnedBinary } from './versions.js';

export type NodeRole = 'control-plane-init' | 'control-plane-join' | 'worker';
/** What a node's bootstrap needs to know about the cloud it runs on; each provider's cloud.ts declares it. */
export interface BootstrapProvider {
  /** The cloud's name; templates/bootstrap/store-<name>.sh is how its nodes reach the state store. */
  name: string;
  /** How messages name it ('AWS'). */
  title: string;
  /**
   * Its nodes read the state store themselves, with their own cloud identity, at this URL scheme; undefined: they do
   * not (bare metal: the material is copied to them over SSH).
   */
  store?: {
    scheme: 's3' | 'gs';
    /** 'their instance role', for messages. */
    identity: string;
    /** The store's address needs the bucket's region (S3), e.g. 'us-east-2'. */
    regionExample?: string;
  };
  /**
   * The nodes are the user's own hosts (bare metal): fixed node names, any OS family, the API front end on the control
   * planes; they are never replaced, so they neither leave etcd at shutdown nor clean it up when joining.
   */
  ownHosts: boolean;
  /**
   * The kubelet image credential provider its nodes run (src/bootstrap/credential-provider.ts), so that they pull from
   * the cloud's registry with their instance identity; absent: none.
   */
  imageCredentialProvider?: ImageCredentialProvider;
}

/** A kubelet image credential provider plugin: its pinned binary and the images the kubelet asks it about. */
export interface ImageCredentialProvider {
  /** The plugin's binary name in the plugin directory, which is also its name in the CredentialProviderConfig. */
  name: string;
  /** Upstream release binary per architecture, with the sha256 upstream published for it (never computed here). */
  binary: PinnedBinary;
  /** Image patterns the kubelet asks it for (`providers[].matchImages`; a glob matches one domain segment). */
  matchImages: readonly string[];
  /** How long the kubelet caches credentials when the plugin's answer names no duration (`0`: no default cache). */
  defaultCacheDuration: string;
  /** The credentialprovider.kubelet.k8s.io version of the plugin's stdin/stdout exchange. */
  apiVersion: string;
}

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
  /**
   * cloud control planes rendered for `upgrade cluster`: the version the cluster runs before it (BuildInputs.upgradeFrom).
   * The bundle then joins with that version's kubeadm and upgrades the cluster afterwards (templates/bootstrap/
   * kube-packages-upgrade.sh, kubeadm-upgrade.sh); without it the bundle is the ordinary one.
   */
  upgradeFrom?: string;
}
