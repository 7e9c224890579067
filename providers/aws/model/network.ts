// VPC, one public subnet per zone carved from spec.networking.networkCIDR, internet gateway, route table.

import type { Cluster } from '../../../src/api/types.js';
import { formatCidr, parseCidr, subnetOf } from '../../../src/api/cidr.js';
import { clusterZones } from '../../../src/api/zones.js';
import { ref, type ResourceNode } from '../../../src/core/resource.js';
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
    { kind: 'vpc', id: VPC, fields: { cidrBlock: cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: clusterTags(name, VPC) } },
  ];
  zones.forEach((zone, i) => {
    const id = subnetId(zone);
    nodes.push({
      kind: 'subnet',
      id,
      fields: {
        vpcId: ref(VPC, 'id'),
        availabilityZone: zone,
        cidrBlock: subnetCidr(cidr, i, zones.length),
        // Public subnets without a NAT gateway: instances need a public address to pull packages and images.
        mapPublicIpOnLaunch: true,
        tags: { ...clusterTags(name, id), 'kubernetes.io/role/elb': '1' },
      },
    });
  });
  nodes.push({ kind: 'internet-gateway', id: INTERNET_GATEWAY, fields: { vpcId: ref(VPC, 'id'), tags: clusterTags(name, INTERNET_GATEWAY) } });
  nodes.push({
    kind: 'route-table',
    id: ROUTE_TABLE,
    fields: {
      vpcId: ref(VPC, 'id'),
      routes: [{ destinationCidrBlock: '0.0.0.0/0', gatewayId: ref(INTERNET_GATEWAY, 'id') }],
      subnetIds: zones.map((z) => ref(subnetId(z), 'id')),
      tags: clusterTags(name, ROUTE_TABLE),
    },
  });
  return nodes;
}
