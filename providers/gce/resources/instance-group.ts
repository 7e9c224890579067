// Zonal managed instance groups. Resizing and switching to a new template are in-place updates; instances are
// replaced onto a new template by `rolling-update`, not here (the update policy is OPPORTUNISTIC).

import { compact, defineHandler, lastSegment, repeated, tfName } from './common.js';

type NamedPort = { name: string; port: number };
/** A group cluster-autoscaler resizes (model/compute.ts): any size in [min, max] is as desired. */
type SizeRange = { min: number; max: number };

const isRange = (v: unknown): v is SizeRange => typeof v === 'object' && v !== null && 'min' in v && 'max' in v;
/** The size to create a group with, or to resize it to: a fixed size, or a range's nearest bound to the live size. */
const sizeFor = (desired: unknown, live?: number): number => (isRange(desired) ? Math.min(desired.max, Math.max(desired.min, live ?? desired.min)) : Number(desired));

export const instanceGroupHandler = defineHandler({
  kind: 'instance-group',
  service: 'instanceGroupManagers',
  scope: 'zone',
  param: 'instanceGroupManager',
  bodyParam: 'instanceGroupManagerResource',
  immutable: ['name', 'zone', 'baseInstanceName'],
  body: (f) => ({
    baseInstanceName: f.baseInstanceName,
    instanceTemplate: f.instanceTemplate,
    targetSize: sizeFor(f.targetSize),
    namedPorts: f.namedPorts,
    updatePolicy: { type: 'OPPORTUNISTIC' },
  }),
  fields: (o) => ({
    ...compact({ name: o.name, description: o.description, zone: lastSegment(o.zone), baseInstanceName: o.baseInstanceName, instanceTemplate: o.instanceTemplate }),
    targetSize: Number(o.targetSize ?? 0),
    namedPorts: repeated<NamedPort>(o.namedPorts).map((p) => ({ name: p.name, port: Number(p.port) })),
  }),
  outputs: (o) => ({ selfLink: o.selfLink, name: o.name, instanceGroup: o.instanceGroup }),
  // The autoscaler owns the size of an autoscaled group within its bounds: only a size outside them is a change.
  equal: (field, desired, live) => (field === 'targetSize' && isRange(desired) ? Number(live) >= desired.min && Number(live) <= desired.max : false),
  async update(_node, f, _live, changes, ctx, where) {
    const changed = new Set(changes.map((c) => c.field));
    const api = ctx.clients.api;
    if (changed.has('instanceTemplate')) {
      await api.mutate('instanceGroupManagers', 'setInstanceTemplate', { ...where, instanceGroupManagersSetInstanceTemplateRequestResource: { instanceTemplate: f.instanceTemplate } }, ctx.signal);
    }
    if (changed.has('namedPorts') || changed.has('description')) {
      await api.mutate('instanceGroupManagers', 'patch', { ...where, instanceGroupManagerResource: { namedPorts: f.namedPorts, description: f.description } }, ctx.signal);
    }
    if (changed.has('targetSize')) {
      await api.mutate('instanceGroupManagers', 'resize', { ...where, size: sizeFor(f.targetSize, Number(_live.fields.targetSize)) }, ctx.signal);
    }
  },
  terraform: (node) => {
    const f = node.fields;
    return {
      type: 'google_compute_instance_group_manager',
      name: tfName(node.id),
      body: {
        name: f.name,
        description: f.description,
        zone: f.zone,
        base_instance_name: f.baseInstanceName,
        target_size: sizeFor(f.targetSize),
        version: [{ instance_template: f.instanceTemplate }],
        named_port: (f.namedPorts as NamedPort[]).map((p) => ({ name: p.name, port: p.port })),
        update_policy: [{ type: 'OPPORTUNISTIC', minimal_action: 'REPLACE' }],
      },
    };
  },
  terraformOutputs: { selfLink: 'self_link', instanceGroup: 'instance_group' },
});
