import { compact, defineHandler, lastSegment, repeated, sameSet, tfName } from './common.js';

type Backend = { group: string; balancingMode: string; maxConnectionsPerInstance?: number };

// Passthrough (EXTERNAL) and proxy (INTERNAL_MANAGED) backend services: proxies also name the instance groups' port
// (`portName`), an idle timeout (`timeoutSec`) and a capacity per backend for CONNECTION balancing.
const backendOf = (b: Backend) => compact({ group: b.group, balancingMode: b.balancingMode, maxConnectionsPerInstance: b.maxConnectionsPerInstance || undefined });

export const backendServiceHandler = defineHandler({
  kind: 'backend-service',
  service: 'regionBackendServices',
  scope: 'region',
  param: 'backendService',
  bodyParam: 'backendServiceResource',
  immutable: ['name', 'region', 'protocol', 'loadBalancingScheme'],
  body: (f) =>
    compact({
      protocol: f.protocol, loadBalancingScheme: f.loadBalancingScheme, portName: f.portName, timeoutSec: f.timeoutSec, sessionAffinity: f.sessionAffinity, healthChecks: f.healthChecks,
      backends: f.backends,
    }),
  fields: (o) =>
    compact({
      name: o.name,
      description: o.description,
      region: lastSegment(o.region),
      protocol: o.protocol,
      loadBalancingScheme: o.loadBalancingScheme,
      portName: o.portName,
      timeoutSec: o.timeoutSec,
      sessionAffinity: o.sessionAffinity,
      healthChecks: o.healthChecks,
      backends: repeated<Backend>(o.backends).map(backendOf),
    }),
  outputs: (o) => ({ selfLink: o.selfLink, name: o.name }),
  async update(_node, f, _live, _changes, ctx, where) {
    await ctx.clients.api.mutate(
      'regionBackendServices',
      'patch',
      { ...where, backendServiceResource: compact({ portName: f.portName, timeoutSec: f.timeoutSec, sessionAffinity: f.sessionAffinity, healthChecks: f.healthChecks, backends: f.backends }) },
      ctx.signal,
    );
  },
  equal: (field, d, l) => (field === 'backends' || field === 'healthChecks') && sameSet(d, l),
  terraform: (node) => {
    const f = node.fields;
    return {
      type: 'google_compute_region_backend_service',
      name: tfName(node.id),
      body: {
        name: f.name,
        description: f.description,
        region: f.region,
        protocol: f.protocol,
        load_balancing_scheme: f.loadBalancingScheme,
        port_name: f.portName,
        timeout_sec: f.timeoutSec,
        session_affinity: f.sessionAffinity,
        health_checks: f.healthChecks,
        backend: (f.backends as Backend[]).map((b) => ({ group: b.group, balancing_mode: b.balancingMode, max_connections_per_instance: b.maxConnectionsPerInstance })),
      },
    };
  },
  terraformOutputs: { selfLink: 'self_link' },
});
