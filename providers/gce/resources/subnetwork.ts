import { compact, defineHandler, lastSegment, tfName } from './common.js';

// A regular subnetwork, or (with `purpose`) a proxy-only one for Envoy-based load balancers, which takes no private
// Google access setting.

export const subnetworkHandler = defineHandler({
  kind: 'subnetwork',
  service: 'subnetworks',
  scope: 'region',
  param: 'subnetwork',
  bodyParam: 'subnetworkResource',
  immutable: ['name', 'region', 'network', 'ipCidrRange', 'purpose', 'role'],
  body: (f) =>
    f.purpose
      ? { network: f.network, ipCidrRange: f.ipCidrRange, purpose: f.purpose, role: f.role }
      : { network: f.network, ipCidrRange: f.ipCidrRange, privateIpGoogleAccess: f.privateIpGoogleAccess },
  fields: (o) =>
    compact({
      name: o.name, description: o.description, region: lastSegment(o.region), network: o.network, ipCidrRange: o.ipCidrRange, privateIpGoogleAccess: o.privateIpGoogleAccess ?? false,
      purpose: o.purpose, role: o.role,
    }),
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
      ...(node.fields.purpose ? { purpose: node.fields.purpose, role: node.fields.role } : { private_ip_google_access: node.fields.privateIpGoogleAccess }),
    },
  }),
  terraformOutputs: { selfLink: 'self_link' },
});
