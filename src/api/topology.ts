// Rules about the network topology fields (spec.topology, spec.bastion, spec.networking.networkId/subnets/nat,
// spec.api.loadBalancerType): which clouds take them and which combinations make a reachable cluster.
// docs/aws.md and docs/gce.md describe each topology.

import type { FieldIssue } from '../core/errors.js';
import { API_LOAD_BALANCER_TYPES, NAT_MODES, TOPOLOGIES, type Cluster } from './types.js';

const AWS_VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const AWS_SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
/** GCE resource names (RFC 1035 labels). */
const GCE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The cluster's topology with the default filled in (clusters made before topologies are public). */
export const topologyOf = (c: Cluster) => c.spec.topology ?? 'public';
/** Whether the cluster brings its own network (spec.networking.networkId). */
export const usesExistingNetwork = (c: Cluster) => c.spec.networking.networkId !== undefined;
/** Whether the admins' API load balancer is internet-facing (the default) or there is only the internal one. */
export const apiLoadBalancerTypeOf = (c: Cluster) => c.spec.api.loadBalancerType ?? 'public';

export function topologyIssues(c: Cluster, add: (path: string, message: string) => void): void {
  const s = c.spec;
  const n = s.networking;
  if (s.cloud === 'metal') {
    for (const [path, set] of [
      ['spec.topology', s.topology !== undefined], ['spec.bastion', s.bastion !== undefined], ['spec.networking.networkId', n.networkId !== undefined],
      ['spec.networking.subnets', n.subnets !== undefined], ['spec.networking.nat', n.nat !== undefined], ['spec.api.loadBalancerType', s.api.loadBalancerType !== undefined],
    ] as const) {
      if (set) add(path, 'only cloud clusters (aws, gce) take it: bare-metal hosts are on the network they are on (see docs/metal.md for API front ends)');
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
    else if (s.cloud === 'gce') add('spec.networking.nat', 'is an AWS setting: GCE Cloud NAT is one regional gateway that spans every zone; drop --nat');
  }
  if (s.bastion !== undefined) {
    if (s.cloud === 'gce') add('spec.bastion', 'is not supported on GCE: reach private GCE nodes through IAP TCP forwarding (gcloud compute ssh --tunnel-through-iap); drop --bastion');
    else if (!privateTopology) add('spec.bastion', 'is only used with topology private (public instances take SSH directly); add --topology private or drop --bastion');
    else if (s.ssh.publicKey === null) add('spec.bastion', 'needs an SSH key to log in with: pass --ssh-public-key ~/.ssh/id_ed25519.pub or drop --bastion');
    else if (n.subnets !== undefined) add('spec.bastion', 'needs public subnets k8sup makes: with --subnets, run your own jump host in your VPC and drop --bastion');
  }
  if (n.subnets !== undefined && n.networkId === undefined) add('spec.networking.subnets', 'names subnets of an existing network: also pass --network-id (the VPC or network they are in)');
  if (n.networkId === undefined) return;
  if (s.cloud === 'aws') {
    if (!AWS_VPC_ID.test(n.networkId)) add('spec.networking.networkId', `"${n.networkId}" is not a VPC id (vpc-0123456789abcdef0)`);
    if (n.subnets === undefined) add('spec.networking.subnets', `is required with --network-id: one existing subnet per zone, in --zones order (${s.zones.length} for ${s.zones.join(', ')})`);
    else {
      if (n.subnets.length !== s.zones.length) add('spec.networking.subnets', `lists ${n.subnets.length} subnet(s) for ${s.zones.length} zone(s): give one per zone, in --zones order (${s.zones.join(', ')})`);
      n.subnets.forEach((id, i) => AWS_SUBNET_ID.test(id) || add(`spec.networking.subnets[${i}]`, `"${id}" is not a subnet id (subnet-0123456789abcdef0)`));
      if (new Set(n.subnets).size !== n.subnets.length) add('spec.networking.subnets', 'lists a subnet twice');
      // The given subnets are the cluster's only subnets: private ones have no place for an internet-facing NLB.
      if (privateTopology && apiLoadBalancerTypeOf(c) === 'public') {
        add('spec.api.loadBalancerType', 'must be internal with --topology private and --subnets (the subnets you bring hold the instances, and an internet-facing load balancer needs public ones); pass --api-loadbalancer-type internal');
      }
      if (privateTopology && n.nat !== undefined) add('spec.networking.nat', 'is not used with --subnets: your subnets already route their traffic out; drop --nat');
    }
  } else {
    if (!GCE_NAME.test(n.networkId)) add('spec.networking.networkId', `"${n.networkId}" is not a GCE network name (lowercase letters, digits and '-')`);
    if (n.subnets === undefined || n.subnets.length !== 1) {
      add('spec.networking.subnets', `needs exactly one existing subnetwork of network ${n.networkId} in region ${s.region} (--subnets my-subnet)`);
    } else if (!GCE_NAME.test(n.subnets[0])) add('spec.networking.subnets[0]', `"${n.subnets[0]}" is not a GCE subnetwork name`);
  }
}
