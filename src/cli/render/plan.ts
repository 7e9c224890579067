// A plan as people read it: one line per resource with its action, then the changed fields.

import type { FieldChange, Plan } from '../../core/resource.js';
import { isRef } from '../../core/resource.js';

const SYMBOL = { create: '+', update: '~', replace: '-/+', delete: '-', noop: ' ' } as const;

export function planCounts(plan: Plan): Record<'create' | 'update' | 'replace' | 'delete', number> {
  const counts = { create: 0, update: 0, replace: 0, delete: 0 };
  for (const s of plan.steps) if (s.action !== 'noop') counts[s.action]++;
  return counts;
}

export function planHasChanges(plan: Plan): boolean {
  return plan.steps.some((s) => s.action !== 'noop');
}

function show(v: unknown): string {
  if (isRef(v)) return '(known after apply)';
  if (typeof v === 'string') return v.length > 60 ? `${JSON.stringify(v.slice(0, 57))}… (${v.length} chars)` : JSON.stringify(v);
  const json = JSON.stringify(v, (_k, x) => (isRef(x) ? '(known after apply)' : x));
  return json === undefined ? 'null' : json.length > 100 ? `${json.slice(0, 97)}…` : json;
}

function changeLine(c: FieldChange, action: string): string {
  if (action === 'create') return `      ${c.field}: ${show(c.to)}`;
  return `      ${c.field}: ${show(c.from)} → ${show(c.to)}`;
}

export function renderPlan(plan: Plan, opts: { verbose?: boolean } = {}): string {
  const c = planCounts(plan);
  const lines = [`Plan for ${plan.cluster}: ${c.create} to create, ${c.update} to update, ${c.replace} to replace, ${c.delete} to delete.`];
  const kindWidth = Math.max(0, ...plan.steps.map((s) => s.kind.length));
  for (const step of plan.steps) {
    if (step.action === 'noop' && !opts.verbose) continue;
    lines.push(`  ${SYMBOL[step.action].padEnd(3)} ${step.kind.padEnd(kindWidth)}  ${step.id}${step.cloudId ? `  (${step.cloudId})` : ''}`);
    if (step.action === 'create' && !opts.verbose) continue;
    if (step.action === 'delete') continue;
    for (const ch of step.changes) lines.push(changeLine(ch, step.action));
  }
  if (!planHasChanges(plan)) lines.push('  No changes: the cloud matches the spec.');
  return lines.join('\n') + '\n';
}
