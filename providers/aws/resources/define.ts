// The one way to write an AWS resource kind. A kind file (resources/<kind>.ts) declares
//  - its kind: name, Terraform type (declared once, here), typed fields F and outputs O, with the node constructor
//    the model calls (`vpc.node(id, fields)`) and typed references to its outputs (`vpc.ref(id, 'id')`);
//  - its handler, made by `defineHandler` from what is particular to the kind: how to describe the cluster's objects
//    (every page; batched follow-up calls, never one call per object), how an object reads as fields and outputs,
//    the create call, and the calls for mutable fields.
// defineHandler supplies the shapes every AWS kind shares:
//  - list(): describe, keep what carries this cluster's tags (ownedId: another cluster's object with our name is
//    refused, never reported);
//  - create(): adopt-on-retry — a create whose reply was lost must not make a second object: either look for the
//    object tagged with the graph id first, or create and, on the service's "duplicate" answer, find it by name;
//    only this cluster's own object is adopted (isOurs). Looking first is skipped when the engine knows no earlier
//    create call was ever sent for the node (EarlierCreate 'none': a first attempt, no unresolved intent in the
//    journal) — a call per object off the critical path and the service's request budget (issue 17);
//  - update(): the kind's own updates, then the tags (desired tags are a subset of live tags: never remove foreign tags);
//  - delete(): the kind's delete; a not-found answer means gone (the engine treats it as done).

import type { EarlierCreate, FieldChange, Fields, LiveResource, Ref, ResolvedFields, ResourceHandler, ResourceNode, TerraformBlock } from '../../../src/core/resource.js';
import type { AwsClients, AwsService } from '../clients.js';
import { TAG_CLUSTER_ID, TAG_ID } from '../model/names.js';
import { isOurs, ownedId, tagsEqual, tfName, type Ctx, type Tags } from './common.js';

/** A reference to an output of type T of another resource (resolved at apply time). */
export interface OutputRef<T> extends Ref {
  /** Type only: what the referenced output holds. */
  readonly __output?: T;
}

/** What the model may put in a desired field of type T: the value, or a reference to an output of that type. */
export type Desired<T> = T extends string | number | boolean | null
  ? T | OutputRef<T>
  : T extends readonly (infer E)[]
    ? Desired<E>[]
    : T extends object
      ? { [K in keyof T]: Desired<T[K]> }
      : T;

/** Outputs are flat scalars (LiveResource.outputs). */
export type Outputs = Record<string, string | number | boolean>;

/** A resource kind: its name, its Terraform type, the node constructor and typed references. */
export interface AwsKind<F, O extends Outputs> {
  readonly kind: string;
  /** The Terraform resource type of the kind's first block (what a Ref to it names). */
  readonly terraformType: string;
  /** The desired node the model builds; `dependsOn` adds ordering edges beyond the references in `fields`. */
  node(id: string, fields: Desired<F>, dependsOn?: string[]): ResourceNode;
  /** A reference to output `attr` of the node `id` of this kind. */
  ref<A extends keyof O & string>(id: string, attr: A): OutputRef<O[A]>;
}

const terraformTypes = new Map<string, string>();

/** The Terraform type of a kind (for references embedded inside larger Terraform expressions). */
export function terraformTypeOf(kind: string): string {
  const type = terraformTypes.get(kind);
  if (!type) throw new Error(`no Terraform type for kind ${kind}`);
  return type;
}

export function defineKind<F, O extends Outputs>(kind: string, terraformType: string): AwsKind<F, O> {
  terraformTypes.set(kind, terraformType);
  return {
    kind,
    terraformType,
    node: (id, fields, dependsOn) => ({ kind, id, fields: fields as Fields, ...(dependsOn ? { dependsOn } : {}) }),
    ref: (id, attr) => ({ $ref: id, attr }),
  };
}

/** Live fields as list() reports them: what the cloud does not report is left out (or null). */
export type LiveFields<F> = { [K in keyof F]?: F[K] | null };

/**
 * A Terraform rendering of one node: the main block's body (of the kind's type, named after the node), its data
 * files and further blocks; or, for a kind that renders as a list of equal blocks (one ingress rule each), the blocks.
 */
export type TerraformRendering =
  | {
      body: Record<string, unknown>;
      files?: Record<string, string>;
      /** Further blocks after the main one (a role's inline policy, an AMI data source). */
      extra?: TerraformBlock[];
    }
  | TerraformBlock[];

/** How create() avoids a duplicate when a retried create follows one whose reply was lost. */
export interface Adoption<F, Obj> {
  /**
   * Look for the earlier object before creating (kinds whose names are not unique, such as VPCs), unless the engine
   * says no earlier create call can have made one (EarlierCreate 'none').
   */
  lookFirst?: boolean;
  /** The service refused the create because the (unique) name is taken: `find` then looks for our object. */
  duplicate?(err: unknown): boolean;
  /** The earlier object of this node; default: the object carrying the node's `k8sup.io/id` tag. */
  find?(ctx: Ctx, f: F, node: ResourceNode): Promise<Obj | undefined>;
}

export interface AwsKindSpec<F, O extends Outputs, Obj> {
  kind: AwsKind<F, O>;
  /** Concurrency bucket (tasks of one service share a limit). */
  service: AwsService;
  immutable?: readonly (keyof F & string)[];
  writeOnly?: readonly (keyof F & string)[];
  /**
   * The cluster's objects of this kind — every page of the tag-filtered describe — or, with `id`, those tagged with
   * that graph id. Anything fields() needs is fetched here, batched (one follow-up call for all objects, not one each).
   */
  describe(ctx: Ctx, id?: string): Promise<Obj[]>;
  /** The object's tags (kinds without tags synthesise the ownership tags from their own marker). */
  tags(obj: Obj): Tags;
  cloudId(obj: Obj): string;
  /** How messages name an object (`VPC vpc-0abc`); default: the kind and the cloud id. */
  label?(obj: Obj): string;
  /** The graph id for an owned object; default: the `k8sup.io/id` tag. */
  graphId?(ownId: string, obj: Obj): string;
  /** Desired-comparable fields of a live object. */
  fields(obj: Obj, ctx: Ctx): LiveFields<F>;
  outputs(obj: Obj): O;
  /** Objects not to report (e.g. an Auto Scaling group being deleted). */
  gone?(obj: Obj): boolean;
  adopt: Adoption<F, Obj>;
  /** The create call; returns the new object. */
  create(f: F, ctx: Ctx, node: ResourceNode): Promise<Obj>;
  /** After create or adoption: what the create call cannot carry (VPC DNS attributes, an IGW attachment). */
  converge?(obj: Obj, f: F, ctx: Ctx, adopted: boolean): Promise<Obj | void>;
  /** In-place changes of fields other than `tags`; returns outputs that changed (a new template version). */
  update?(cur: LiveResource, f: F, changed: ReadonlySet<keyof F>, ctx: Ctx): Promise<Partial<O> | void>;
  /** Writes the desired tags (adding or overwriting, never removing foreign ones). */
  retag?(cur: LiveResource, tags: Tags, ctx: Ctx): Promise<void>;
  delete(cur: LiveResource, ctx: Ctx): Promise<void>;
  /** Custom comparison for fields other than `tags` (sets, documents). */
  equal?(field: keyof F & string, desired: unknown, live: unknown): boolean;
  terraform(f: Desired<F>, name: string, node: ResourceNode): TerraformRendering;
  terraformOutputs?: Readonly<Partial<Record<keyof O & string, string>>>;
  present?(field: string, value: unknown): unknown;
  documents?: readonly (keyof F & string)[];
  sensitive?: readonly (keyof F & string)[];
}

/** The model's fields, resolved: the one place the engine's untyped ResolvedFields become the kind's F. */
const typed = <F>(fields: ResolvedFields): F => fields as F;

export function defineHandler<F extends object, O extends Outputs, Obj>(spec: AwsKindSpec<F, O, Obj>): ResourceHandler<AwsClients> {
  const kind = spec.kind.kind;
  const what = (obj: Obj) => spec.label?.(obj) ?? `${kind.replace(/-/g, ' ')} ${spec.cloudId(obj)}`;
  const toLive = (obj: Obj, id: string, ctx: Ctx): LiveResource => {
    const clusterId = spec.tags(obj)[TAG_CLUSTER_ID];
    return { id, kind, cloudId: spec.cloudId(obj), fields: spec.fields(obj, ctx), outputs: spec.outputs(obj), ...(clusterId ? { clusterId } : {}) };
  };
  const result = (obj: Obj) => ({ cloudId: spec.cloudId(obj), outputs: spec.outputs(obj) });
  // The graph id is checked here, not only in describe's filter: not every endpoint applies a second tag filter
  // (moto ignores it for NAT gateways), and a repeated create must find its own object, never a sibling's.
  const find = async (ctx: Ctx, f: F, node: ResourceNode): Promise<Obj | undefined> =>
    spec.adopt.find ? spec.adopt.find(ctx, f, node) : (await spec.describe(ctx, node.id)).find((o) => spec.tags(o)[TAG_ID] === node.id);

  return {
    kind,
    service: spec.service,
    immutable: spec.immutable,
    writeOnly: spec.writeOnly,
    async list(ctx) {
      const out: LiveResource[] = [];
      for (const obj of await spec.describe(ctx)) {
        const own = ownedId(spec.tags(obj), ctx, what(obj));
        if (!own || spec.gone?.(obj)) continue;
        out.push(toLive(obj, spec.graphId ? spec.graphId(own, obj) : own, ctx));
      }
      return out;
    },
    async create(node, fields, ctx, earlier: EarlierCreate = 'maybe') {
      const f = typed<F>(fields);
      let obj: Obj | undefined;
      let adopted = false;
      if (spec.adopt.lookFirst && earlier === 'maybe') {
        obj = await find(ctx, f, node);
        if (obj && !isOurs(spec.tags(obj), ctx, what(obj))) throw new Error(`${what(obj)} exists and does not belong to cluster ${ctx.cluster}`);
        adopted = obj !== undefined;
      }
      if (!obj) {
        try {
          obj = await spec.create(f, ctx, node);
        } catch (err) {
          if (!spec.adopt.duplicate?.(err)) throw err;
          obj = await find(ctx, f, node);
          if (!obj || !isOurs(spec.tags(obj), ctx, what(obj))) throw err;
          adopted = true;
        }
      }
      obj = (await spec.converge?.(obj, f, ctx, adopted)) ?? obj;
      return result(obj);
    },
    async update(_node, fields, cur, changes: FieldChange[], ctx) {
      const f = typed<F>(fields);
      const changed = new Set(changes.map((c) => c.field as keyof F));
      let outputs = cur.outputs;
      if ([...changed].some((c) => c !== 'tags') && spec.update) {
        const changedOutputs: Partial<O> = (await spec.update(cur, f, changed, ctx)) ?? {};
        outputs = { ...outputs, ...(changedOutputs as Outputs) };
      }
      if (changed.has('tags' as keyof F) && spec.retag) await spec.retag(cur, (f as { tags?: Tags }).tags ?? {}, ctx);
      return { cloudId: cur.cloudId, outputs };
    },
    delete: (cur, ctx) => spec.delete(cur, ctx),
    equal(field, d, l) {
      if (field === 'tags') return tagsEqual(d, l);
      return spec.equal?.(field as keyof F & string, d, l) ?? false;
    },
    terraform(node) {
      const name = tfName(node.id);
      const r = spec.terraform(node.fields as Desired<F>, name, node);
      if (Array.isArray(r)) return r;
      const main: TerraformBlock = { type: spec.kind.terraformType, name, body: r.body, ...(r.files ? { files: r.files } : {}) };
      return r.extra?.length ? [main, ...r.extra] : main;
    },
    terraformOutputs: spec.terraformOutputs as Readonly<Record<string, string>> | undefined,
    present: spec.present,
    documents: spec.documents,
    sensitive: spec.sensitive,
  };
}

/** A Terraform expression (no `${}`) for a Ref embedded inside a larger expression (graph ids start with the kind). */
export function tfRefExpr(r: Ref): string {
  return `${terraformTypeOf(r.$ref.split('/')[0])}.${tfName(r.$ref)}.${r.attr}`;
}
