// STUB — the engine issue (#3) implements this file (and graph.ts, diff.ts, executor.ts, terraform.ts beside it).
// The exported names and signatures below are what providers and the CLI call; keep them.

import type { IoHost } from './io.js';
import type { ErrorClass, LiveResource, Plan, ResourceHandler, ResourceNode } from './resource.js';

/** What was applied, recorded as it happens, so a re-run after a crash resumes and delete knows the inventory. */
export interface JournalEntry {
  id: string;
  kind: string;
  cloudId: string;
  action: 'created' | 'updated' | 'deleted';
  at: string;
}

export interface Journal {
  load(): Promise<JournalEntry[]>;
  record(entry: JournalEntry): Promise<void>;
}

export interface EngineDeps<C = unknown> {
  cluster: string;
  handlers: ResourceHandler<C>[];
  clients: C;
  classifyError(err: unknown): ErrorClass;
  io: IoHost;
  signal?: AbortSignal;
  journal?: Journal;
  /** Max tasks in flight per handler `service` (default 4) and overall (default 16). */
  concurrency?: { perService?: Record<string, number>; defaultPerService?: number; total?: number };
  retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** Per-task deadline (default 10 minutes). */
  taskTimeoutMs?: number;
}

export interface ApplyResult {
  /** Outputs of every resource after apply, keyed by resource id. */
  outputs: Record<string, Record<string, unknown>>;
  /** Resources that could not be processed, with the reason. */
  failed: { id: string; kind: string; error: string }[];
}

/** Lists every kind's live resources (read-only). */
export async function discover<C>(_deps: EngineDeps<C>): Promise<LiveResource[]> {
  throw new Error('not implemented');
}

/** Pure: desired vs live → plan. Live resources with no desired node become deletes. */
export function diff(_cluster: string, _nodes: ResourceNode[], _live: LiveResource[], _handlers: ResourceHandler<any>[]): Plan {
  throw new Error('not implemented');
}

/** discover + diff. No writes of any kind. */
export async function plan<C>(_nodes: ResourceNode[], _deps: EngineDeps<C>): Promise<{ plan: Plan; live: LiveResource[] }> {
  throw new Error('not implemented');
}

/** Executes a plan as a DAG. Throws OperationError (with `failed` listed) if anything could not be applied. */
export async function apply<C>(_plan: Plan, _nodes: ResourceNode[], _live: LiveResource[], _deps: EngineDeps<C>): Promise<ApplyResult> {
  throw new Error('not implemented');
}

/** Deletes every live resource that belongs to the cluster, in reverse dependency order (nodes give the order). */
export async function destroy<C>(_nodes: ResourceNode[], _deps: EngineDeps<C>): Promise<ApplyResult> {
  throw new Error('not implemented');
}

/** Renders `main.tf.json` and `data/*` as file name → content. No cloud calls. */
export function renderTerraform(_nodes: ResourceNode[], _handlers: ResourceHandler<any>[], _preamble: Record<string, unknown>): Record<string, string> {
  throw new Error('not implemented');
}
