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
