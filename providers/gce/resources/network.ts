import { child, compact, defineHandler, tfName } from './common.js';

export const networkHandler = defineHandler({
  kind: 'network',
  service: 'networks',
  scope: 'global',
  param: 'network',
  bodyParam: 'networkResource',
  immutable: ['name', 'autoCreateSubnetworks', 'mtu'],
  body: (f) => ({ autoCreateSubnetworks: f.autoCreateSubnetworks, routingConfig: { routingMode: f.routingMode }, mtu: f.mtu }),
  fields: (o) => compact({ name: o.name, description: o.description, autoCreateSubnetworks: o.autoCreateSubnetworks ?? false, routingMode: child(o.routingConfig)?.routingMode, mtu: o.mtu }),
  outputs: (o) => ({ selfLink: o.selfLink, name: o.name }),
  async update(_node, f, _live, _changes, ctx, where) {
    await ctx.clients.api.mutate('networks', 'patch', { ...where, networkResource: { routingConfig: { routingMode: f.routingMode }, description: f.description } }, ctx.signal);
  },
  terraform: (node) => ({
    type: 'google_compute_network',
    name: tfName(node.id),
    body: { name: node.fields.name, description: node.fields.description, auto_create_subnetworks: node.fields.autoCreateSubnetworks, routing_mode: node.fields.routingMode, mtu: node.fields.mtu },
  }),
  terraformOutputs: { selfLink: 'self_link' },
});
