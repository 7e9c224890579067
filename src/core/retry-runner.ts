// Runs one task to its end: attempts, error classification, jittered exponential backoff, the task's deadline and
// cancellation. Knows nothing of other tasks (the scheduler, scheduler.ts, decides what runs when).

import { InvalidInputError, OperationError } from './errors.js';
import type { EventFields, TaskEvent, TaskFields } from './events.js';
import type { ErrorClass } from './resource.js';
import { sleep } from './sleep.js';

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

/** What the runner needs of a task. */
export interface RunnableTask<T> {
  id: string;
  resource?: string;
  meta?: TaskFields;
  run(signal: AbortSignal): Promise<T>;
  doneFields?(result: T): Partial<TaskFields>;
}

/** Emits one task event (the scheduler maps it to its family's code and the task's fields). */
export type TaskEmit = <E extends TaskEvent>(event: E, level: 'debug' | 'info' | 'warn' | 'error', message: string, data: Omit<EventFields[`task.${E}`], keyof TaskFields> & Partial<TaskFields>) => void;

export interface RetryRunnerOptions {
  classifyError(err: unknown): ErrorClass;
  /** The run's signal: stops retries; the call in flight may finish so its result is recorded. */
  signal?: AbortSignal;
  retry: Required<RetryOptions>;
  timeoutMs: number;
  random: () => number;
  now: () => number;
}

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

/** Runs `t` until it succeeds, gives up or is stopped; resolves with its outcome (never rejects for task errors). */
export async function runWithRetries<T>(t: RunnableTask<T>, opts: RetryRunnerOptions, emit: TaskEmit): Promise<TaskOutcome<T>> {
  const { retry, timeoutMs, now } = opts;
  const name = t.resource ?? t.id;
  const startedAt = now();
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new TaskTimeoutError(name, timeoutMs)), timeoutMs);
  const signal = opts.signal ? AbortSignal.any([deadline.signal, opts.signal]) : deadline.signal;
  let attempts = 0;
  try {
    for (;;) {
      attempts++;
      emit(attempts === 1 ? 'start' : 'attempt', attempts === 1 ? 'info' : 'debug', `${name}: ${t.meta?.action ?? 'run'}`, { attempt: attempts });
      try {
        // Race the deadline only: a user abort lets the in-flight call finish (or abort itself via the signal)
        // so its result is recorded, instead of abandoning a half-known write.
        const result = await raceAbort(t.run(signal), deadline.signal);
        const endedAt = now();
        emit('done', 'info', `${name}: ${t.meta?.action ?? 'run'} done`, { ...t.doneFields?.(result), attempt: attempts, durationMs: Math.round(endedAt - startedAt) });
        return { id: t.id, status: 'done', result, attempts, startedAt, endedAt };
      } catch (err) {
        const errorClass: ErrorClass = isEngineFatal(err) ? 'fatal' : safeClassify(opts.classifyError, err);
        const limit = errorClass === 'dependency' ? retry.maxDependencyAttempts : errorClass === 'throttled' || errorClass === 'transient' ? retry.maxAttempts : 0;
        if (attempts < limit && !signal.aborted) {
          const delayMs = backoffDelay(attempts, retry.baseDelayMs, retry.maxDelayMs, opts.random);
          emit('retry', 'warn', `${name}: ${errorClass}, retrying in ${delayMs} ms (${errorMessage(err)})`, {
            attempt: attempts,
            delayMs,
            errorClass,
            error: errorMessage(err),
          });
          // The shared sleep rejects on abort: then the task stops here instead of trying again.
          if (await sleep(delayMs, signal).then(() => true, () => false)) continue;
        }
        const cancelled = !!opts.signal?.aborted && !deadline.signal.aborted && (errorClass !== 'fatal' || isAbortError(err, opts.signal));
        const error = deadline.signal.aborted ? deadline.signal.reason : err;
        emit(cancelled ? 'cancelled' : 'failed', 'error', `${name}: ${errorMessage(error)}`, { attempt: attempts, errorClass, error: errorMessage(error) });
        return { id: t.id, status: cancelled ? 'cancelled' : 'failed', error, errorClass, attempts, startedAt, endedAt: now() };
      }
    }
  } finally {
    clearTimeout(timer);
  }
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
