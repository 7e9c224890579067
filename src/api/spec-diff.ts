// The fields that differ between two revisions of a spec, as paths (`spec.nodeGroups[0].maxSize`), so that
// replace / edit / rollback / upgrade can say exactly what a new revision changes.

export interface SpecChange {
  path: string;
  from: unknown;
  to: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function specChanges(before: unknown, after: unknown, path = ''): SpecChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) => specChanges(before[k], after[k], path ? `${path}.${k}` : k));
  }
  // Lists of objects (node groups, hosts) are compared item by item; lists of scalars as a whole.
  if (Array.isArray(before) && Array.isArray(after) && [...before, ...after].every(isObject)) {
    const n = Math.max(before.length, after.length);
    return Array.from({ length: n }, (_, i) => specChanges(before[i], after[i], `${path}[${i}]`)).flat();
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path, from: before, to: after }];
}

export function describeChanges(changes: SpecChange[]): string {
  const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));
  return changes.map((c) => `  ${c.path}: ${show(c.from)} → ${show(c.to)}`).join('\n');
}
