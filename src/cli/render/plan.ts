// A plan as people read it, in the manner of `terraform plan`: one header line per resource with its action, then
// every attribute of a create, and for updates and replacements what changes: nested keys, per-item list changes,
// line diffs of scripts and policies, and `# forces replacement` on the fields that cause a replacement.

import { KNOWN_AFTER_APPLY } from '../../core/diff.js';
import { canonical, listChanges, SENSITIVE, type ChangeView, type PlanView, type StepView } from '../../core/plan-view.js';

const SYMBOL = { create: '+', update: '~', replace: '-/+', delete: '-', noop: ' ' } as const;
const FORCES = '  # forces replacement';

export function planCounts(plan: Pick<PlanView, 'steps'>): Record<'create' | 'update' | 'replace' | 'delete', number> {
  const counts = { create: 0, update: 0, replace: 0, delete: 0 };
  for (const s of plan.steps) if (s.action !== 'noop') counts[s.action]++;
  return counts;
}

export function planHasChanges(plan: Pick<PlanView, 'steps'>): boolean {
  return plan.steps.some((s) => s.action !== 'noop');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const keyText = (k: string) => (/^[A-Za-z_][\w-]*$/.test(k) ? k : JSON.stringify(k));

function scalar(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (v === KNOWN_AFTER_APPLY || v === SENSITIVE) return v;
  return JSON.stringify(v);
}

/** A value on one line when it is short and flat. */
function inline(v: unknown): string | undefined {
  if (Array.isArray(v)) {
    if (v.some((x) => typeof x === 'object' && x !== null)) return undefined;
    const s = `[${v.map(scalar).join(', ')}]`;
    return s.length <= 80 ? s : undefined;
  }
  if (isObject(v)) {
    if (Object.keys(v).length === 0) return '{}';
    if (Object.values(v).some((x) => typeof x === 'object' && x !== null)) return undefined;
    const s = `{ ${Object.entries(v).map(([k, x]) => `${keyText(k)} = ${scalar(x)}`).join(', ')} }`;
    return s.length <= 100 ? s : undefined;
  }
  if (typeof v === 'string' && v.includes('\n')) return undefined;
  return scalar(v);
}

/** A value as lines; the first line continues after `name = `, later lines are indented by `pad`. */
function block(v: unknown, pad: string): string[] {
  const one = inline(v);
  if (one !== undefined) return [one];
  if (typeof v === 'string') return ['<<-EOT', ...v.replace(/\n$/, '').split('\n').map((l) => `${pad}    ${l}`.trimEnd()), `${pad}EOT`];
  if (Array.isArray(v)) return ['[', ...v.flatMap((x) => withComma(block(x, `${pad}    `), `${pad}    `)), `${pad}]`];
  const entries = Object.entries(v as Record<string, unknown>);
  const width = Math.max(...entries.map(([k]) => keyText(k).length));
  return ['{', ...entries.flatMap(([k, x]) => prefixed(`${pad}    ${keyText(k).padEnd(width)} = `, block(x, `${pad}    `))), `${pad}}`];
}

function prefixed(prefix: string, lines: string[]): string[] {
  return [`${prefix}${lines[0]}`, ...lines.slice(1)];
}

function withComma(lines: string[], pad: string): string[] {
  const out = [...lines];
  out[0] = `${pad}${out[0]}`;
  out[out.length - 1] += ',';
  return out;
}

function changeLines(c: ChangeView, action: StepView['action'], width: number, pad: string): string[] {
  const name = keyText(c.field).padEnd(width);
  const tail = c.forcesReplacement ? FORCES : '';
  if (action === 'create') return prefixed(`${pad}+ ${name} = `, block(c.to, `${pad}  `));
  if (c.sensitive) return [`${pad}~ ${name} = ${c.from === undefined ? '' : '(sensitive value) → '}(sensitive value)${tail}`];
  if (c.lineDiff !== undefined) {
    return [`${pad}~ ${name}${tail}`, ...c.lineDiff.split('\n').map((l) => `${pad}    ${l}`.trimEnd())];
  }
  if (c.items) {
    const lines = [`${pad}~ ${name} = [${tail}`];
    for (const v of c.items.removed) lines.push(...prefixed(`${pad}    - `, block(v, `${pad}      `)));
    for (const v of c.items.added) lines.push(...prefixed(`${pad}    + `, block(v, `${pad}      `)));
    if (c.items.unchanged) lines.push(`${pad}      # (${c.items.unchanged} unchanged ${c.items.unchanged === 1 ? 'item' : 'items'} hidden)`);
    lines.push(`${pad}  ]`);
    return lines;
  }
  if (isObject(c.from) && isObject(c.to)) return [`${pad}~ ${name} = {${tail}`, ...objectDiff(c.from, c.to, `${pad}    `), `${pad}  }`];
  const from = block(c.from, `${pad}  `);
  const to = block(c.to, `${pad}  `);
  if (from.length === 1 && to.length === 1) return [`${pad}~ ${name} = ${from[0]} → ${to[0]}${tail}`];
  return [...prefixed(`${pad}~ ${name} = `, from), ...prefixed(`${pad}  ${' '.repeat(width)} → `, to), ...(tail ? [`${pad}  ${tail.trim()}`] : [])];
}

/** Changed keys of a nested object, recursively; unchanged keys are counted, not shown. */
function objectDiff(from: Record<string, unknown>, to: Record<string, unknown>, pad: string): string[] {
  const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])];
  const changed = keys.filter((k) => canonical(from[k]) !== canonical(to[k]));
  const width = Math.max(0, ...changed.map((k) => keyText(k).length));
  const lines: string[] = [];
  for (const k of changed) {
    const name = keyText(k).padEnd(width);
    if (!(k in from) || from[k] === undefined) lines.push(...prefixed(`${pad}+ ${name} = `, block(to[k], `${pad}  `)));
    else if (!(k in to) || to[k] === undefined) lines.push(...prefixed(`${pad}- ${name} = `, block(from[k], `${pad}  `)));
    else lines.push(...changeLines({ field: k, from: from[k], to: to[k], ...(Array.isArray(from[k]) && Array.isArray(to[k]) ? { items: listChanges(from[k] as unknown[], to[k] as unknown[]) } : {}) }, 'update', width, pad));
  }
  const same = keys.length - changed.length;
  if (same) lines.push(`${pad}  # (${same} unchanged ${same === 1 ? 'attribute' : 'attributes'} hidden)`);
  return lines;
}


export function renderPlan(plan: PlanView, opts: { verbose?: boolean } = {}): string {
  const c = planCounts(plan);
  const lines = [`Plan for ${plan.cluster}: ${c.create} to create, ${c.update} to update, ${c.replace} to replace, ${c.delete} to delete.`];
  for (const step of plan.steps) {
    if (step.action === 'noop' && !opts.verbose) continue;
    lines.push('', `  ${SYMBOL[step.action].padEnd(3)} ${step.kind}  ${step.id}${step.cloudId ? `  (${step.cloudId})` : ''}${step.action === 'replace' ? '  # must be replaced' : ''}`);
    if (step.action === 'delete' || step.action === 'noop') continue;
    const width = Math.max(0, ...step.changes.map((ch) => keyText(ch.field).length));
    for (const ch of step.changes) lines.push(...changeLines(ch, step.action, width, '      '));
  }
  lines.push('');
  if (!planHasChanges(plan)) lines.push('  No changes: the cloud matches the spec.');
  else lines.push(`Plan: ${c.create} to create, ${c.update} to update, ${c.replace} to replace, ${c.delete} to delete.`);
  return lines.join('\n') + '\n';
}
