// A cloud-agnostic DAG executor. Each task starts the moment its dependencies finish (no waves), within a
// concurrency limit per service and overall; errors are classified by the provider and retried with jittered
// exponential backoff; each task has a deadline; an AbortSignal stops new tasks from starting.

import { InvalidInputError, OperationError } from './errors.js';
import type { EventFields, TaskFields } from './events.js';
import type { IoHost } from './io.js';
import type { ErrorClass } from './resource.js';

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
  run(signal: AbortSignal): Promise<T>;
  /** Fields task.done adds from the result, e.g. the cloud ID a create made. */
  doneFields?(result: T): Partial<TaskFields>;
}

export type TaskStatus = 'done' | 'failed' | 'skipped' | 'cancelled';

export interface TaskOutcome<T = unknown> {
  id: string;
  status: TaskStatus;
  result?: T;
  error?: unknown;
  errorClass?: ErrorClass;
  attempts: number;
  startedAt?: number;
  endedAt?: number;
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

export interface RetryOptions {
  /** Attempts for 'throttled' and 'transient' errors (default 8). */
  maxAttempts?: number;
  /** Attempts for 'dependency' errors, which clear only when other tasks finish (default 12). */
  maxDependencyAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export const DEFAULTS = {
  defaultPerService: 4,
  total: 16,
  maxAttempts: 8,
  maxDependencyAttempts: 12,
  baseDelayMs: 250,
  maxDelayMs: 20_000,
  taskTimeoutMs: 10 * 60_000,
};

type TaskEvent = 'start' | 'attempt' | 'done' | 'retry' | 'failed' | 'skipped' | 'cancelled';
/** The catalogue codes one family of task events uses. */
export type TaskEventCodes = { [E in TaskEvent]: `task.${E}` | `discover.${E}` };
export const TASK_EVENTS: TaskEventCodes = { start: 'task.start', attempt: 'task.attempt', done: 'task.done', retry: 'task.retry', failed: 'task.failed', skipped: 'task.skipped', cancelled: 'task.cancelled' };
export const DISCOVER_EVENTS: TaskEventCodes = {
  start: 'discover.start',
  attempt: 'discover.attempt',
  done: 'discover.done',
  retry: 'discover.retry',
  failed: 'discover.failed',
  skipped: 'discover.skipped',
  cancelled: 'discover.cancelled',
};

/** Raised when a task exceeds its deadline; never retried. */
export class TaskTimeoutError extends OperationError {
  constructor(id: string, ms: number) {
    super(`${id}: timed out after ${Math.round(ms / 1000)}s`, { code: 'TaskTimeout' });
  }
}

/** "Equal jitter" backoff: half of the exponential delay is fixed, half random, so retries spread out but still wait. */
export function backoffDelay(attempt: number, base: number, max: number, random: () => number): number {
  const exp = Math.min(max, base * 2 ** (attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** Runs the tasks; resolves with one outcome per task (never rejects for task failures). */
export async function runDag<T>(tasks: readonly DagTask<T>[], opts: ExecutorOptions): Promise<Map<string, TaskOutcome<T>>> {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  if (byId.size !== tasks.length) throw new OperationError('executor: duplicate task ids', { code: 'InvalidGraph' });
  for (const t of tasks) {
    for (const d of t.deps) if (!byId.has(d)) throw new OperationError(`executor: task ${t.id} depends on unknown task ${d}`, { code: 'InvalidGraph' });
  }
  const now = opts.now ?? (() => performance.now());
  const random = opts.random ?? Math.random;
  const limits = {
    total: Math.max(1, opts.concurrency?.total ?? DEFAULTS.total),
    perService: opts.concurrency?.perService ?? {},
    defaultPerService: opts.concurrency?.defaultPerService ?? DEFAULTS.defaultPerService,
  };
  const retry = {
    maxAttempts: opts.retry?.maxAttempts ?? DEFAULTS.maxAttempts,
    maxDependencyAttempts: opts.retry?.maxDependencyAttempts ?? DEFAULTS.maxDependencyAttempts,
    baseDelayMs: opts.retry?.baseDelayMs ?? DEFAULTS.baseDelayMs,
    maxDelayMs: opts.retry?.maxDelayMs ?? DEFAULTS.maxDelayMs,
  };
  const timeoutMs = opts.taskTimeoutMs ?? DEFAULTS.taskTimeoutMs;
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
  let running = 0;

  const codes = opts.events ?? TASK_EVENTS;
  /** Every task event has the task's fields; the data of each kind of event is checked against the catalogue. */
  const emit = <E extends TaskEvent>(t: DagTask<T>, event: E, level: 'debug' | 'info' | 'warn' | 'error', message: string, data: Omit<EventFields[`task.${E}`], keyof TaskFields> & Partial<TaskFields>) =>
    opts.io.emit({
      code: codes[event],
      level: level === 'info' && opts.progressLevel === 'debug' ? 'debug' : level,
      message,
      task: t.resource ?? t.id,
      data: { kind: t.id, action: 'run', ...t.meta, ...data },
    } as Parameters<IoHost['emit']>[0]);

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

    const settle = (t: DagTask<T>, outcome: TaskOutcome<T>) => {
      outcomes.set(t.id, outcome);
      const ok = outcome.status === 'done' || soft;
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
        for (let i = 0; i < ready.length && running < limits.total; ) {
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
          runningPerService.set(t.service, inService + 1);
          void execute(t)
            // execute() handles task errors itself; this only catches a throwing IoHost, so the run cannot hang.
            .catch((error): TaskOutcome<T> => ({ id: t.id, status: 'failed', error, errorClass: 'fatal', attempts: 0 }))
            .then((outcome) => {
              running--;
              runningPerService.set(t.service, runningPerService.get(t.service)! - 1);
              settle(t, outcome);
              pump();
            });
        }
      }
      finishIfDone();
    };

    const execute = async (t: DagTask<T>): Promise<TaskOutcome<T>> => {
      const startedAt = now();
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(new TaskTimeoutError(t.resource ?? t.id, timeoutMs)), timeoutMs);
      const signal = opts.signal ? AbortSignal.any([deadline.signal, opts.signal]) : deadline.signal;
      let attempts = 0;
      try {
        for (;;) {
          attempts++;
          emit(t, attempts === 1 ? 'start' : 'attempt', attempts === 1 ? 'info' : 'debug', `${t.resource ?? t.id}: ${t.meta?.action ?? 'run'}`, { attempt: attempts });
          try {
            // Race the deadline only: a user abort lets the in-flight call finish (or abort itself via the signal)
            // so its result is recorded, instead of abandoning a half-known write.
            const result = await raceAbort(t.run(signal), deadline.signal);
            const endedAt = now();
            emit(t, 'done', 'info', `${t.resource ?? t.id}: ${t.meta?.action ?? 'run'} done`, { ...t.doneFields?.(result), attempt: attempts, durationMs: Math.round(endedAt - startedAt) });
            return { id: t.id, status: 'done', result, attempts, startedAt, endedAt };
          } catch (err) {
            const errorClass: ErrorClass = isEngineFatal(err) ? 'fatal' : safeClassify(opts.classifyError, err);
            const limit = errorClass === 'dependency' ? retry.maxDependencyAttempts : errorClass === 'throttled' || errorClass === 'transient' ? retry.maxAttempts : 0;
            if (attempts < limit && !signal.aborted) {
              const delayMs = backoffDelay(attempts, retry.baseDelayMs, retry.maxDelayMs, random);
              emit(t, 'retry', 'warn', `${t.resource ?? t.id}: ${errorClass}, retrying in ${delayMs} ms (${errorMessage(err)})`, {
                attempt: attempts,
                delayMs,
                errorClass,
                error: errorMessage(err),
              });
              if (await sleep(delayMs, signal)) continue;
            }
            const cancelled = !!opts.signal?.aborted && !deadline.signal.aborted && (errorClass !== 'fatal' || isAbortError(err, opts.signal));
            const error = deadline.signal.aborted ? deadline.signal.reason : err;
            emit(t, cancelled ? 'cancelled' : 'failed', 'error', `${t.resource ?? t.id}: ${errorMessage(error)}`, { attempt: attempts, errorClass, error: errorMessage(error) });
            return { id: t.id, status: cancelled ? 'cancelled' : 'failed', error, errorClass, attempts, startedAt, endedAt: now() };
          }
        }
      } finally {
        clearTimeout(timer);
      }
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

/**
 * Errors the engine raises itself are never retried, whatever the provider's classifier thinks: retrying a
 * create whose journal write failed would create the resource twice.
 */
export const ENGINE_FATAL_CODES: ReadonlySet<string> = new Set(['TaskTimeout', 'JournalWrite', 'UnresolvedRef', 'InvalidGraph']);

function isEngineFatal(err: unknown): boolean {
  // Bad input (e.g. a resource that belongs to another cluster) does not get better by retrying.
  return (err instanceof OperationError && ENGINE_FATAL_CODES.has(err.code)) || err instanceof InvalidInputError;
}

function safeClassify(classify: (err: unknown) => ErrorClass, err: unknown): ErrorClass {
  try {
    return classify(err);
  } catch {
    return 'fatal';
  }
}

function isAbortError(err: unknown, signal: AbortSignal): boolean {
  return err === signal.reason || (err instanceof Error && err.name === 'AbortError');
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Resolves/rejects like `p`, or rejects with the signal's reason as soon as it aborts. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    p.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      p.catch(() => {}); // the abandoned call may still reject later; do not let it crash the process
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Waits `ms`; resolves false early if the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
