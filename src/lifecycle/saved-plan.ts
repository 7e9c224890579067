// Saved plans (`update cluster --out-plan FILE`, then `update cluster --plan FILE --yes`): what was reviewed is what
// gets applied. The file records the spec revision and a digest of the live resources the plan was computed
// against; applying it re-reads both and refuses (exit 3, nothing applied) if either moved, so an approval in CI
// can never apply something other than what the reviewer saw. The format is documented in docs/cli.md.

import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConflictError, InvalidInputError } from '../core/errors.js';
import { canonical, type PlanView } from '../core/plan-view.js';
import type { LiveResource, Plan } from '../core/resource.js';

export const SAVED_PLAN_KIND = 'k8sup.io/SavedPlan';
export const SAVED_PLAN_VERSION = 1;

export interface SavedPlan {
  kind: typeof SAVED_PLAN_KIND;
  formatVersion: typeof SAVED_PLAN_VERSION;
  cluster: string;
  /** metadata.uid of that cluster: a cluster of the same name created again (or in another store) is another one. */
  clusterUid?: string;
  /** The spec revision the plan was computed from. */
  specRevision: number;
  /** sha256 of the live resources (graph id, kind, cloud id, fields) the plan was computed against. */
  liveDigest: string;
  createdAt: string;
  plan: PlanView;
}

/** A digest of what the cloud reported: any out-of-band change to a resource of the cluster changes it. */
export function liveDigest(live: readonly LiveResource[]): string {
  const rows = live.map((l) => canonical({ id: l.id, kind: l.kind, cloudId: l.cloudId, fields: l.fields })).sort();
  return `sha256:${createHash('sha256').update(rows.join('\n')).digest('hex')}`;
}

export async function writeSavedPlan(path: string, cwd: string, saved: Omit<SavedPlan, 'kind' | 'formatVersion'>): Promise<string> {
  const file = resolve(cwd, path);
  const doc: SavedPlan = { kind: SAVED_PLAN_KIND, formatVersion: SAVED_PLAN_VERSION, ...saved };
  await writeFile(file, `${JSON.stringify(doc, null, 2)}\n`);
  return file;
}

/** How messages name the plan: `--plan -` reads it from stdin (`… | k8sup update cluster NAME --plan - --yes`). */
const shown = (path: string) => (path === '-' ? 'the plan on stdin' : path);
/** The --out-plan of a "plan again" hint: the saved plan is never written to stdout, so stdin's is saved to a file. */
const outPlanFor = (path: string) => (path === '-' ? 'plan.json' : path);

const notAPlan = (path: string, why: string) =>
  new InvalidInputError(`${shown(path)} is not a k8sup saved plan: ${why}`, { hint: 'write one with `k8sup update cluster NAME --out-plan FILE`' });

/** The saved plan in `path`; `-` is stdin, whose text the caller reads and passes as `stdinText`. */
export async function readSavedPlan(path: string, cwd: string, stdinText?: () => Promise<string>): Promise<SavedPlan> {
  let text: string;
  try {
    text = path === '-' && stdinText ? await stdinText() : await readFile(resolve(cwd, path), 'utf8');
  } catch (e) {
    throw new InvalidInputError(`cannot read the saved plan ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      hint: 'pass the file written by `k8sup update cluster NAME --out-plan FILE`',
    });
  }
  let doc: SavedPlan;
  try {
    doc = JSON.parse(text);
  } catch {
    throw notAPlan(path, text.trim() === '' ? 'it is empty' : 'not JSON');
  }
  if (!doc || doc.kind !== SAVED_PLAN_KIND) throw notAPlan(path, `kind is not ${SAVED_PLAN_KIND}`);
  if (doc.formatVersion !== SAVED_PLAN_VERSION) throw notAPlan(path, `format version ${doc.formatVersion} (this k8sup reads ${SAVED_PLAN_VERSION})`);
  if (typeof doc.cluster !== 'string' || typeof doc.specRevision !== 'number' || typeof doc.liveDigest !== 'string' || !Array.isArray(doc.plan?.steps)) {
    throw notAPlan(path, 'cluster, specRevision, liveDigest or plan.steps is missing');
  }
  return doc;
}

/** Wrong cluster is bad input (exit 2); a spec that moved on since the plan was saved is a conflict (exit 3). */
export function checkSavedPlanSpec(saved: SavedPlan, path: string, cluster: { name: string; revision: number; uid?: string }): void {
  if (saved.cluster !== cluster.name) {
    throw new InvalidInputError(`${shown(path)} is a plan for ${saved.cluster}, not ${cluster.name}`, { hint: `apply it with \`k8sup update cluster ${saved.cluster} --plan ${path} --yes\`` });
  }
  const again = `plan again: k8sup update cluster ${cluster.name} --out-plan ${outPlanFor(path)}, review it, then apply that`;
  if (saved.clusterUid !== undefined && cluster.uid !== undefined && saved.clusterUid !== cluster.uid) {
    throw new InvalidInputError(`${shown(path)} is a plan for another cluster named ${cluster.name} (uid ${saved.clusterUid}, this one is ${cluster.uid}): it was created again since, or the plan comes from another state store`, { hint: again });
  }
  if (saved.specRevision !== cluster.revision) {
    throw new ConflictError(`the spec of ${cluster.name} changed since the plan was saved (revision ${saved.specRevision} then, ${cluster.revision} now); nothing was applied`, { hint: again });
  }
}

/** The plan computed now must be the saved one: same live state, same steps. */
export function checkSavedPlanLive(saved: SavedPlan, path: string, digest: string, fresh: PlanView): void {
  const again = `plan again: k8sup update cluster ${saved.cluster} --out-plan ${outPlanFor(path)}, review it, then apply that`;
  if (saved.liveDigest !== digest) {
    throw new ConflictError(`the cloud resources of ${saved.cluster} changed since the plan was saved; nothing was applied`, { hint: again });
  }
  if (canonical(stepsOf(saved.plan)) !== canonical(stepsOf(fresh))) {
    throw new ConflictError(`the plan computed now differs from the saved plan of ${saved.cluster}; nothing was applied`, { hint: again });
  }
}

const stepsOf = (v: PlanView) => v.steps.map((s) => ({ id: s.id, kind: s.kind, action: s.action, cloudId: s.cloudId ?? null, changes: s.changes }));

/** The saved steps as the engine's plan value (the values the engine needs are re-resolved at apply time). */
export function planFromSaved(saved: SavedPlan): Plan {
  return {
    cluster: saved.cluster,
    steps: saved.plan.steps.map((s) => ({ id: s.id, kind: s.kind, action: s.action, ...(s.cloudId ? { cloudId: s.cloudId } : {}), changes: s.changes.map((c) => ({ field: c.field, from: c.from, to: c.to })) })),
  };
}
