// Two network load balancers for the Kubernetes API, both TCP 6443 → control-plane instances (attached through the
// control-plane ASGs) with an HTTPS /readyz health check:
//  - `api`: internet-facing, for admins. It preserves client addresses, so the control-plane security group's
//    `api.adminAccess` rule is the allow-list for it; and a Route53 `api.<name>` alias when spec.api.dnsZone is set.
//  - `api-internal`: internal, the kubeadm controlPlaneEndpoint that kubelets, kube-proxy and joining control planes
//    use (kops' `api.internal`). Nodes reaching the public NLB come from their public addresses, which a restricted
//    `--admin-access` drops; through this one they never leave the VPC and never depend on `api.adminAccess`.
//    Its target group does not preserve client addresses: with preservation, a control plane whose connection the
//    NLB sends back to itself (kubelet → NLB → same instance) times out (NLB hairpinning); without it, connections
//    come from the NLB's own VPC addresses, which the security group's VPC-CIDR rule allows.

import type { Cluster } from '../../../src/api/types.js';
import { ref, type ResourceNode } from '../../../src/core/resource.js';
import {
  DNS_RECORD, INTERNAL_LISTENER, INTERNAL_LOAD_BALANCER, INTERNAL_TARGET_GROUP, LISTENER, LOAD_BALANCER, TARGET_GROUP, VPC, subnetId,
} from './ids.js';
import { clusterTags, elbName } from './names.js';
import { clusterZones } from './network.js';

export const API_PORT = 6443;

interface ApiLoadBalancer {
  lb: string;
  tg: string;
  listener: string;
  /** Name prefix (ELB names are per account and region). */
  prefix: string;
  scheme: 'internet-facing' | 'internal';
  /** Absent: the AWS default (preserved for instance targets). */
  preserveClientIp?: boolean;
}

export const API_LOAD_BALANCERS: readonly ApiLoadBalancer[] = [
  { lb: LOAD_BALANCER, tg: TARGET_GROUP, listener: LISTENER, prefix: 'api', scheme: 'internet-facing' },
  { lb: INTERNAL_LOAD_BALANCER, tg: INTERNAL_TARGET_GROUP, listener: INTERNAL_LISTENER, prefix: 'api-int', scheme: 'internal', preserveClientIp: false },
];

export function loadBalancerNodes(cluster: Cluster): ResourceNode[] {
  const name = cluster.metadata.name;
  const nodes: ResourceNode[] = [];
  for (const a of API_LOAD_BALANCERS) {
    nodes.push(
      {
        kind: 'load-balancer',
        id: a.lb,
        fields: {
          name: elbName(a.prefix, cluster),
          type: 'network',
          scheme: a.scheme,
          subnetIds: clusterZones(cluster).map((z) => ref(subnetId(z), 'id')),
          tags: clusterTags(name, a.lb),
        },
      },
      {
        kind: 'target-group',
        id: a.tg,
        fields: {
          name: elbName(a.prefix, cluster),
          protocol: 'TCP',
          port: API_PORT,
          vpcId: ref(VPC, 'id'),
          targetType: 'instance',
          // kube-apiserver serves /readyz to anonymous clients by default (system:public-info-viewer).
          healthCheck: { protocol: 'HTTPS', port: 'traffic-port', path: '/readyz', intervalSeconds: 10, healthyThresholdCount: 2, unhealthyThresholdCount: 2 },
          ...(a.preserveClientIp === undefined ? {} : { preserveClientIp: a.preserveClientIp }),
          tags: clusterTags(name, a.tg),
        },
      },
      {
        kind: 'listener',
        id: a.listener,
        fields: {
          loadBalancerArn: ref(a.lb, 'arn'),
          protocol: 'TCP',
          port: API_PORT,
          targetGroupArn: ref(a.tg, 'arn'),
          tags: clusterTags(name, a.listener),
        },
      },
    );
  }
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
