// Graph ids of the GCE model. Stable across runs; recorded in each object's description marker.

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
/** `api.<cluster>.` in the Cloud DNS zone of spec.api.dnsZone (only when it is set). */
export const API_DNS_RECORD = 'dns-record/api';
/** Instance templates are immutable in GCE: the id carries a content hash so a change is a new template. */
export const instanceTemplateId = (group: string, hash: string) => `instance-template/${group}/${hash}`;
export const instanceGroupId = (group: string, zone: string) => `instance-group/${group}/${zone}`;
