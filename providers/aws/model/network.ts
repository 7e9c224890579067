// VPC, one public subnet per zone carved from spec.networking.networkCIDR, internet gateway, route table.

import type { Cluster } from '../../../src/api/types.js';
import { formatCidr, parseCidr, subnetOf } from '../../../src/api/cidr.js';
import { clusterZones } from '../../../src/api/zones.js';
import type { ResourceNode } from '../../../src/core/resource.js';
import { internetGateway } from '../resources/internet-gateway.js';
import { routeTable } from '../resources/route-table.js';
import { subnet } from '../resources/subnet.js';
import { vpc } from '../resources/vpc.js';
import { INTERNET_GATEWAY, ROUTE_TABLE, VPC, subnetId } from './ids.js';
import { clusterTags } from './names.js';

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

export function networkNodes(cluster: Cluster): ResourceNode[] {
  const name = cluster.metadata.name;
  const zones = clusterZones(cluster);
  const cidr = cluster.spec.networking.networkCIDR;
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
        // Public subnets without a NAT gateway: instances need a public address to pull packages and images.
        mapPublicIpOnLaunch: true,
        tags: { ...clusterTags(name, id), 'kubernetes.io/role/elb': '1' },
      }),
    );
  });
  nodes.push(internetGateway.node(INTERNET_GATEWAY, { vpcId: vpc.ref(VPC, 'id'), tags: clusterTags(name, INTERNET_GATEWAY) }));
  nodes.push(
    routeTable.node(ROUTE_TABLE, {
      vpcId: vpc.ref(VPC, 'id'),
      routes: [{ destinationCidrBlock: '0.0.0.0/0', gatewayId: internetGateway.ref(INTERNET_GATEWAY, 'id') }],
      subnetIds: zones.map((z) => subnet.ref(subnetId(z), 'id')),
      tags: clusterTags(name, ROUTE_TABLE),
    }),
  );
  return nodes;
}
