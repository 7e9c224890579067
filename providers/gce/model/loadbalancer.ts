// The API load balancers.
//  - Public, for admins: a regional external passthrough TCP load balancer (static address, regional HTTPS health
//    check on /readyz, regional backend service over the control-plane instance groups, forwarding rule for 6443)
//    and, when spec.api.dnsZone is set, the Cloud DNS A record `api.<cluster>.` pointing at the static address. It
//    keeps client addresses, so `firewall/api` (`api.adminAccess`) is its allow-list.
//  - Internal, for everything inside the cluster (kubeadm's controlPlaneEndpoint: kubelets, kube-proxy, joining and
//    replaced control planes): a regional internal *proxy* TCP load balancer (internal static address, backend
//    service INTERNAL_MANAGED over the same groups through their `apiserver` named port, target TCP proxy,
//    forwarding rule). Not a passthrough one, external or internal: Google's guest agent routes a passthrough
//    forwarding rule's address to the backend VM itself, so a control plane that joins through it connects to its
//    own, still empty port 6443 and times out. A proxy's address is not installed on the backends, and the proxy
//    only sends to healthy control planes, so a joiner always reaches one that serves. See docs/gce.md.

import type { Cluster } from '../../../src/api/types.js';
import { ref, type ResourceNode } from '../../../src/core/resource.js';
import { InvalidInputError } from '../../../src/core/errors.js';
import {
  API_ADDRESS, API_BACKEND_SERVICE, API_DNS_RECORD, API_FORWARDING_RULE, API_HEALTH_CHECK, API_INTERNAL_ADDRESS, API_INTERNAL_BACKEND_SERVICE, API_INTERNAL_HEALTH_CHECK,
  API_INTERNAL_FORWARDING_RULE, API_INTERNAL_PROXY, adminAddressId, instanceGroupId, proxySubnetworkId,
} from './ids.js';
import { clusterLabels, resourceName } from './names.js';
import { instanceGroups } from './compute.js';
import { networkLink, subnetworkLink } from './network.js';
import { apiLoadBalancerTypeOf } from '../../../src/api/topology.js';
/** The public load balancer's parts, which spec.api.loadBalancerType internal leaves out. */
const PUBLIC_PARTS = new Set([API_ADDRESS, API_HEALTH_CHECK, API_BACKEND_SERVICE, API_FORWARDING_RULE]);

/** Idle timeout of the internal proxy (seconds): watches stay open for a long time between events. */
export const API_PROXY_IDLE_TIMEOUT_SEC = 3600;
/** Capacity per control plane for the proxy's CONNECTION balancing mode (a target for balancing, not a limit). */
export const API_PROXY_CONNECTIONS_PER_INSTANCE = 10000;

/** TTL of the API record: the address is static, so clients may cache it for a while. */
export const API_DNS_TTL = 300;

/** `name` as an absolute, lower-case DNS name (`example.com` → `example.com.`). */
export const absoluteDnsName = (name: string) => (name.endsWith('.') ? name : `${name}.`).toLowerCase();

/**
 * The Cloud DNS A record for the API, or nothing without spec.api.dnsZone. The record must lie inside the zone
 * (Cloud DNS refuses it otherwise), so a cluster name outside the zone is rejected here, before anything is written.
 */
export function apiDnsRecordNodes(cluster: Cluster): ResourceNode[] {
  const zone = cluster.spec.api.dnsZone;
  if (!zone) return [];
  const dnsZone = absoluteDnsName(zone);
  const name = absoluteDnsName(`api.${cluster.metadata.name}`);
  if (!name.endsWith(`.${dnsZone}`)) {
    throw new InvalidInputError(`spec.api.dnsZone: the API record ${name} is not inside the DNS zone ${dnsZone}`, {
      issues: [{ path: 'spec.api.dnsZone', message: `api.${cluster.metadata.name} is not a name in ${dnsZone}` }],
      hint: `Name the cluster inside the zone (e.g. demo.${dnsZone.replace(/\.$/, '')}) or pass the zone that holds it.`,
    });
  }
  return [{ kind: 'dns-record', id: API_DNS_RECORD, fields: { dnsZone, name, type: 'A', ttl: API_DNS_TTL, rrdatas: [ref(adminAddressId(cluster), 'address')] } }];
}

function apiHealthCheck(cluster: Cluster, region: string, id: string, suffix: string): ResourceNode {
  return {
    kind: 'health-check',
    id,
    fields: {
      name: resourceName(cluster, suffix),
      region,
      type: 'HTTPS',
      // kubeadm lets anonymous clients read /readyz; the check does not validate the serving certificate.
      httpsHealthCheck: { port: 6443, requestPath: '/readyz' },
      checkIntervalSec: 5,
      timeoutSec: 5,
      healthyThreshold: 2,
      unhealthyThreshold: 2,
    },
  };
}

export function loadBalancerNodes(cluster: Cluster): ResourceNode[] {
  const all = allLoadBalancerNodes(cluster);
  return apiLoadBalancerTypeOf(cluster) === 'internal' ? all.filter((n) => !PUBLIC_PARTS.has(n.id)) : all;
}

function allLoadBalancerNodes(cluster: Cluster): ResourceNode[] {
  const name = cluster.metadata.name;
  const region = cluster.spec.region;
  const controlPlaneGroups = instanceGroups(cluster).filter((g) => g.role === 'control-plane');
  return [
    {
      kind: 'address',
      id: API_ADDRESS,
      fields: { name: resourceName(cluster, 'api'), region, addressType: 'EXTERNAL', networkTier: 'PREMIUM', labels: clusterLabels(name) },
    },
    apiHealthCheck(cluster, region, API_HEALTH_CHECK, 'api'),
    {
      kind: 'backend-service',
      id: API_BACKEND_SERVICE,
      fields: {
        name: resourceName(cluster, 'api'),
        region,
        protocol: 'TCP',
        loadBalancingScheme: 'EXTERNAL',
        sessionAffinity: 'NONE',
        healthChecks: [ref(API_HEALTH_CHECK, 'selfLink')],
        backends: controlPlaneGroups.flatMap((g) => g.zones.map((z) => ({ group: ref(instanceGroupId(g.key, z), 'instanceGroup'), balancingMode: 'CONNECTION' }))),
      },
    },
    {
      kind: 'forwarding-rule',
      id: API_FORWARDING_RULE,
      fields: {
        name: resourceName(cluster, 'api'),
        region,
        IPAddress: ref(API_ADDRESS, 'address'),
        IPProtocol: 'TCP',
        portRange: '6443-6443',
        loadBalancingScheme: 'EXTERNAL',
        networkTier: 'PREMIUM',
        backendService: ref(API_BACKEND_SERVICE, 'selfLink'),
        labels: clusterLabels(name),
      },
    },
    ...apiDnsRecordNodes(cluster),
    // Its own check: passthrough and proxy load balancers probe from different ranges and are kept apart.
    apiHealthCheck(cluster, region, API_INTERNAL_HEALTH_CHECK, 'api-internal'),
    {
      kind: 'address',
      id: API_INTERNAL_ADDRESS,
      fields: { name: resourceName(cluster, 'api-internal'), region, addressType: 'INTERNAL', subnetwork: subnetworkLink(cluster), labels: clusterLabels(name) },
    },
    {
      kind: 'backend-service',
      id: API_INTERNAL_BACKEND_SERVICE,
      fields: {
        name: resourceName(cluster, 'api-internal'),
        region,
        protocol: 'TCP',
        loadBalancingScheme: 'INTERNAL_MANAGED',
        // Proxies connect to a named port of the instance groups (compute.ts names 6443 `apiserver`).
        portName: 'apiserver',
        timeoutSec: API_PROXY_IDLE_TIMEOUT_SEC,
        sessionAffinity: 'NONE',
        healthChecks: [ref(API_INTERNAL_HEALTH_CHECK, 'selfLink')],
        backends: controlPlaneGroups.flatMap((g) =>
          g.zones.map((z) => ({ group: ref(instanceGroupId(g.key, z), 'instanceGroup'), balancingMode: 'CONNECTION', maxConnectionsPerInstance: API_PROXY_CONNECTIONS_PER_INSTANCE })),
        ),
      },
    },
    {
      kind: 'target-tcp-proxy',
      id: API_INTERNAL_PROXY,
      fields: { name: resourceName(cluster, 'api-internal'), region, service: ref(API_INTERNAL_BACKEND_SERVICE, 'selfLink'), proxyHeader: 'NONE' },
    },
    {
      kind: 'forwarding-rule',
      id: API_INTERNAL_FORWARDING_RULE,
      fields: {
        name: resourceName(cluster, 'api-internal'),
        region,
        IPAddress: ref(API_INTERNAL_ADDRESS, 'address'),
        IPProtocol: 'TCP',
        portRange: '6443-6443',
        loadBalancingScheme: 'INTERNAL_MANAGED',
        network: networkLink(cluster),
        subnetwork: subnetworkLink(cluster),
        target: ref(API_INTERNAL_PROXY, 'selfLink'),
        labels: clusterLabels(name),
      },
      // GCE refuses an INTERNAL_MANAGED forwarding rule while the region has no active proxy-only subnetwork.
      dependsOn: [proxySubnetworkId(region)],
    },
  ];
}
