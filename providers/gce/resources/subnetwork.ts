import { compact, defineHandler, lastSegment, tfName } from './common.js';

export const subnetworkHandler = defineHandler({
  kind: 'subnetwork',
  service: 'subnetworks',
  scope: 'region',
  param: 'subnetwork',
  bodyParam: 'subnetworkResource',
  immutable: ['name', 'region', 'network', 'ipCidrRange'],
  body: (f) => ({ network: f.network, ipCidrRange: f.ipCidrRange, privateIpGoogleAccess: f.privateIpGoogleAccess }),
  fields: (o) =>
    compact({ name: o.name, description: o.description, region: lastSegment(o.region), network: o.network, ipCidrRange: o.ipCidrRange, privateIpGoogleAccess: o.privateIpGoogleAccess ?? false }),
  outputs: (o) => ({ selfLink: o.selfLink, name: o.name }),
  async update(_node, f, _live, _changes, ctx, where) {
    await ctx.clients.api.mutate(
      'subnetworks',
      'setPrivateIpGoogleAccess',
      { ...where, subnetworksSetPrivateIpGoogleAccessRequestResource: { privateIpGoogleAccess: f.privateIpGoogleAccess } },
      ctx.signal,
    );
  },
  terraform: (node) => ({
    type: 'google_compute_subnetwork',
    name: tfName(node.id),
    body: {
      name: node.fields.name,
      description: node.fields.description,
      region: node.fields.region,
      network: node.fields.network,
      ip_cidr_range: node.fields.ipCidrRange,
      private_ip_google_access: node.fields.privateIpGoogleAccess,
    },
  }),
  terraformOutputs: { selfLink: 'self_link' },
});
