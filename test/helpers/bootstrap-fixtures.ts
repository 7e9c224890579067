// Clusters and bootstrap inputs shared by the bootstrap tests.

import { cloudFacts, type CloudName } from '../../providers/index.js';
import type { Cluster, CniName } from '../../src/api/types.js';
import type { BootstrapInput, NodeRole } from '../../src/bootstrap/index.js';

export const ROLES: NodeRole[] = ['control-plane-init', 'control-plane-join', 'worker'];
export const PROVIDERS: CloudName[] = ['aws', 'gce', 'metal'];
/** The oldest and the newest supported minor (their pause images differ). */
export const VERSIONS = ['1.33.8', '1.35.1'];

export const TEST_CA_HASH = `sha256:${'0123456789abcdef'.repeat(4)}`;

export function testCluster(opts: { provider?: CloudName; version?: string; cni?: CniName; assets?: Cluster['spec']['assets'] } = {}): Cluster {
  const provider = opts.provider ?? 'aws';
  const region = provider === 'gce' ? 'us-central1' : provider === 'aws' ? 'us-east-2' : 'metal';
  return {
    apiVersion: 'k8sup.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'demo.k8s.local' },
    spec: {
      cloud: provider,
      region,
      zones: provider === 'metal' ? [] : [`${region}${provider === 'gce' ? '-b' : 'a'}`],
      kubernetesVersion: opts.version ?? '1.35.1',
      networking: { cni: opts.cni ?? 'calico', podCIDR: '100.96.0.0/11', serviceCIDR: '100.64.0.0/13', networkCIDR: '172.20.0.0/16' },
      api: { adminAccess: ['0.0.0.0/0'], dnsZone: null },
      ssh: { publicKey: null, access: ['0.0.0.0/0'] },
      controlPlane: { count: 3, machineType: 't3.medium', zones: [] },
      nodeGroups: [{ name: 'nodes', machineType: 't3.medium', minSize: 1, maxSize: 5, zones: [] }],
      ...(opts.assets ? { assets: opts.assets } : {}),
    },
  };
}

export function testInput(
  provider: CloudName,
  role: NodeRole,
  opts: { version?: string; cni?: CniName; caCertHash?: string; assets?: Cluster['spec']['assets'] } = {},
): BootstrapInput {
  const controlPlane = role !== 'worker';
  const base: BootstrapInput = {
    cluster: testCluster({ provider, version: opts.version, cni: opts.cni, assets: opts.assets }),
    role,
    nodeGroup: controlPlane ? 'control-plane' : 'nodes',
    provider: cloudFacts(provider)!.nodes,
    apiEndpoint: provider === 'metal' ? '10.0.0.100' : 'api.demo.example.com',
    apiCertSANs: provider === 'metal' ? ['10.0.0.100', 'api.demo.internal'] : ['api.demo.internal'],
    caCertHash: opts.caCertHash ?? TEST_CA_HASH,
    stateStoreUrl: provider === 'aws' ? 's3://k8sup-state/team-a' : provider === 'gce' ? 'gs://k8sup-state' : 'file:///home/ops/.k8sup/state',
  };
  if (provider === 'metal') {
    base.nodeName = controlPlane ? 'cp-1' : 'worker-1';
    base.nodeIp = controlPlane ? '10.0.0.11' : '10.0.0.21';
  }
  return base;
}

/** A real-looking private CA for spec.assets.registries (made with `openssl req -x509`, self-signed, public part only). */
export const REGISTRY_CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBjDCCATGgAwIBAgIUaE1hBXFeRpsSEdKCMpWJE6xtbg8wCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQY29ycC1yZWdpc3RyeS1jYTAeFw0yNjEyMDExMzIxMDJaFw0z
NjExMjgxMzIxMDJaMBsxGTAXBgNVBAMMEGNvcnAtcmVnaXN0cnktY2EwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAATxQWYFOpFF42xMEaxbaggLSVYeuRvr+ufda4F2
x3+m9/gGVuQ1+avU4HfBG5T3tdlQh6AB+yU+TH8vgi8IU+Qno1MwUTAdBgNVHQ4E
FgQUmjyGmX/WY0idGdWEB1ksgdzT+oYwHwYDVR0jBBgwFoAUmjyGmX/WY0idGdWE
B1ksgdzT+oYwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEAoCQ6
7MqlRxJC1YEkZK446zz13tqp8VnTehRk6TUCnRcCIQCaJiVXPCP/UP/zZRG2Dm/R
E62sdh7VLnczKJ5lVbn1QQ==
-----END CERTIFICATE-----`;

/** Every component, node-group and asset setting k8sup renders, set to a non-default value (docs/spec.md). */
export function withEverySetting(cluster: Cluster): Cluster {
  const spec = cluster.spec;
  spec.networking.dnsDomain = 'k8s.corp.example';
  spec.kubeAPIServer = {
    enableAdmissionPlugins: ['NodeRestriction', 'AlwaysPullImages'],
    disableAdmissionPlugins: ['DefaultStorageClass'],
    serviceNodePortRange: '30000-31999',
    oidc: { issuerURL: 'https://idp.corp.example', clientID: 'kubernetes', usernameClaim: 'email', usernamePrefix: 'oidc:', groupsClaim: 'groups', groupsPrefix: 'oidc:', requiredClaims: { hd: 'corp.example' } },
    auditLogging: true,
    encryptionAtRest: true,
    extraArgs: { 'max-requests-inflight': '800' },
  };
  spec.kubelet = {
    maxPods: 60,
    systemReserved: { cpu: '200m', memory: '512Mi' },
    kubeReserved: { cpu: '100m', memory: '256Mi', 'ephemeral-storage': '1Gi' },
    evictionHard: { 'memory.available': '300Mi', 'nodefs.available': '10%' },
    extraArgs: { 'image-gc-high-threshold': '80' },
  };
  spec.kubeProxy = { mode: 'ipvs' };
  spec.controlPlane.schedulable = true;
  spec.nodeGroups = spec.nodeGroups.map((g) => ({ ...g, labels: { 'node.kubernetes.io/pool': 'general', team: 'payments' }, taints: ['dedicated=payments:NoSchedule', 'spot:PreferNoSchedule'] }));
  return cluster;
}

/** An air-gapped install: every image, file and package from the site's own mirrors. */
export const AIRGAP_ASSETS: NonNullable<Cluster['spec']['assets']> = {
  baseURL: null,
  registryMirror: null,
  containerRegistry: 'registry.corp.example:5000/k8s',
  fileRepository: 'https://files.corp.example/k8s',
  registries: [{ host: 'registry.corp.example:5000', caCert: REGISTRY_CA_PEM }],
  packageMirrors: { apt: 'https://apt.corp.example', dnf: 'https://dnf.corp.example' },
};
