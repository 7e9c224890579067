// The API load balancer: a regional external passthrough TCP load balancer (static address, regional HTTPS health
// check on /readyz, regional backend service over the control-plane instance groups, forwarding rule for 6443).

import type { Cluster } from '../../../src/api/types.js';
import { ref, type ResourceNode } from '../../../src/core/resource.js';
import { API_ADDRESS, API_BACKEND_SERVICE, API_FORWARDING_RULE, API_HEALTH_CHECK, instanceGroupId } from './ids.js';
import { clusterLabels, resourceName } from './names.js';
import { instanceGroups } from './compute.js';

export function loadBalancerNodes(cluster: Cluster): ResourceNode[] {
  const name = cluster.metadata.name;
  const region = cluster.spec.region;
  const controlPlaneGroups = instanceGroups(cluster).filter((g) => g.role === 'control-plane');
  return [
    {
      kind: 'address',
      id: API_ADDRESS,
      fields: { name: resourceName(name, 'api'), region, addressType: 'EXTERNAL', networkTier: 'PREMIUM', labels: clusterLabels(name) },
    },
    {
      kind: 'health-check',
      id: API_HEALTH_CHECK,
      fields: {
        name: resourceName(name, 'api'),
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
        name: resourceName(name, 'api'),
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
        name: resourceName(name, 'api'),
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
  ];
}
