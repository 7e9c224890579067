// The custom-mode network, one subnetwork in the cluster's region (plus the proxy-only subnetwork of the internal API
// load balancer), and the firewall rules: internal traffic (nodes and pods), the API from `api.adminAccess` (the
// public endpoint's allow-list), the API from Google's health-check ranges and from the internal load balancer's
// proxies (the cluster's own path: never restricted by `api.adminAccess`), SSH from `ssh.access`.

import type { Cluster } from '../../../src/api/types.js';
import { apiLoadBalancerTypeOf, topologyOf } from '../../../src/api/topology.js';
import { ref, type FieldValue, type ResourceNode } from '../../../src/core/resource.js';
import { InvalidInputError } from '../../../src/core/errors.js';
import { cidrsOverlap, parseCidr } from '../../../src/api/cidr.js';
import { FIREWALL_API, FIREWALL_API_HEALTH, FIREWALL_API_PROXIES, FIREWALL_INTERNAL, FIREWALL_SSH, NETWORK, proxySubnetworkId, routerId, subnetworkId } from './ids.js';
import { networkTag, resourceName } from './names.js';

/**
 * Where Google's health checks come from (documented by Google): 35.191.0.0/16, 209.85.152.0/22 and 209.85.204.0/22
 * for external passthrough load balancers; 35.191.0.0/16 and 130.211.0.0/22 for the regional internal proxy one.
 */
export const HEALTH_CHECK_RANGES = ['35.191.0.0/16', '130.211.0.0/22', '209.85.152.0/22', '209.85.204.0/22'];

/** Candidates for the proxy-only subnetwork (Google recommends a /23); the first that overlaps no cluster range wins. */
export const PROXY_SUBNET_CANDIDATES = ['172.31.254.0/23', '10.255.254.0/23', '192.168.254.0/23'];

/** The proxy-only subnetwork's range: outside the network, pod and service ranges (they must not overlap). */
export function proxySubnetCidr(cluster: Cluster): string {
  const n = cluster.spec.networking;
  const taken = [n.networkCIDR, n.podCIDR, n.serviceCIDR].map((c) => parseCidr(c)).filter((c) => c !== null);
  const free = PROXY_SUBNET_CANDIDATES.find((c) => !taken.some((t) => cidrsOverlap(parseCidr(c)!, t)));
  if (!free) {
    throw new InvalidInputError(`spec.networking: every proxy-only subnetwork range (${PROXY_SUBNET_CANDIDATES.join(', ')}) overlaps the cluster's ranges`, {
      issues: [{ path: 'spec.networking.networkCIDR', message: 'leaves no room for the internal API load balancer\'s proxy-only subnetwork' }],
      hint: 'Pick a networkCIDR, podCIDR and serviceCIDR that leave one of these ranges free.',
    });
  }
  return free;
}

const COMPUTE = 'https://www.googleapis.com/compute/v1';

/**
 * The cluster's network: its own (a Ref to the network resource) or the one the user brings (spec.networking.networkId,
 * by self link: there is no resource for it in the graph, so nothing ever changes or deletes it).
 */
export function networkLink(cluster: Cluster): FieldValue {
  const n = cluster.spec.networking;
  return n.networkId !== undefined ? `${COMPUTE}/projects/${cluster.spec.project}/global/networks/${n.networkId}` : ref(NETWORK, 'selfLink');
}

/** The subnetwork the instances and the internal API address are in: the cluster's own, or the user's (by self link). */
export function subnetworkLink(cluster: Cluster): FieldValue {
  const s = cluster.spec;
  const existing = s.networking.networkId !== undefined ? s.networking.subnets?.[0] : undefined;
  return existing !== undefined ? `${COMPUTE}/projects/${s.project}/regions/${s.region}/subnetworks/${existing}` : ref(subnetworkId(s.region), 'selfLink');
}

export function networkNodes(cluster: Cluster): ResourceNode[] {
  const name = cluster.metadata.name;
  const s = cluster.spec;
  const network = networkLink(cluster);
  const cpTag = networkTag(cluster, 'control-plane');
  const nodeTag = networkTag(cluster, 'node');
  const nodes: ResourceNode[] = [];
  if (s.networking.networkId === undefined) {
    nodes.push(
      { kind: 'network', id: NETWORK, fields: { name: resourceName(cluster, 'net'), autoCreateSubnetworks: false, routingMode: 'REGIONAL', mtu: 1460 } },
      {
        kind: 'subnetwork',
        id: subnetworkId(s.region),
        fields: { name: resourceName(cluster, s.region), region: s.region, network, ipCidrRange: s.networking.networkCIDR, privateIpGoogleAccess: true },
      },
    );
  }
  if (topologyOf(cluster) === 'private') {
    // Instances have no external address: Cloud NAT (on a Cloud Router, regional) is their way out, for the cluster's
    // subnetwork only, so it never takes over other subnetworks of a network the user brings.
    nodes.push({
      kind: 'router',
      id: routerId(s.region),
      fields: {
        name: resourceName(cluster, `${s.region}-nat`),
        region: s.region,
        network,
        nats: [
          {
            name: resourceName(cluster, 'nat'),
            natIpAllocateOption: 'AUTO_ONLY',
            sourceSubnetworkIpRangesToNat: 'LIST_OF_SUBNETWORKS',
            subnetworks: [{ name: subnetworkLink(cluster), sourceIpRangesToNat: ['ALL_IP_RANGES'] }],
          },
        ],
      },
    });
  }
  nodes.push(
    {
      kind: 'subnetwork',
      id: proxySubnetworkId(s.region),
      // Envoy proxies of the internal API load balancer (loadbalancer.ts); GCE allows one active one per region and
      // network, and allocates nothing else from it.
      fields: { name: resourceName(cluster, `${s.region}-proxy`), region: s.region, network, ipCidrRange: proxySubnetCidr(cluster), purpose: 'REGIONAL_MANAGED_PROXY', role: 'ACTIVE' },
    },
    {
      kind: 'firewall',
      id: FIREWALL_INTERNAL,
      fields: {
        name: resourceName(cluster, 'internal'),
        network,
        direction: 'INGRESS',
        priority: 1000,
        // Node and pod addresses: pod traffic is encapsulated (IP-in-IP or VXLAN) or routed between nodes.
        sourceRanges: [s.networking.networkCIDR, s.networking.podCIDR],
        allowed: [{ IPProtocol: 'tcp' }, { IPProtocol: 'udp' }, { IPProtocol: 'icmp' }, { IPProtocol: 'ipip' }],
        targetTags: [cpTag, nodeTag],
      },
    },
    {
      kind: 'firewall',
      id: FIREWALL_API,
      fields: {
        name: resourceName(cluster, 'api'),
        network,
        direction: 'INGRESS',
        priority: 1000,
        // The passthrough load balancer keeps the client's address, so the rule on the instances is the allow-list.
        sourceRanges: [...s.api.adminAccess],
        allowed: [{ IPProtocol: 'tcp', ports: ['6443'] }],
        targetTags: [cpTag],
      },
    },
    {
      kind: 'firewall',
      id: FIREWALL_API_PROXIES,
      fields: {
        name: resourceName(cluster, 'api-proxies'),
        network,
        direction: 'INGRESS',
        priority: 1000,
        // The internal proxy load balancer connects to the control planes from its proxy-only subnetwork.
        sourceRanges: [proxySubnetCidr(cluster)],
        allowed: [{ IPProtocol: 'tcp', ports: ['6443'] }],
        targetTags: [cpTag],
      },
    },
    {
      kind: 'firewall',
      id: FIREWALL_API_HEALTH,
      fields: {
        name: resourceName(cluster, 'api-health'),
        network,
        direction: 'INGRESS',
        priority: 1000,
        sourceRanges: [...HEALTH_CHECK_RANGES],
        allowed: [{ IPProtocol: 'tcp', ports: ['6443'] }],
        targetTags: [cpTag],
      },
    },
  );
  // The public passthrough load balancer keeps client addresses, so firewall/api is its allow-list: none without it.
  if (apiLoadBalancerTypeOf(cluster) === 'internal') nodes.splice(nodes.findIndex((n) => n.id === FIREWALL_API), 1);
  // No key in the metadata, no way to log in: port 22 stays closed rather than open to ssh.access for nothing.
  if (s.ssh.publicKey && s.ssh.access.length) {
    nodes.push({
      kind: 'firewall',
      id: FIREWALL_SSH,
      fields: {
        name: resourceName(cluster, 'ssh'),
        network,
        direction: 'INGRESS',
        priority: 1000,
        sourceRanges: [...s.ssh.access],
        allowed: [{ IPProtocol: 'tcp', ports: ['22'] }],
        targetTags: [cpTag, nodeTag],
      },
    });
  }
  return nodes;
}
