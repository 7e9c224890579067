import { compact, defineHandler, repeated, sameSet, tfName } from './common.js';

type Rule = { IPProtocol: string; ports?: string[] };

export const firewallHandler = defineHandler({
  kind: 'firewall',
  service: 'firewalls',
  scope: 'global',
  param: 'firewall',
  bodyParam: 'firewallResource',
  immutable: ['name', 'network', 'direction'],
  body: (f) => ({ network: f.network, direction: f.direction, priority: f.priority, sourceRanges: f.sourceRanges, allowed: f.allowed, targetTags: f.targetTags }),
  fields: (o) =>
    compact({
      name: o.name,
      description: o.description,
      network: o.network,
      direction: o.direction,
      priority: o.priority,
      sourceRanges: o.sourceRanges,
      allowed: repeated<Rule>(o.allowed).map((r) => compact({ IPProtocol: r.IPProtocol, ports: r.ports })),
      targetTags: o.targetTags,
    }),
  outputs: (o) => ({ selfLink: o.selfLink, name: o.name }),
  async update(_node, f, _live, _changes, ctx, where) {
    await ctx.clients.api.mutate(
      'firewalls',
      'patch',
      { ...where, firewallResource: { priority: f.priority, sourceRanges: f.sourceRanges, allowed: f.allowed, targetTags: f.targetTags, description: f.description } },
      ctx.signal,
    );
  },
  equal: (field, d, l) => ['sourceRanges', 'targetTags', 'allowed'].includes(field) && sameSet(d, l),
  terraform: (node) => {
    const f = node.fields;
    return {
      type: 'google_compute_firewall',
      name: tfName(node.id),
      body: {
        name: f.name,
        description: f.description,
        network: f.network,
        direction: f.direction,
        priority: f.priority,
        source_ranges: f.sourceRanges,
        target_tags: f.targetTags,
        allow: (f.allowed as Rule[]).map((r) => ({ protocol: r.IPProtocol, ...(r.ports ? { ports: r.ports } : {}) })),
      },
    };
  },
  terraformOutputs: { selfLink: 'self_link' },
});
