// Network load balancer for the Kubernetes API: TCP 6443 → control-plane instances (attached through the
// control-plane ASGs), with an HTTPS /readyz health check; Route53 `api.<name>` alias when spec.api.dnsZone is set.

import type { Cluster } from '../../../src/api/types.js';
import { ref, type ResourceNode } from '../../../src/core/resource.js';
import { DNS_RECORD, LISTENER, LOAD_BALANCER, TARGET_GROUP, VPC, subnetId } from './ids.js';
import { clusterTags, elbName } from './names.js';
import { clusterZones } from './network.js';

export const API_PORT = 6443;

export function loadBalancerNodes(cluster: Cluster): ResourceNode[] {
  const name = cluster.metadata.name;
  const nodes: ResourceNode[] = [
    {
      kind: 'load-balancer',
      id: LOAD_BALANCER,
      fields: {
        name: elbName('api', cluster),
        type: 'network',
        scheme: 'internet-facing',
        subnetIds: clusterZones(cluster).map((z) => ref(subnetId(z), 'id')),
        tags: clusterTags(name, LOAD_BALANCER),
      },
    },
    {
      kind: 'target-group',
      id: TARGET_GROUP,
      fields: {
        name: elbName('api', cluster),
        protocol: 'TCP',
        port: API_PORT,
        vpcId: ref(VPC, 'id'),
        targetType: 'instance',
        // kube-apiserver serves /readyz to anonymous clients by default (system:public-info-viewer).
        healthCheck: { protocol: 'HTTPS', port: 'traffic-port', path: '/readyz', intervalSeconds: 10, healthyThresholdCount: 2, unhealthyThresholdCount: 2 },
        tags: clusterTags(name, TARGET_GROUP),
      },
    },
    {
      kind: 'listener',
      id: LISTENER,
      fields: {
        loadBalancerArn: ref(LOAD_BALANCER, 'arn'),
        protocol: 'TCP',
        port: API_PORT,
        targetGroupArn: ref(TARGET_GROUP, 'arn'),
        tags: clusterTags(name, LISTENER),
      },
    },
  ];
  const zone = cluster.spec.api.dnsZone;
  if (zone) {
    nodes.push({
      kind: 'dns-record',
      id: DNS_RECORD,
      fields: {
        zoneName: zone.replace(/\.$/, ''),
        name: `api.${name}`,
        target: { dnsName: ref(LOAD_BALANCER, 'dns_name'), hostedZoneId: ref(LOAD_BALANCER, 'zone_id') },
      },
    });
  }
  return nodes;
}
