// What apply and destroy report: the outputs, or an ApplyError listing what could not be done and why.

import { InvalidInputError, OperationError } from './errors.js';
import { errorMessage, type DagTask, type TaskOutcome } from './executor.js';

export interface ApplyResult {
  /** Outputs of every resource after apply, keyed by resource id. */
  outputs: Record<string, Record<string, unknown>>;
  /** Resources that could not be processed, with the reason. */
  failed: { id: string; kind: string; error: string }[];
}

/** apply/destroy did not finish: `failed` says what and why; `outputs` holds what is known so far. */
export class ApplyError extends OperationError {
  readonly failed: ApplyResult['failed'];
  readonly outputs: ApplyResult['outputs'];
  constructor(message: string, failed: ApplyResult['failed'], outputs: ApplyResult['outputs'], code: 'ApplyFailed' | 'DestroyIncomplete' | 'Cancelled') {
    super(message, {
      code,
      hint: code === 'Cancelled' ? 'run the same command again: it resumes from what the cloud reports' : 'fix the cause and run the same command again; finished work is not redone',
    });
    this.failed = failed;
    this.outputs = outputs;
  }
}

/** Bad input found while working (an object of another cluster): exit 2 with its own message, not "apply failed". */
export function rethrowInvalidInput(outcomes: TaskOutcome<unknown>[]): void {
  const bad = outcomes.find((o) => o.error instanceof InvalidInputError);
  if (bad) throw bad.error;
}

/** One entry per resource whose task did not finish (a replace reports the first of its two tasks that failed). */
export function failures(outcomes: Map<string, TaskOutcome<unknown>>, tasks: DagTask<unknown>[]): ApplyResult['failed'] {
  const byResource = new Map<string, ApplyResult['failed'][number]>();
  for (const t of tasks) {
    const o = outcomes.get(t.id)!;
    if (o.status === 'done') continue;
    const id = t.resource ?? t.id;
    if (byResource.has(id)) continue;
    byResource.set(id, { id, kind: String(t.meta?.kind ?? ''), error: o.error === undefined ? 'cancelled before it started' : errorMessage(o.error) });
  }
  return [...byResource.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
}

export function describeFailures(failed: ApplyResult['failed']): string {
  const shown = failed.slice(0, 5).map((f) => `${f.id}: ${f.error}`);
  return shown.join('; ') + (failed.length > 5 ? `; and ${failed.length - 5} more` : '');
}
