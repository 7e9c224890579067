// Graph ids of the GCE model. Stable across runs; recorded in each object's description marker.

import type { Cluster } from '../../../src/api/types.js';
import { apiLoadBalancerTypeOf } from '../../../src/api/topology.js';

export const NETWORK = 'network';
export const subnetworkId = (region: string) => `subnetwork/${region}`;
export const FIREWALL_INTERNAL = 'firewall/internal';
export const FIREWALL_API = 'firewall/api';
export const FIREWALL_API_HEALTH = 'firewall/api-health-checks';
export const FIREWALL_SSH = 'firewall/ssh';
export const API_ADDRESS = 'address/api';
export const API_HEALTH_CHECK = 'health-check/api';
export const API_BACKEND_SERVICE = 'backend-service/api';
export const API_FORWARDING_RULE = 'forwarding-rule/api';
/** The cluster's own path to the API (kubelets, kube-proxy, joining control planes): see loadbalancer.ts. */
export const API_INTERNAL_ADDRESS = 'address/api-internal';
/** The address admins reach the API at (and `api.<name>` points at): the public one, or the internal one without it. */
export const adminAddressId = (cluster: Cluster) => (apiLoadBalancerTypeOf(cluster) === 'internal' ? API_INTERNAL_ADDRESS : API_ADDRESS);
export const API_INTERNAL_HEALTH_CHECK = 'health-check/api-internal';
export const API_INTERNAL_BACKEND_SERVICE = 'backend-service/api-internal';
export const API_INTERNAL_PROXY = 'target-tcp-proxy/api-internal';
export const API_INTERNAL_FORWARDING_RULE = 'forwarding-rule/api-internal';
/** The proxy-only subnetwork the internal proxy load balancer's Envoy proxies run in (one per region and network). */
export const proxySubnetworkId = (region: string) => `subnetwork/${region}/proxy-only`;
export const FIREWALL_API_PROXIES = 'firewall/api-internal-proxies';
/** private topology: the Cloud Router whose Cloud NAT gives instances without external addresses a way out. */
export const routerId = (region: string) => `router/${region}`;
/** Per-role identity: a service account per role and its access to the state bucket. */
export type IdentityRole = 'control-plane' | 'node';
export const serviceAccountId = (role: IdentityRole) => `service-account/${role}`;
export const stateAccessId = (role: IdentityRole) => `bucket-iam-member/${role}`;
/** The project roles of a role's service account (the cloud controllers': model/identity.ts). */
export const projectRolesId = (role: IdentityRole) => `project-iam-member/${role}`;
/** Who may act as a role's service account (the control planes' account, as the nodes'): model/identity.ts. */
export const actAsId = (role: IdentityRole) => `service-account-iam-member/${role}`;
/** `api.<cluster>.` in the Cloud DNS zone of spec.api.dnsZone (only when it is set). */
export const API_DNS_RECORD = 'dns-record/api';
/** Instance templates are immutable in GCE: the id carries a content hash so a change is a new template. */
export const instanceTemplateId = (group: string, hash: string) => `instance-template/${group}/${hash}`;
export const instanceGroupId = (group: string, zone: string) => `instance-group/${group}/${zone}`;
