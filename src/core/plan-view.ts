// The reviewable form of a plan: what `update cluster` prints (as a table, or as `-o json` / `-o yaml`) and what a
// saved plan records. Pure: plan + the handlers' presentation hooks → a plain document. Values are the rendered ones
// (scripts, not templates), secrets never appear, and every change says whether it forces a replacement.
// The JSON schema is documented in docs/cli.md ("Plan JSON"); bump PLAN_FORMAT_VERSION on incompatible changes.

import { structuredPatch } from 'diff';
import { deepEqual, handlerMap, summarize } from './diff.js';
import type { Action, Plan, ResourceHandler } from './resource.js';

export const PLAN_FORMAT_VERSION = 1;
export const SENSITIVE = '(sensitive value)';

/** Items of a list field that are new / gone (compared as sets of values); `unchanged` counts the rest. */
export interface ListChanges {
  added: unknown[];
  removed: unknown[];
  unchanged: number;
}

export interface ChangeView {
  field: string;
  /** Live value (absent for a create). */
  from?: unknown;
  to?: unknown;
  /** This field's change is why the resource is deleted and created again. */
  forcesReplacement?: true;
  sensitive?: true;
  /** Multi-line text (scripts) and documents (policies): a unified diff of the lines, for updates. */
  lineDiff?: string;
  /** List fields of an update: per-item changes. */
  items?: ListChanges;
}

export interface StepView {
  id: string;
  kind: string;
  action: Action;
  cloudId?: string;
  changes: ChangeView[];
}

export interface PlanView {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  cluster: string;
  summary: Record<'create' | 'update' | 'replace' | 'delete' | 'noop', number>;
  steps: StepView[];
}

const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

function containsPrivateKey(v: unknown): boolean {
  if (typeof v === 'string') return PRIVATE_KEY.test(v);
  if (Array.isArray(v)) return v.some(containsPrivateKey);
  if (v && typeof v === 'object') return Object.values(v).some(containsPrivateKey);
  return false;
}

/** JSON with sorted keys: equal values give equal text whatever order their keys came in. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, (x as Record<string, unknown>)[k]])) : x,
  ) ?? 'null';
}

export function listChanges(from: unknown[], to: unknown[]): ListChanges {
  // Multisets: two equal items (two rules that both read "(known after apply)") are two items.
  const left = new Map<string, number>();
  for (const v of from) left.set(canonical(v), (left.get(canonical(v)) ?? 0) + 1);
  const added: unknown[] = [];
  let unchanged = 0;
  for (const v of to) {
    const n = left.get(canonical(v)) ?? 0;
    if (n > 0) {
      left.set(canonical(v), n - 1);
      unchanged++;
    } else added.push(v);
  }
  const removed = from.filter((v) => {
    const n = left.get(canonical(v)) ?? 0;
    if (n === 0) return false;
    left.set(canonical(v), n - 1);
    return true;
  });
  return { added, removed, unchanged };
}

/** Pretty JSON with sorted keys, so a document's line diff shows what changed, not how keys were ordered. */
export function documentText(v: unknown): string {
  return `${JSON.stringify(JSON.parse(canonical(v)), null, 2)}\n`;
}

/** A unified diff of two texts (hunks only, 3 lines of context), or undefined when they are equal. */
export function lineDiff(from: string, to: string): string | undefined {
  if (from === to) return undefined;
  const patch = structuredPatch('live', 'desired', from.endsWith('\n') ? from : `${from}\n`, to.endsWith('\n') ? to : `${to}\n`, undefined, undefined, { context: 3 });
  return patch.hunks.map((h) => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines].join('\n')).join('\n');
}

const isText = (v: unknown): v is string => typeof v === 'string' && v.includes('\n');

export function reviewPlan(plan: Plan, handlers: readonly ResourceHandler<any>[]): PlanView {
  const byKind = handlerMap(handlers);
  const steps = plan.steps.map((step): StepView => {
    const h = byKind.get(step.kind);
    const present = (field: string, v: unknown) => (v === undefined || !h?.present ? v : h.present(field, v));
    const immutable = new Set(h?.immutable ?? []);
    const documents = new Set(h?.documents ?? []);
    const sensitive = new Set(h?.sensitive ?? []);
    const changes = step.changes.map((c): ChangeView => {
      const from = present(c.field, c.from);
      const to = present(c.field, c.to);
      const view: ChangeView = { field: c.field };
      if (step.action !== 'create') view.from = from;
      view.to = to;
      if (step.action === 'replace' && (c.field === 'kind' || immutable.has(c.field) || !h?.update)) view.forcesReplacement = true;
      if (sensitive.has(c.field) || containsPrivateKey(from) || containsPrivateKey(to)) {
        if (view.from !== undefined) view.from = SENSITIVE;
        view.to = SENSITIVE;
        view.sensitive = true;
        return view;
      }
      if (step.action === 'create' || deepEqual(from, to)) return view;
      if (documents.has(c.field) && from !== undefined && to !== undefined) view.lineDiff = lineDiff(documentText(from), documentText(to));
      else if (isText(from) || isText(to)) view.lineDiff = lineDiff(String(from ?? ''), String(to ?? ''));
      else if (Array.isArray(from) && Array.isArray(to)) view.items = listChanges(from, to);
      return view;
    });
    return { id: step.id, kind: step.kind, action: step.action, ...(step.cloudId ? { cloudId: step.cloudId } : {}), changes };
  });
  return { formatVersion: PLAN_FORMAT_VERSION, cluster: plan.cluster, summary: summarize(plan), steps };
}
