// A Cloud Router with its Cloud NAT configurations: private instances (no external address) reach the internet
// (packages, images) through the NAT. In the Compute API a NAT is part of its router (`nats`), changed with
// routers.patch; Terraform has a resource of its own for it (google_compute_router_nat), so the Terraform target
// renders two blocks. The API fills in NAT fields k8sup does not set (endpoint types, type, mappings): the diff
// compares only the fields k8sup sets.

import { ref, type TerraformBlock } from '../../../src/core/resource.js';
import { compact, defineHandler, lastSegment, repeated, tfName, type Obj } from './common.js';

/** The NAT fields k8sup sets, in the shape the model uses (and the API takes). */
function natFields(nat: Obj): Obj {
  return compact({
    name: nat.name,
    natIpAllocateOption: nat.natIpAllocateOption,
    sourceSubnetworkIpRangesToNat: nat.sourceSubnetworkIpRangesToNat,
    subnetworks: repeated(nat.subnetworks).map((s) => ({ name: s.name, sourceIpRangesToNat: [...repeated(s.sourceIpRangesToNat)] })),
  });
}

export const routerHandler = defineHandler({
  kind: 'router',
  service: 'routers',
  scope: 'region',
  param: 'router',
  bodyParam: 'routerResource',
  immutable: ['name', 'region', 'network'],
  body: (f) => ({ network: f.network, nats: ((f.nats ?? []) as Obj[]).map(natFields) }),
  fields: (o) => compact({ name: o.name, description: o.description, region: lastSegment(o.region), network: o.network, nats: repeated(o.nats).map(natFields) }),
  outputs: (o) => ({ selfLink: o.selfLink, name: o.name }),
  async update(_node, f, _live, _changes, ctx, where) {
    // patch replaces the whole `nats` list: what the model says is what the router then has.
    await ctx.clients.api.mutate('routers', 'patch', { ...where, routerResource: { nats: ((f.nats ?? []) as Obj[]).map(natFields) } }, ctx.signal);
  },
  terraform: (node) => {
    const f = node.fields;
    const name = tfName(node.id);
    const blocks: TerraformBlock[] = [{ type: 'google_compute_router', name, body: { name: f.name, description: f.description, region: f.region, network: f.network } }];
    ((f.nats ?? []) as Obj[]).forEach((nat, i) => {
      blocks.push({
        type: 'google_compute_router_nat',
        name: `${name}_nat_${i}`,
        body: {
          name: nat.name,
          router: ref(node.id, 'name'),
          region: f.region,
          nat_ip_allocate_option: nat.natIpAllocateOption,
          source_subnetwork_ip_ranges_to_nat: nat.sourceSubnetworkIpRangesToNat,
          subnetwork: repeated(nat.subnetworks).map((s) => ({ name: s.name, source_ip_ranges_to_nat: s.sourceIpRangesToNat })),
        },
      });
    });
    return blocks;
  },
  terraformOutputs: { selfLink: 'self_link', name: 'name' },
});
