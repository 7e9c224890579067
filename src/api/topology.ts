// Rules about the network topology fields (spec.topology, spec.bastion, spec.networking.networkId/subnets/nat,
// spec.api.loadBalancerType) that every cloud shares; what is particular to a cloud is its cloud.ts `topology`.
// docs/aws.md and docs/gce.md describe each topology.

import type { CloudFacts } from '../core/provider.js';
import { API_LOAD_BALANCER_TYPES, NAT_MODES, TOPOLOGIES, type Cluster } from './types.js';

/** The cluster's topology with the default filled in (clusters made before topologies are public). */
export const topologyOf = (c: Cluster) => c.spec.topology ?? 'public';
/** Whether the cluster brings its own network (spec.networking.networkId). */
export const usesExistingNetwork = (c: Cluster) => c.spec.networking.networkId !== undefined;
/** Whether the admins' API load balancer is internet-facing (the default) or there is only the internal one. */
export const apiLoadBalancerTypeOf = (c: Cluster) => c.spec.api.loadBalancerType ?? 'public';

export function topologyIssues(c: Cluster, cloud: CloudFacts | undefined, add: (path: string, message: string) => void): void {
  const s = c.spec;
  const n = s.networking;
  if (!cloud) return; // the spec rules report the unknown cloud
  const topology = cloud.topology;
  if (!topology) {
    for (const [path, set] of [
      ['spec.topology', s.topology !== undefined], ['spec.bastion', s.bastion !== undefined], ['spec.networking.networkId', n.networkId !== undefined],
      ['spec.networking.subnets', n.subnets !== undefined], ['spec.networking.nat', n.nat !== undefined], ['spec.api.loadBalancerType', s.api.loadBalancerType !== undefined],
    ] as const) {
      if (set) add(path, `is not taken on ${cloud.title}: ${cloud.ownHosts ? 'its hosts are on the network they are on (see docs/metal.md for API front ends)' : 'it has no network topologies'}`);
    }
    return;
  }
  if (s.topology !== undefined && !TOPOLOGIES.includes(s.topology)) add('spec.topology', `"${s.topology}" is not a topology (${TOPOLOGIES.join(', ')})`);
  if (s.api.loadBalancerType !== undefined && !API_LOAD_BALANCER_TYPES.includes(s.api.loadBalancerType)) {
    add('spec.api.loadBalancerType', `"${s.api.loadBalancerType}" is not an API load balancer type (${API_LOAD_BALANCER_TYPES.join(', ')})`);
  }
  const privateTopology = topologyOf(c) === 'private';
  if (n.nat !== undefined) {
    if (!NAT_MODES.includes(n.nat)) add('spec.networking.nat', `"${n.nat}" is not a NAT mode (${NAT_MODES.join(', ')})`);
    else if (!privateTopology) add('spec.networking.nat', 'is only used with topology private (public instances need no NAT); add --topology private or drop --nat');
    else if (topology.noNatModes) add('spec.networking.nat', topology.noNatModes);
  }
  if (s.bastion !== undefined) {
    if (topology.noBastion) add('spec.bastion', topology.noBastion);
    else if (!privateTopology) add('spec.bastion', 'is only used with topology private (public instances take SSH directly); add --topology private or drop --bastion');
    else if (s.ssh.publicKey === null) add('spec.bastion', 'needs an SSH key to log in with: pass --ssh-public-key ~/.ssh/id_ed25519.pub or drop --bastion');
    else if (n.subnets !== undefined) add('spec.bastion', 'needs public subnets k8sup makes: with --subnets, run your own jump host in your network and drop --bastion');
  }
  if (n.subnets !== undefined && n.networkId === undefined) add('spec.networking.subnets', 'names subnets of an existing network: also pass --network-id (the VPC or network they are in)');
  if (n.networkId === undefined) return;
  topology.existingNetworkIssues(c, add);
}
