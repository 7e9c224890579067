// The API load balancer: a regional external passthrough TCP load balancer (static address, regional HTTPS health
// check on /readyz, regional backend service over the control-plane instance groups, forwarding rule for 6443),
// and, when spec.api.dnsZone is set, the Cloud DNS A record `api.<cluster>.` pointing at the static address.

import type { Cluster } from '../../../src/api/types.js';
import { ref, type ResourceNode } from '../../../src/core/resource.js';
import { InvalidInputError } from '../../../src/core/errors.js';
import { API_ADDRESS, API_BACKEND_SERVICE, API_DNS_RECORD, API_FORWARDING_RULE, API_HEALTH_CHECK, instanceGroupId } from './ids.js';
import { clusterLabels, resourceName } from './names.js';
import { instanceGroups } from './compute.js';

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
  return [{ kind: 'dns-record', id: API_DNS_RECORD, fields: { dnsZone, name, type: 'A', ttl: API_DNS_TTL, rrdatas: [ref(API_ADDRESS, 'address')] } }];
}

export function loadBalancerNodes(cluster: Cluster): ResourceNode[] {
  const name = cluster.metadata.name;
  const region = cluster.spec.region;
  const controlPlaneGroups = instanceGroups(cluster).filter((g) => g.role === 'control-plane');
  return [
    {
      kind: 'address',
      id: API_ADDRESS,
      fields: { name: resourceName(cluster, 'api'), region, addressType: 'EXTERNAL', networkTier: 'PREMIUM', labels: clusterLabels(name) },
    },
    {
      kind: 'health-check',
      id: API_HEALTH_CHECK,
      fields: {
        name: resourceName(cluster, 'api'),
        region,
        type: 'HTTPS',
        // kubeadm lets anonymous clients read /readyz; the check does not validate the serving certificate.
        httpsHealthCheck: { port: 6443, requestPath: '/readyz' },
        checkIntervalSec: 5,
        timeoutSec: 5,
        healthyThreshold: 2,
        unhealthyThreshold: 2,
      },
    },
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
  ];
}
