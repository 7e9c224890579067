// The shape every GCE handler shares, so each resources/<kind>.ts only says what is particular to its kind:
//  - list(): one list call per kind (regional kinds in the cluster's region, zonal kinds aggregated over every
//    zone), narrowed server-side by label or name prefix, then kept only if the description marker names exactly
//    this cluster;
//  - create(): insert and wait for the operation; a 409 alreadyExists for an object that carries our marker is a
//    retried create whose first answer was lost, so it is adopted rather than failed;
//  - delete(): delete and wait; 404 is success (the engine treats not-found as gone).

import { isRef, type FieldValue } from '../../../src/core/resource.js';
import type { FieldChange, HandlerContext, LiveResource, ResolvedFields, ResourceHandler, ResourceNode, TerraformBlock } from '../../../src/core/resource.js';
import type { GceClients, GceService } from '../clients.js';
import { classifyGceError, GceEventualConsistencyError, isAlreadyExists } from '../errors.js';
import { description, labelFilter, lastSegment, nameFilter, parseMarker } from '../model/names.js';
import { isOwnObject } from '../../../src/core/ownership.js';
import { includesEntries, sameSet } from '../../../src/core/diff.js';
import { terraformName } from '../../../src/core/terraform.js';

export type Ctx = HandlerContext<GceClients>;
export type Scope = 'global' | 'region' | 'zone';
/** An object as the Compute API answers it (JSON-shaped); read its fields with the accessors below. */
export type Obj = Record<string, unknown>;

/** A string field of an API object, or undefined when it is absent (or not a string). */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A nested object field of an API object, or undefined when it is absent. */
export function child(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}

/** A repeated field of an API object (the library answers an absent one with [] or null): its elements, as given. */
export function repeated<T = Obj>(v: unknown): T[] {
  return (v ?? []) as T[];
}

export { lastSegment };

/** Desired labels are a subset of live labels (GKE-style tooling and users may add their own). */
export const labelsEqual = includesEntries;
/** Shared with the other providers (src/core); re-exported so handlers keep one import. */
export { sameSet, terraformName as tfName };

/** A nested object field of a desired node (a health check's `httpsHealthCheck`), for Terraform rendering. */
export function objectField(v: FieldValue | undefined, what: string): { [k: string]: FieldValue } {
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && !isRef(v)) return v;
  throw new Error(`${what} is not an object`);
}

/** The library answers absent repeated fields with [] and absent scalars with null/''; drop those. */
export function compact<T extends Obj>(o: T): T {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out as T;
}

export interface KindSpec {
  kind: string;
  service: GceService;
  scope: Scope;
  /** Request field naming the object in get/delete (`network`, `firewall`, `instanceGroupManager` …). */
  param: string;
  /** Request field holding the body in insert (`networkResource` …). */
  bodyParam: string;
  /** Labelled kinds filter on the cluster label; the others on the name prefix. */
  labelled?: boolean;
  immutable?: readonly string[];
  writeOnly?: readonly string[];
  /** Insert body from the resolved fields (without name/description, added here). */
  body(fields: ResolvedFields, ctx: Ctx): Obj;
  /** Desired-comparable fields from a live object. */
  fields(obj: Obj): ResolvedFields;
  /** Output values straight from the live object (the API's scalars: self links, names, addresses). */
  outputs(obj: Obj): Record<string, unknown>;
  update?(node: ResourceNode, fields: ResolvedFields, live: LiveResource, changes: FieldChange[], ctx: Ctx, where: Obj): Promise<void>;
  equal?(field: string, desired: unknown, live: unknown): boolean;
  terraform?(node: ResourceNode): TerraformBlock | TerraformBlock[];
  terraformOutputs?: Readonly<Record<string, string>>;
}

/** Where a live object lives: `{region}` / `{zone}` / nothing, from its fields or its URL. */
export function location(scope: Scope, obj: Obj, ctx: Ctx): Obj {
  if (scope === 'region') return { region: lastSegment(str(obj.region)) || ctx.clients.settings.region };
  if (scope === 'zone') return { zone: lastSegment(str(obj.zone)) };
  return {};
}

export function defineHandler(spec: KindSpec): ResourceHandler<GceClients> {
  // The outputs a kind names are the API's scalar fields, passed through as they are.
  const outputsOf = (obj: Obj): LiveResource['outputs'] => spec.outputs(obj) as LiveResource['outputs'];
  const toLive = (obj: Obj, id: string, clusterId: string | undefined): LiveResource => ({
    id,
    kind: spec.kind,
    cloudId: String(obj.selfLink ?? obj.name),
    fields: spec.fields(obj),
    outputs: outputsOf(obj),
    ...(clusterId ? { clusterId } : {}),
  });
  /** The graph id if the object is this cluster's (its marker names the cluster, and no other cluster id). */
  const ownId = (obj: Obj, ctx: Ctx, forAdopt = false): string | undefined => {
    const m = parseMarker(str(obj.description));
    if (!m || m.cluster !== ctx.cluster) return undefined;
    const identity = forAdopt ? { ...ctx, otherClusters: 'refuse' as const } : ctx;
    return isOwnObject(identity, m.clusterId, `${spec.kind} ${obj.name}`) ? m.id : undefined;
  };
  const get = async (ctx: Ctx, name: string, where: Obj): Promise<Obj> =>
    ctx.clients.api.call(spec.service, 'get', { project: ctx.clients.settings.project, ...where, [spec.param]: name });

  return {
    kind: spec.kind,
    service: 'compute',
    immutable: spec.immutable,
    writeOnly: spec.writeOnly,
    async list(ctx) {
      const { api, settings } = ctx.clients;
      const filter = spec.labelled ? labelFilter(ctx.cluster) : nameFilter(ctx.cluster);
      let items: Obj[];
      if (spec.scope === 'zone') items = await api.aggregatedList(spec.service, { filter });
      else items = await api.list(spec.service, { filter, ...(spec.scope === 'region' ? { region: settings.region } : {}) });
      const out: LiveResource[] = [];
      for (const obj of items) {
        const id = ownId(obj, ctx);
        if (id) out.push(toLive(obj, id, parseMarker(str(obj.description))?.clusterId));
      }
      return out;
    },
    async create(node, fields, ctx) {
      const name = String(fields.name);
      const where = spec.scope === 'region' ? { region: fields.region } : spec.scope === 'zone' ? { zone: fields.zone } : {};
      const body = { ...spec.body(fields, ctx), name, description: description(ctx.cluster, node.id, ctx.clusterId) };
      try {
        await ctx.clients.api.mutate(spec.service, 'insert', { ...where, [spec.bodyParam]: body }, ctx.signal);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        const existing = await get(ctx, name, where);
        if (ownId(existing, ctx, true) !== node.id) {
          throw new Error(`${spec.kind} ${name} already exists and does not belong to ${node.id} of cluster ${ctx.cluster}: rename or delete it`, { cause: err });
        }
      }
      let obj: Obj;
      try {
        obj = await get(ctx, name, where);
      } catch (err) {
        // Just created: a not-found here is eventual consistency, not a missing resource.
        if (classifyGceError(err) === 'not-found') throw new GceEventualConsistencyError(`${spec.kind} ${name} not visible yet`, { cause: err });
        throw err;
      }
      return { cloudId: String(obj.selfLink ?? name), outputs: outputsOf(obj) };
    },
    update: spec.update
      ? async (node, fields, cur, changes, ctx) => {
          const name = String(fields.name ?? cur.fields.name);
          const where = spec.scope === 'region' ? { region: fields.region } : spec.scope === 'zone' ? { zone: fields.zone } : {};
          await spec.update!(node, fields, cur, changes, ctx, { project: ctx.clients.settings.project, ...where, [spec.param]: name });
          const obj = await get(ctx, name, where);
          return { cloudId: String(obj.selfLink ?? name), outputs: outputsOf(obj) };
        }
      : undefined,
    async delete(cur, ctx) {
      const where = spec.scope === 'region' ? { region: cur.fields.region } : spec.scope === 'zone' ? { zone: cur.fields.zone } : {};
      await ctx.clients.api.mutate(spec.service, 'delete', { ...where, [spec.param]: cur.fields.name }, ctx.signal);
    },
    equal: spec.equal,
    terraform: spec.terraform,
    terraformOutputs: spec.terraformOutputs,
  };
}
