import { compact, defineHandler, lastSegment, sameSet, tfName } from './common.js';

type Backend = { group: string; balancingMode: string };

export const backendServiceHandler = defineHandler({
  kind: 'backend-service',
  service: 'regionBackendServices',
  scope: 'region',
  param: 'backendService',
  bodyParam: 'backendServiceResource',
  immutable: ['name', 'region', 'protocol', 'loadBalancingScheme'],
  body: (f) => ({ protocol: f.protocol, loadBalancingScheme: f.loadBalancingScheme, sessionAffinity: f.sessionAffinity, healthChecks: f.healthChecks, backends: f.backends }),
  fields: (o) =>
    compact({
      name: o.name,
      description: o.description,
      region: lastSegment(o.region),
      protocol: o.protocol,
      loadBalancingScheme: o.loadBalancingScheme,
      sessionAffinity: o.sessionAffinity,
      healthChecks: o.healthChecks,
      backends: (o.backends ?? []).map((b: Backend) => ({ group: b.group, balancingMode: b.balancingMode })),
    }),
  outputs: (o) => ({ selfLink: o.selfLink, name: o.name }),
  async update(_node, f, _live, _changes, ctx, where) {
    await ctx.clients.api.mutate(
      'regionBackendServices',
      'patch',
      { ...where, backendServiceResource: { sessionAffinity: f.sessionAffinity, healthChecks: f.healthChecks, backends: f.backends } },
      ctx.signal,
    );
  },
  equal: (field, d, l) => (field === 'backends' || field === 'healthChecks') && sameSet(d, l),
  terraform: (node) => {
    const f = node.fields as Record<string, any>;
    return {
      type: 'google_compute_region_backend_service',
      name: tfName(node.id),
      body: {
        name: f.name,
        description: f.description,
        region: f.region,
        protocol: f.protocol,
        load_balancing_scheme: f.loadBalancingScheme,
        session_affinity: f.sessionAffinity,
        health_checks: f.healthChecks,
        backend: (f.backends as Backend[]).map((b) => ({ group: b.group, balancing_mode: b.balancingMode })),
      },
    };
  },
  terraformOutputs: { selfLink: 'self_link' },
});
