// The cluster's network, in one of three shapes (docs/aws.md, "Topologies"):
//  - public (default): VPC, one public subnet per zone carved from spec.networking.networkCIDR, internet gateway,
//    one route table (0.0.0.0/0 → gateway); instances get public addresses.
//  - private: per zone a private subnet for every instance and a public ("utility") subnet for the NAT gateway,
//    internet-facing load balancers and the bastion; NAT gateways with Elastic IPs, one per zone (or one for the
//    cluster, `nat: single`); each zone's private route table sends 0.0.0.0/0 to its zone's (or the single) NAT.
//  - an existing VPC and subnets (spec.networking.networkId / subnets): no network resources at all; the VPC and
//    each subnet only get the `kubernetes.io/cluster/<name>=shared` tag (a shared-tag resource, removed on delete).

import type { Cluster } from '../../../src/api/types.js';
import { formatCidr, parseCidr, subnetOf } from '../../../src/api/cidr.js';
import { topologyOf } from '../../../src/api/topology.js';
import { clusterZones } from '../../../src/api/zones.js';
import type { ResourceNode } from '../../../src/core/resource.js';
import type { OutputRef } from '../resources/define.js';
import { elasticIp } from '../resources/elastic-ip.js';
import { internetGateway } from '../resources/internet-gateway.js';
import { natGateway } from '../resources/nat-gateway.js';
import { routeTable } from '../resources/route-table.js';
import { sharedTag } from '../resources/shared-tag.js';
import { subnet } from '../resources/subnet.js';
import { vpc } from '../resources/vpc.js';
import { INTERNET_GATEWAY, ROUTE_TABLE, VPC, natAddressId, natGatewayId, privateRouteTableId, sharedTagId, subnetId, utilitySubnetId } from './ids.js';
import { clusterTags, kubernetesClusterTag } from './names.js';

// spec.zones order first, so subnet CIDRs stay put when groups change.
export { clusterZones };

/**
 * Subnet CIDR for the zone at `index`. The VPC is split into 8 equal slots (a /16 gives /19s, like kops), so adding
 * a zone never moves an existing subnet; more than 8 zones uses 16 slots.
 */
export function subnetCidr(networkCidr: string, index: number, zoneCount: number): string {
  const parent = parseCidr(networkCidr);
  if (!parent) throw new RangeError(`invalid networkCIDR ${networkCidr}`);
  const slotsBits = zoneCount <= 8 ? 3 : 4;
  return formatCidr(subnetOf(parent, Math.min(28, parent.prefix + slotsBits), index));
}

/**
 * private topology: the utility subnet of the zone at `index`, carved from the VPC's last slot (8 pieces: a /16 gives
 * /22s, enough for a NAT gateway, load balancer nodes and a bastion). The private subnets keep the slots public
 * subnets have, so at most 7 zones (15 with 16 slots) leave the last slot free.
 */
export function utilitySubnetCidr(networkCidr: string, index: number, zoneCount: number): string {
  const parent = parseCidr(networkCidr)!;
  const slotsBits = zoneCount <= 7 ? 3 : 4;
  const slotPrefix = Math.min(28, parent.prefix + slotsBits);
  const lastSlot = subnetOf(parent, slotPrefix, 2 ** slotsBits - 1);
  return formatCidr(subnetOf(lastSlot, Math.min(28, slotPrefix + 3), index));
}

const usesExisting = (cluster: Cluster) => cluster.spec.networking.networkId !== undefined;
const isPrivate = (cluster: Cluster) => topologyOf(cluster) === 'private';

/** The VPC id: a Ref to the cluster's own VPC, or the existing one (a literal: nothing in the graph owns it). */
export function vpcRef(cluster: Cluster): string | OutputRef<string> {
  return cluster.spec.networking.networkId ?? vpc.ref(VPC, 'id');
}

/** The subnet a zone's instances (and the internal API load balancer) are in. */
export function instanceSubnetRef(cluster: Cluster, zone: string): string | OutputRef<string> {
  const existing = cluster.spec.networking.subnets;
  if (usesExisting(cluster) && existing) return existing[cluster.spec.zones.indexOf(zone)] ?? existing[0];
  return subnet.ref(subnetId(zone), 'id');
}

/** The public subnet of a zone (internet-facing load balancer, bastion): the utility subnet in the private topology. */
export function publicSubnetRef(cluster: Cluster, zone: string): string | OutputRef<string> {
  return !usesExisting(cluster) && isPrivate(cluster) ? subnet.ref(utilitySubnetId(zone), 'id') : instanceSubnetRef(cluster, zone);
}

/** private topology: the NAT gateway keys, `single` or one per zone. */
export function natKeys(cluster: Cluster): string[] {
  return cluster.spec.networking.nat === 'single' ? ['single'] : clusterZones(cluster);
}

export function networkNodes(cluster: Cluster): ResourceNode[] {
  const name = cluster.metadata.name;
  const zones = clusterZones(cluster);
  if (usesExisting(cluster)) return sharedTagNodes(cluster);
  const cidr = cluster.spec.networking.networkCIDR;
  const priv = isPrivate(cluster);
  const nodes: ResourceNode[] = [
    vpc.node(VPC, { cidrBlock: cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: clusterTags(name, VPC) }),
  ];
  zones.forEach((zone, i) => {
    const id = subnetId(zone);
    nodes.push(
      subnet.node(id, {
        vpcId: vpc.ref(VPC, 'id'),
        availabilityZone: zone,
        cidrBlock: subnetCidr(cidr, i, zones.length),
        // public: no NAT gateway, so instances need a public address to pull packages and images. private: never.
        mapPublicIpOnLaunch: !priv,
        // Where Kubernetes' AWS load balancer controllers put internet-facing / internal load balancers.
        tags: { ...clusterTags(name, id), ...(priv ? { 'kubernetes.io/role/internal-elb': '1' } : { 'kubernetes.io/role/elb': '1' }) },
      }),
    );
    if (priv) {
      const utility = utilitySubnetId(zone);
      nodes.push(
        subnet.node(utility, {
          vpcId: vpc.ref(VPC, 'id'),
          availabilityZone: zone,
          cidrBlock: utilitySubnetCidr(cidr, i, zones.length),
          // The bastion is the only instance here and needs its public address.
          mapPublicIpOnLaunch: true,
          tags: { ...clusterTags(name, utility), 'kubernetes.io/role/elb': '1' },
        }),
      );
    }
  });
  nodes.push(internetGateway.node(INTERNET_GATEWAY, { vpcId: vpc.ref(VPC, 'id'), tags: clusterTags(name, INTERNET_GATEWAY) }));
  nodes.push(
    routeTable.node(ROUTE_TABLE, {
      vpcId: vpc.ref(VPC, 'id'),
      routes: [{ destinationCidrBlock: '0.0.0.0/0', gatewayId: internetGateway.ref(INTERNET_GATEWAY, 'id') }],
      subnetIds: zones.map((z) => subnet.ref(priv ? utilitySubnetId(z) : subnetId(z), 'id')),
      tags: clusterTags(name, ROUTE_TABLE),
    }),
  );
  if (!priv) return nodes;
  const keys = natKeys(cluster);
  for (const key of keys) {
    const eip = natAddressId(key);
    const nat = natGatewayId(key);
    const zone = key === 'single' ? zones[0] : key;
    nodes.push(elasticIp.node(eip, { tags: clusterTags(name, eip) }));
    nodes.push(
      natGateway.node(
        nat,
        { subnetId: subnet.ref(utilitySubnetId(zone), 'id'), allocationId: elasticIp.ref(eip, 'allocationId'), tags: clusterTags(name, nat) },
        // A NAT gateway in a subnet without a route to an internet gateway cannot reach the internet.
        [ROUTE_TABLE, INTERNET_GATEWAY],
      ),
    );
  }
  for (const zone of zones) {
    const id = privateRouteTableId(zone);
    const nat = natGatewayId(keys.includes(zone) ? zone : 'single');
    nodes.push(
      routeTable.node(id, {
        vpcId: vpc.ref(VPC, 'id'),
        routes: [{ destinationCidrBlock: '0.0.0.0/0', natGatewayId: natGateway.ref(nat, 'id') }],
        subnetIds: [subnet.ref(subnetId(zone), 'id')],
        tags: clusterTags(name, id),
      }),
    );
  }
  return nodes;
}

/** The `shared` tag on the existing VPC and on each existing subnet (tag only: nothing else of them is ever changed). */
function sharedTagNodes(cluster: Cluster): ResourceNode[] {
  const n = cluster.spec.networking;
  const tags = { [kubernetesClusterTag(cluster.metadata.name)]: 'shared' };
  const nodes: ResourceNode[] = [sharedTag.node(sharedTagId('vpc'), { resourceId: n.networkId!, tags })];
  cluster.spec.zones.forEach((zone, i) => {
    const existing = n.subnets?.[i];
    if (existing) nodes.push(sharedTag.node(sharedTagId(`subnet/${zone}`), { resourceId: existing, tags }));
  });
  return nodes;
}
