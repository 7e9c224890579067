// The DAG scheduler: each task starts the moment its dependencies finish (no waves), longest remaining chain first,
// within a concurrency limit per service and overall; an AbortSignal stops new tasks from starting. How one task is
// run (attempts, backoff, deadline) is the retry runner's job (retry-runner.ts).

import { OperationError } from './errors.js';
import { TASK_EVENTS, type EventFields, type TaskEvent, type TaskEventCodes, type TaskFields } from './events.js';
import type { IoHost } from './io.js';
import type { ErrorClass } from './resource.js';
import { DEFAULTS, runWithRetries, type RetryOptions, type TaskEmit, type TaskOutcome } from './retry-runner.js';

export interface DagTask<T = unknown> {
  /** Unique among the tasks of one run. */
  id: string;
  /** The resource this task is about; used as the `task` of events. Defaults to `id`. */
  resource?: string;
  /** Concurrency bucket, e.g. `ec2`. */
  service: string;
  /** Ids of tasks that must finish first. */
  deps: readonly string[];
  /** Attached to every event of this task (kind, action …). */
  meta?: TaskFields;
  /**
   * The work. `releaseDependants()` lets the tasks waiting on this one start before it finishes: apply calls it once
   * the cloud object exists and only its journal record is left to write (the task still ends, done or failed, when
   * that write does). Once released, a later failure of this task no longer skips them, and it no longer counts
   * against the concurrency limits: those bound cloud calls, and a released task makes none.
   */
  run(signal: AbortSignal, releaseDependants: () => void): Promise<T>;
  /** Fields task.done adds from the result, e.g. the cloud ID a create made. */
  doneFields?(result: T): Partial<TaskFields>;
}

export interface ExecutorOptions {
  io: IoHost;
  classifyError(err: unknown): ErrorClass;
  signal?: AbortSignal;
  concurrency?: { perService?: Record<string, number>; defaultPerService?: number; total?: number };
  retry?: RetryOptions;
  /** Deadline for one task, retries included. */
  taskTimeoutMs?: number;
  /**
   * `hard` (apply): a task whose dependency failed is skipped. `soft` (destroy): it runs anyway once the
   * dependency has finished, because the cloud is the judge of whether it can go (and says 'dependency' if not).
   */
  depMode?: 'hard' | 'soft';
  /** Event codes (default `task.*`): discovery uses `discover.*` so progress UIs can tell listing from writing. */
  events?: TaskEventCodes;
  /** Level of routine start/done events (default info); discovery uses debug, so only -v shows each list call. */
  progressLevel?: 'debug' | 'info';
  /** Injected for tests; default Math.random. */
  random?: () => number;
  /** Injected for tests; default performance.now. */
  now?: () => number;
}

/** Runs the tasks; resolves with one outcome per task (never rejects for task failures). */
export async function runDag<T>(tasks: readonly DagTask<T>[], opts: ExecutorOptions): Promise<Map<string, TaskOutcome<T>>> {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  if (byId.size !== tasks.length) throw new OperationError('executor: duplicate task ids', { code: 'InvalidGraph' });
  for (const t of tasks) {
    for (const d of t.deps) if (!byId.has(d)) throw new OperationError(`executor: task ${t.id} depends on unknown task ${d}`, { code: 'InvalidGraph' });
  }
  const limits = {
    total: Math.max(1, opts.concurrency?.total ?? DEFAULTS.total),
    perService: opts.concurrency?.perService ?? {},
    defaultPerService: opts.concurrency?.defaultPerService ?? DEFAULTS.defaultPerService,
  };
  const runner = {
    classifyError: opts.classifyError,
    signal: opts.signal,
    retry: {
      maxAttempts: opts.retry?.maxAttempts ?? DEFAULTS.maxAttempts,
      maxDependencyAttempts: opts.retry?.maxDependencyAttempts ?? DEFAULTS.maxDependencyAttempts,
      baseDelayMs: opts.retry?.baseDelayMs ?? DEFAULTS.baseDelayMs,
      maxDelayMs: opts.retry?.maxDelayMs ?? DEFAULTS.maxDelayMs,
    },
    timeoutMs: opts.taskTimeoutMs ?? DEFAULTS.taskTimeoutMs,
    random: opts.random ?? Math.random,
    now: opts.now ?? (() => performance.now()),
  };
  const soft = opts.depMode === 'soft';

  const dependants = new Map<string, string[]>(tasks.map((t) => [t.id, []]));
  const waitingOn = new Map<string, number>();
  for (const t of tasks) {
    const uniq = new Set(t.deps);
    waitingOn.set(t.id, uniq.size);
    for (const d of uniq) dependants.get(d)!.push(t.id);
  }
  const priority = heights(tasks, dependants);
  const outcomes = new Map<string, TaskOutcome<T>>();
  const ready: string[] = [];
  const runningPerService = new Map<string, number>();
  /** Tasks started and not ended (the run ends when none is left), and those of them holding a concurrency slot. */
  let running = 0;
  const holdsSlot = new Set<string>();
  const freeSlot = (t: DagTask<T>) => {
    if (!holdsSlot.delete(t.id)) return;
    runningPerService.set(t.service, runningPerService.get(t.service)! - 1);
  };

  const codes = opts.events ?? TASK_EVENTS;
  /** Every task event has the task's fields; the data of each kind of event is checked against the catalogue. */
  const emitFor = (t: DagTask<T>): TaskEmit => (event, level, message, data) =>
    opts.io.emit({
      code: codes[event],
      level: level === 'info' && opts.progressLevel === 'debug' ? 'debug' : level,
      message,
      task: t.resource ?? t.id,
      data: { kind: t.id, action: 'run', ...t.meta, ...data },
    } as Parameters<IoHost['emit']>[0]);
  const emit = <E extends TaskEvent>(t: DagTask<T>, event: E, level: 'warn' | 'error', message: string, data: Omit<EventFields[`task.${E}`], keyof TaskFields>) =>
    emitFor(t)(event, level, message, data);

  const pushReady = (id: string) => {
    ready.push(id);
    // Longest remaining chain first: the critical path never waits behind short side branches for a slot.
    ready.sort((a, b) => priority.get(b)! - priority.get(a)! || (a < b ? -1 : a > b ? 1 : 0));
  };
  for (const t of tasks) if (waitingOn.get(t.id) === 0) pushReady(t.id);

  return new Promise((resolve) => {
    const finishIfDone = () => {
      if (running > 0) return;
      if (opts.signal?.aborted) {
        for (const t of tasks) {
          if (!outcomes.has(t.id)) {
            outcomes.set(t.id, { id: t.id, status: 'cancelled', attempts: 0 });
            emit(t, 'cancelled', 'warn', `${t.resource ?? t.id}: not started (cancelled)`, {});
          }
        }
      } else if (ready.length === 0) {
        // Nothing running and nothing ready: whatever is left waits on a cycle (builders should prevent this).
        for (const t of tasks) {
          if (!outcomes.has(t.id)) {
            const error = new OperationError(`${t.id}: dependency cycle among tasks`, { code: 'InvalidGraph' });
            outcomes.set(t.id, { id: t.id, status: 'failed', error, errorClass: 'fatal', attempts: 0 });
            emit(t, 'failed', 'error', error.message, { error: error.message });
          }
        }
      }
      if (outcomes.size === tasks.length) resolve(outcomes);
    };

    const released = new Set<string>();
    const release = (t: DagTask<T>) =>
      // Deferred: a task that releases from the synchronous start of its run must not re-enter pump's loop.
      queueMicrotask(() => {
        if (released.has(t.id) || outcomes.has(t.id)) return;
        released.add(t.id);
        freeSlot(t);
        unblock(t, true);
        pump();
      });

    const settle = (t: DagTask<T>, outcome: TaskOutcome<T>) => {
      outcomes.set(t.id, outcome);
      if (!released.has(t.id)) unblock(t, outcome.status === 'done' || soft);
    };

    const unblock = (t: DagTask<T>, ok: boolean) => {
      for (const d of dependants.get(t.id)!) {
        if (outcomes.has(d)) continue;
        if (!ok) {
          skip(byId.get(d)!, t.id);
          continue;
        }
        const left = waitingOn.get(d)! - 1;
        waitingOn.set(d, left);
        if (left === 0) pushReady(d);
      }
    };

    const skip = (t: DagTask<T>, because: string) => {
      const error = new OperationError(`${t.resource ?? t.id}: skipped because ${because} did not complete`, { code: 'Skipped' });
      emit(t, 'skipped', 'warn', error.message, { because });
      settle(t, { id: t.id, status: 'skipped', error, attempts: 0 });
    };

    const pump = () => {
      if (!opts.signal?.aborted) {
        for (let i = 0; i < ready.length && holdsSlot.size < limits.total; ) {
          const t = byId.get(ready[i])!;
          const inService = runningPerService.get(t.service) ?? 0;
          // A limit below 1 would never let the task start: treat it as 1.
          const cap = Math.max(1, limits.perService[t.service] ?? limits.defaultPerService);
          if (inService >= cap) {
            i++;
            continue;
          }
          ready.splice(i, 1);
          running++;
          holdsSlot.add(t.id);
          runningPerService.set(t.service, inService + 1);
          void runWithRetries({ ...t, run: (signal) => t.run(signal, () => release(t)) }, runner, emitFor(t))
            // The runner handles task errors itself; this only catches a throwing IoHost, so the run cannot hang.
            .catch((error): TaskOutcome<T> => ({ id: t.id, status: 'failed', error, errorClass: 'fatal', attempts: 0 }))
            .then((outcome) => {
              running--;
              freeSlot(t);
              settle(t, outcome);
              pump();
            });
        }
      }
      finishIfDone();
    };

    pump();
  });
}

/** Longest chain (in tasks) from each task to a sink. */
function heights<T>(tasks: readonly DagTask<T>[], dependants: Map<string, string[]>): Map<string, number> {
  const h = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    const known = h.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0; // cycle: reported by the scheduler, not here
    visiting.add(id);
    let best = 0;
    for (const d of dependants.get(id)!) best = Math.max(best, visit(d));
    visiting.delete(id);
    h.set(id, best + 1);
    return best + 1;
  };
  for (const t of tasks) visit(t.id);
  return h;
}
