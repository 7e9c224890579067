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
  DNS_RECORD, INTERNAL_LISTENER, INTERNAL_LOAD_BALANCER, INTERNAL_TARGET_GROUP, LISTENER, LOAD_BALANCER, TARGET_GROUP,
} from './ids.js';
import { apiLoadBalancerTypeOf } from '../../../src/api/topology.js';
import { clusterTags, elbName } from './names.js';
import { clusterZones, instanceSubnetRef, publicSubnetRef, vpcRef } from './network.js';

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

/** The API load balancers the cluster has: both, or (spec.api.loadBalancerType internal) only the internal one. */
export function apiLoadBalancers(cluster: Cluster): readonly ApiLoadBalancer[] {
  return apiLoadBalancerTypeOf(cluster) === 'internal' ? API_LOAD_BALANCERS.filter((a) => a.scheme === 'internal') : API_LOAD_BALANCERS;
}

/** The load balancer admins reach the API through (and `api.<name>` points at): the public one unless there is none. */
export const adminLoadBalancerId = (cluster: Cluster) => (apiLoadBalancerTypeOf(cluster) === 'internal' ? INTERNAL_LOAD_BALANCER : LOAD_BALANCER);

export function loadBalancerNodes(cluster: Cluster): ResourceNode[] {
  const name = cluster.metadata.name;
  const nodes: ResourceNode[] = [];
  for (const a of apiLoadBalancers(cluster)) {
    nodes.push(
      {
        kind: 'load-balancer',
        id: a.lb,
        fields: {
          name: elbName(a.prefix, cluster),
          type: 'network',
          scheme: a.scheme,
          // Internet-facing: the public subnets (utility subnets in the private topology); internal: the instances'.
          subnetIds: clusterZones(cluster).map((z) => (a.scheme === 'internal' ? instanceSubnetRef(cluster, z) : publicSubnetRef(cluster, z))),
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
          vpcId: vpcRef(cluster),
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
        target: { dnsName: ref(adminLoadBalancerId(cluster), 'dns_name'), hostedZoneId: ref(adminLoadBalancerId(cluster), 'zone_id') },
      },
    });
  }
  return nodes;
}
