// The API front end of a bare-metal cluster (spec.api.frontEnd, docs/metal.md "API front ends"): which address
// kubeadm's controlPlaneEndpoint (and so every kubeconfig and the API certificate's SANs) points at.
//
//   kube-vip            api.vip:6443 (kube-vip static pods answer ARP for the VIP); no vip: the first control plane
//   haproxy-keepalived  api.vip:8443: keepalived holds the VIP, HAProxy on every control plane listens on 8443 and
//                       balances to all API servers on 6443 (a port of its own: it shares the host with the apiserver)
//   external            api.endpoint (host[:port], 6443 by default): the user's load balancer; nothing is installed

import { formatHostPort, KUBE_API_PORT, parseHostPort } from '../../src/api/endpoint.js';
import type { ApiFrontEnd, Cluster } from '../../src/api/types.js';

/** Where HAProxy listens on each control plane with frontEnd haproxy-keepalived. */
export const HAPROXY_API_PORT = 8443;

export function apiFrontEnd(cluster: Cluster): ApiFrontEnd {
  return cluster.spec.api.frontEnd ?? 'kube-vip';
}

/** kubeadm controlPlaneEndpoint, `host:port`. */
export function controlPlaneEndpoint(cluster: Cluster): string {
  const api = cluster.spec.api;
  const frontEnd = apiFrontEnd(cluster);
  if (frontEnd === 'external') {
    const parsed = api.endpoint === undefined ? null : parseHostPort(api.endpoint);
    // The spec rules require a valid endpoint for external; an empty host makes the bootstrap renderer refuse.
    return parsed ? formatHostPort(parsed) : '';
  }
  const firstControlPlane = (cluster.spec.hosts ?? []).find((h) => h.role === 'control-plane')?.address ?? '';
  const host = api.vip ?? firstControlPlane;
  return formatHostPort({ host, port: frontEnd === 'haproxy-keepalived' ? HAPROXY_API_PORT : KUBE_API_PORT });
}
