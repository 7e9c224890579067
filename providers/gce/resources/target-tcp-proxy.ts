// A regional target TCP proxy: the Envoy-based proxy between the internal API forwarding rule and its backend
// service (model/loadbalancer.ts explains why the cluster's API path is a proxy, not a passthrough load balancer).

import { compact, defineHandler, lastSegment, tfName } from './common.js';

export const targetTcpProxyHandler = defineHandler({
  kind: 'target-tcp-proxy',
  service: 'regionTargetTcpProxies',
  scope: 'region',
  param: 'targetTcpProxy',
  bodyParam: 'targetTcpProxyResource',
  // Regional target TCP proxies have no update call: every change is a replace.
  immutable: ['name', 'region', 'service', 'proxyHeader'],
  body: (f) => ({ service: f.service, proxyHeader: f.proxyHeader }),
  fields: (o) => compact({ name: o.name, description: o.description, region: lastSegment(o.region), service: o.service, proxyHeader: o.proxyHeader ?? 'NONE' }),
  outputs: (o) => ({ selfLink: o.selfLink, name: o.name }),
  terraform: (node) => ({
    type: 'google_compute_region_target_tcp_proxy',
    name: tfName(node.id),
    body: { name: node.fields.name, description: node.fields.description, region: node.fields.region, backend_service: node.fields.service, proxy_header: node.fields.proxyHeader },
  }),
  terraformOutputs: { selfLink: 'self_link' },
});
