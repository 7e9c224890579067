// The contract between the cloud-agnostic engine (src/core) and the providers (providers/*).
//
// A provider turns the cluster spec into a list of ResourceNodes (pure, golden-testable). Each node names a
// kind; the provider supplies one ResourceHandler per kind that knows how to list the live objects of that kind
// (one batched, tag-filtered call, not one per resource), create, update and delete them, and render Terraform.
// The engine diffs desired against live, makes a Plan (a plain value), and executes it as a DAG.

import type { IoHost } from './io.js';
import type { ClusterIdentity } from './ownership.js';

/** A typed reference to an output of another resource, resolved at apply time (`vpc.outputs.vpcId`). */
export interface Ref {
  readonly $ref: string; // resource id
  readonly attr: string; // output name
}

export function ref(id: string, attr: string): Ref {
  return { $ref: id, attr };
}

export function isRef(v: unknown): v is Ref {
  return typeof v === 'object' && v !== null && typeof (v as Ref).$ref === 'string' && typeof (v as Ref).attr === 'string';
}

export type FieldValue = string | number | boolean | null | Ref | FieldValue[] | { [k: string]: FieldValue };
export type Fields = { [k: string]: FieldValue };
/** Fields with every Ref replaced by its concrete value. */
export type ResolvedFields = { [k: string]: unknown };

/** One desired resource. `id` is unique in the graph and stable across runs (e.g. `subnet/us-east-2a`). */
export interface ResourceNode {
  kind: string;
  id: string;
  fields: Fields;
  /** Ordering edges beyond those implied by Refs in `fields`. */
  dependsOn?: string[];
}

/** What a handler found in the cloud. `id` is the graph id (from the `k8sup.io/id` tag, or derived from the name). */
export interface LiveResource {
  id: string;
  kind: string;
  /** The cloud's identifier (vpc-0abc…, an ARN, a self link). */
  cloudId: string;
  /** Comparable to the desired fields (same names, refs resolved to concrete values). Missing = not reported. */
  fields: ResolvedFields;
  /** Values other resources may reference with `ref(id, attr)`. */
  outputs: Record<string, string | number | boolean>;
  /** The cluster id (`metadata.uid`) the object carries; undefined for objects made before cluster ids. */
  clusterId?: string;
}

export type Action = 'create' | 'update' | 'replace' | 'delete' | 'noop';

export interface FieldChange {
  field: string;
  from: unknown;
  /** The desired value; a Ref not yet known at plan time renders as `(known after apply)`. */
  to: unknown;
}

export interface PlanStep {
  id: string;
  kind: string;
  action: Action;
  changes: FieldChange[];
  /** Set for update/replace/delete/noop. */
  cloudId?: string;
}

export interface Plan {
  cluster: string;
  steps: PlanStep[];
}

/** How the engine should treat an error thrown by a handler. */
export type ErrorClass =
  | 'throttled' // back off and retry
  | 'transient' // eventual consistency, connection reset: retry
  | 'dependency' // delete refused because something still depends on it: retry later, bounded
  | 'not-found' // already gone (delete) — treat as success
  | 'fatal';

/**
 * What the engine knows of earlier create calls for a node, from its journal (every create call follows a durable
 * intent record):
 *  - 'none': the journal is kept, holds no intent for this resource that is not resolved (its last record is none,
 *    `withdrawn` or `deleted`), and this is the run's first attempt: no create call for it was ever sent that could
 *    have made an object discovery did not report. Looking for one first would only cost a call.
 *  - 'maybe': an earlier call may have made it (a reply lost inside this run, a run killed between the call and its
 *    record, an object recorded but not reported by discovery, or no journal at all). A handler that cannot tell a
 *    second object from the first must look first.
 * Absent means 'maybe' (callers outside the engine, such as tests that repeat a create).
 */
export type EarlierCreate = 'none' | 'maybe';

/** `cluster`, `clusterId`, `otherClusters`: whose objects list() reports (see ownership.ts, isOwnObject). */
export interface HandlerContext<C> extends ClusterIdentity {
  clients: C;
  signal: AbortSignal;
  io: IoHost;
}

export interface TerraformBlock {
  /** Terraform resource type, e.g. `aws_vpc`. */
  type: string;
  /** Terraform resource name (a valid identifier, derived from the id). */
  name: string;
  /** Attribute body. Refs become `${type.name.attr}` interpolations. */
  body: Record<string, unknown>;
  /** Large values written to `data/<file>` and referenced with `${file("${path.module}/data/<file>")}`. */
  files?: Record<string, string>;
}

export interface ResourceHandler<C = unknown> {
  kind: string;
  /** Concurrency bucket: tasks of one service share a limit (e.g. `ec2`, `iam`, `elbv2`). */
  service: string;
  /** Fields whose change forces delete + create. */
  immutable?: readonly string[];
  /** Fields the cloud does not report back; ignored by the diff. */
  writeOnly?: readonly string[];
  /**
   * Every live object of this kind that belongs to the cluster, in as few API calls as possible. An object with the
   * cluster's name but another cluster id is refused (isOwnObject), never reported as the cluster's.
   */
  list(ctx: HandlerContext<C>): Promise<LiveResource[]>;
  /**
   * Create it; return its outputs (at least what dependants reference) and its cloud id. A retry that finds its own
   * earlier object adopts it, but never one of another cluster (isOwnObject). `earlier` says whether an earlier
   * create call may have made the object already (see EarlierCreate); a handler that looks for it before creating
   * need not when it is 'none'.
   */
  create(node: ResourceNode, fields: ResolvedFields, ctx: HandlerContext<C>, earlier?: EarlierCreate): Promise<Pick<LiveResource, 'cloudId' | 'outputs'>>;
  /** Change mutable fields in place. Absent: every change is a replace. */
  update?(node: ResourceNode, fields: ResolvedFields, live: LiveResource, changes: FieldChange[], ctx: HandlerContext<C>): Promise<Pick<LiveResource, 'cloudId' | 'outputs'>>;
  delete(live: LiveResource, ctx: HandlerContext<C>): Promise<void>;
  /** Terraform rendering (resolved fields keep Refs, which the engine turns into interpolations). */
  terraform?(node: ResourceNode): TerraformBlock | TerraformBlock[];
  /**
   * How a Ref to one of this kind's outputs is named in Terraform: output name → attribute of the resource's
   * first TerraformBlock (e.g. `{ vpcId: 'id' }`). Outputs not listed use their own name as the attribute.
   */
  terraformOutputs?: Readonly<Record<string, string>>;
  /** Diff hook for fields that need a custom comparison (e.g. JSON policies, unordered lists). */
  equal?(field: string, desired: unknown, live: unknown): boolean;
  /**
   * How a field reads in a plan, for both the desired and the live value: the rendered script instead of the
   * template it is built from, a normalised policy. Absent: the value as it is.
   */
  present?(field: string, value: unknown): unknown;
  /** Fields that are documents (policies): plans show them as indented JSON with a line diff. */
  documents?: readonly string[];
  /** Fields a plan never shows (credentials); they read as `(sensitive value)`. */
  sensitive?: readonly string[];
}
