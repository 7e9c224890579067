import { child, compact, defineHandler, lastSegment, tfName, objectField } from './common.js';

export const healthCheckHandler = defineHandler({
  kind: 'health-check',
  service: 'regionHealthChecks',
  scope: 'region',
  param: 'healthCheck',
  bodyParam: 'healthCheckResource',
  immutable: ['name', 'region', 'type'],
  body: (f) => ({
    type: f.type,
    httpsHealthCheck: f.httpsHealthCheck,
    checkIntervalSec: f.checkIntervalSec,
    timeoutSec: f.timeoutSec,
    healthyThreshold: f.healthyThreshold,
    unhealthyThreshold: f.unhealthyThreshold,
  }),
  fields: (o) =>
    compact({
      name: o.name,
      description: o.description,
      region: lastSegment(o.region),
      type: o.type,
      httpsHealthCheck: o.httpsHealthCheck ? compact({ port: child(o.httpsHealthCheck)?.port, requestPath: child(o.httpsHealthCheck)?.requestPath }) : undefined,
      checkIntervalSec: o.checkIntervalSec,
      timeoutSec: o.timeoutSec,
      healthyThreshold: o.healthyThreshold,
      unhealthyThreshold: o.unhealthyThreshold,
    }),
  outputs: (o) => ({ selfLink: o.selfLink, name: o.name }),
  async update(_node, f, _live, _changes, ctx, where) {
    await ctx.clients.api.mutate(
      'regionHealthChecks',
      'patch',
      {
        ...where,
        healthCheckResource: {
          httpsHealthCheck: f.httpsHealthCheck,
          checkIntervalSec: f.checkIntervalSec,
          timeoutSec: f.timeoutSec,
          healthyThreshold: f.healthyThreshold,
          unhealthyThreshold: f.unhealthyThreshold,
        },
      },
      ctx.signal,
    );
  },
  terraform: (node) => {
    const f = node.fields;
    return {
      type: 'google_compute_region_health_check',
      name: tfName(node.id),
      body: {
        name: f.name,
        description: f.description,
        region: f.region,
        check_interval_sec: f.checkIntervalSec,
        timeout_sec: f.timeoutSec,
        healthy_threshold: f.healthyThreshold,
        unhealthy_threshold: f.unhealthyThreshold,
        https_health_check: [{ port: objectField(f.httpsHealthCheck, 'httpsHealthCheck').port, request_path: objectField(f.httpsHealthCheck, 'httpsHealthCheck').requestPath }],
      },
    };
  },
  terraformOutputs: { selfLink: 'self_link' },
});
