import { setRegionalLabels } from './address.js';
import { compact, defineHandler, labelsEqual, lastSegment, tfName } from './common.js';

export const forwardingRuleHandler = defineHandler({
  kind: 'forwarding-rule',
  service: 'forwardingRules',
  scope: 'region',
  param: 'forwardingRule',
  bodyParam: 'forwardingRuleResource',
  labelled: true,
  // Everything but the labels is fixed once created. A passthrough rule names its backend service; a proxy rule
  // (INTERNAL_MANAGED) its target proxy and the network and subnetwork its internal address is in.
  immutable: ['name', 'region', 'IPAddress', 'IPProtocol', 'portRange', 'loadBalancingScheme', 'networkTier', 'backendService', 'target', 'network', 'subnetwork', 'description'],
  body: (f) =>
    compact({
      IPAddress: f.IPAddress,
      IPProtocol: f.IPProtocol,
      portRange: f.portRange,
      loadBalancingScheme: f.loadBalancingScheme,
      networkTier: f.networkTier,
      backendService: f.backendService,
      target: f.target,
      network: f.network,
      subnetwork: f.subnetwork,
      labels: f.labels,
    }),
  fields: (o) =>
    compact({
      name: o.name,
      description: o.description,
      region: lastSegment(o.region),
      IPAddress: o.IPAddress,
      IPProtocol: o.IPProtocol,
      portRange: o.portRange,
      loadBalancingScheme: o.loadBalancingScheme,
      networkTier: o.networkTier,
      backendService: o.backendService,
      target: o.target,
      network: o.network,
      subnetwork: o.subnetwork,
      labels: o.labels ?? {},
    }),
  outputs: (o) => ({ selfLink: o.selfLink, name: o.name, IPAddress: o.IPAddress }),
  async update(_node, f, _live, _changes, ctx, where) {
    await setRegionalLabels(ctx, 'forwardingRules', where, f.labels);
  },
  equal: (field, d, l) => field === 'labels' && labelsEqual(d, l),
  terraform: (node) => {
    const f = node.fields;
    return {
      type: 'google_compute_forwarding_rule',
      name: tfName(node.id),
      body: {
        name: f.name,
        description: f.description,
        region: f.region,
        ip_address: f.IPAddress,
        ip_protocol: f.IPProtocol,
        port_range: f.portRange,
        load_balancing_scheme: f.loadBalancingScheme,
        network_tier: f.networkTier,
        backend_service: f.backendService,
        target: f.target,
        network: f.network,
        subnetwork: f.subnetwork,
        labels: f.labels,
      },
    };
  },
  terraformOutputs: { selfLink: 'self_link' },
});
