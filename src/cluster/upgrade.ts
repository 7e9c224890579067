// upgrade cluster's orchestration: kubeadm's procedure as the provider plans it (src/core/upgrade.ts), run one step
// at a time with its progress in the state store, and the spec revision with the new version written only once every
// step has finished. An interrupted or failed upgrade leaves the spec at the old version and a progress record
// (`<cluster>/upgrade/progress.json`); running the same command again resumes after the last finished step, and the
// machines' own markers make a step that finished but was not yet recorded a no-op. See docs/upgrades.md.

import type { Cluster } from '../api/types.js';
import { InvalidInputError } from '../core/errors.js';
import type { IoHost } from '../core/io.js';
import type { UpgradeCapability, UpgradeRunContext, UpgradeStep } from '../core/upgrade.js';
import type { ClusterStore } from '../state/cluster-store.js';

export const UPGRADE_PROGRESS_OBJECT = 'upgrade/progress.json';

export interface UpgradeProgress {
  from: string;
  to: string;
  startedAt: string;
  /** Ids of the finished steps, in the order they finished. */
  done: string[];
}

export async function readUpgradeProgress(cs: ClusterStore): Promise<UpgradeProgress | null> {
  const blob = await cs.getObject(UPGRADE_PROGRESS_OBJECT);
  return blob ? (JSON.parse(blob.data.toString('utf8')) as UpgradeProgress) : null;
}

/** An upgrade in progress must be finished before another version is asked for (exit 2, nothing written). */
export function assertSameUpgrade(name: string, progress: UpgradeProgress | null, to: string): void {
  if (progress && progress.to !== to) {
    throw new InvalidInputError(`${name}: the upgrade from ${progress.from} to ${progress.to} has not finished (${progress.done.length} steps done)`, {
      hint: `finish it first: k8sup upgrade cluster ${name} --kubernetes-version ${progress.to} --yes (docs/upgrades.md, "Recovering")`,
    });
  }
}

export interface PlannedStep extends UpgradeStep {
  done: boolean;
}

export function markDone(steps: UpgradeStep[], progress: UpgradeProgress | null): PlannedStep[] {
  const done = new Set(progress?.done ?? []);
  return steps.map((s) => ({ ...s, done: done.has(s.id) }));
}

export interface RunUpgradeOptions<C> {
  cs: ClusterStore;
  cluster: Cluster;
  capability: UpgradeCapability<C>;
  clients: C;
  steps: UpgradeStep[];
  progress: UpgradeProgress | null;
  run: UpgradeRunContext;
  io: IoHost;
  signal?: AbortSignal;
}

/** Runs the steps not yet recorded as done, recording each as it finishes. Throws at the first failure. */
export async function runUpgradeSteps<C>(o: RunUpgradeOptions<C>): Promise<UpgradeProgress> {
  const progress: UpgradeProgress = o.progress ?? { from: o.run.from, to: o.run.to, startedAt: new Date().toISOString(), done: [] };
  const save = () => o.cs.putObject(UPGRADE_PROGRESS_OBJECT, JSON.stringify(progress, null, 2) + '\n');
  await save();
  await o.capability.preflight?.(o.cluster, o.clients, o.run);
  for (const step of o.steps) {
    const data = { step: step.id, action: step.action, target: step.target };
    if (progress.done.includes(step.id)) {
      o.io.emit({ code: 'upgrade.step', level: 'info', task: step.id, message: `${step.id}: done in an earlier run`, data: { ...data, phase: 'skipped' } });
      continue;
    }
    o.signal?.throwIfAborted();
    o.io.emit({ code: 'upgrade.step', level: 'info', task: step.id, message: `${step.id}: ${step.description}…`, data: { ...data, phase: 'start' } });
    try {
      const { skipped } = await o.capability.runStep(o.cluster, o.clients, step, o.run);
      progress.done.push(step.id);
      await save();
      const message = skipped ? `${step.id}: had finished already (marker on ${step.target})` : `${step.id}: done`;
      o.io.emit({ code: 'upgrade.step', level: 'info', task: step.id, message, data: { ...data, phase: skipped ? 'skipped' : 'done' } });
    } catch (e) {
      o.io.emit({ code: 'upgrade.step', level: 'error', task: step.id, message: `${step.id}: failed; the spec still says ${o.run.from}. Run the same command again to resume`, data: { ...data, phase: 'failed' } });
      throw e;
    }
  }
  return progress;
}

export async function clearUpgradeProgress(cs: ClusterStore): Promise<void> {
  await cs.deleteObject(UPGRADE_PROGRESS_OBJECT);
}
