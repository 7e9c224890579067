import type { Ctx } from './common.js';
import { compact, defineHandler, labelsEqual, lastSegment, tfName } from './common.js';

/** setLabels needs the current label fingerprint (optimistic concurrency on labels). */
export async function setRegionalLabels(ctx: Ctx, service: 'addresses' | 'forwardingRules', where: Record<string, unknown>, labels: unknown) {
  const param = service === 'addresses' ? 'address' : 'forwardingRule';
  const cur = await ctx.clients.api.call(service, 'get', where);
  await ctx.clients.api.mutate(
    service,
    'setLabels',
    { project: where.project, region: where.region, resource: where[param], regionSetLabelsRequestResource: { labels: { ...(cur.labels ?? {}), ...(labels as object) }, labelFingerprint: cur.labelFingerprint } },
    ctx.signal,
  );
}

export const addressHandler = defineHandler({
  kind: 'address',
  service: 'addresses',
  scope: 'region',
  param: 'address',
  bodyParam: 'addressResource',
  labelled: true,
  // EXTERNAL addresses have a network tier; INTERNAL ones are allocated from a subnetwork.
  immutable: ['name', 'region', 'addressType', 'networkTier', 'subnetwork'],
  body: (f) => compact({ addressType: f.addressType, networkTier: f.networkTier, subnetwork: f.subnetwork, labels: f.labels }),
  fields: (o) =>
    compact({
      name: o.name, description: o.description, region: lastSegment(o.region), addressType: o.addressType, networkTier: o.networkTier, subnetwork: o.subnetwork,
      labels: o.labels ?? {},
    }),
  outputs: (o) => ({ selfLink: o.selfLink, name: o.name, address: o.address }),
  async update(_node, f, _live, _changes, ctx, where) {
    await setRegionalLabels(ctx, 'addresses', where, f.labels);
  },
  equal: (field, d, l) => field === 'labels' && labelsEqual(d, l),
  terraform: (node) => ({
    type: 'google_compute_address',
    name: tfName(node.id),
    body: {
      name: node.fields.name,
      description: node.fields.description,
      region: node.fields.region,
      address_type: node.fields.addressType,
      network_tier: node.fields.networkTier,
      subnetwork: node.fields.subnetwork,
      labels: node.fields.labels,
    },
  }),
  terraformOutputs: { selfLink: 'self_link', address: 'address' },
});
