// What every engine phase (discover, plan, apply, destroy) is given, and how it becomes a handler context and
// executor options.

import type { IoHost } from './io.js';
import type { Journal } from './journal.js';
import type { ErrorClass, HandlerContext, LiveResource, ResourceHandler } from './resource.js';
import type { ExecutorOptions, RetryOptions } from './executor.js';

export interface EngineDeps<C = unknown> {
  cluster: string;
  /** The cluster's identity (`metadata.uid`); objects carrying another id are refused (see core/ownership.ts). */
  clusterId?: string;
  otherClusters?: 'refuse' | 'skip';
  handlers: ResourceHandler<C>[];
  clients: C;
  classifyError(err: unknown): ErrorClass;
  io: IoHost;
  signal?: AbortSignal;
  journal?: Journal;
  /** Max tasks in flight per handler `service` (default 4) and overall (default 16). */
  concurrency?: { perService?: Record<string, number>; defaultPerService?: number; total?: number };
  /** Backoff for throttled/transient errors (default 8 attempts, 250 ms base, 20 s cap); 'dependency' errors get maxDependencyAttempts (12). */
  retry?: RetryOptions;
  /** Per-task deadline (default 10 minutes). */
  taskTimeoutMs?: number;
  /** Clock for journal timestamps (default `new Date()`). */
  now?: () => Date;
  /** Randomness for backoff jitter (default Math.random). */
  random?: () => number;
}

export function handlerContext<C>(deps: EngineDeps<C>, signal: AbortSignal): HandlerContext<C> {
  return { clients: deps.clients, cluster: deps.cluster, clusterId: deps.clusterId, otherClusters: deps.otherClusters, signal, io: deps.io };
}

export function executorOptions<C>(deps: EngineDeps<C>, extra: Partial<ExecutorOptions> = {}): ExecutorOptions {
  return {
    io: deps.io,
    classifyError: deps.classifyError,
    signal: deps.signal,
    concurrency: deps.concurrency,
    retry: deps.retry,
    taskTimeoutMs: deps.taskTimeoutMs,
    random: deps.random,
    ...extra,
  };
}

/** Delete that treats "already gone" as success. */
export async function deleteTolerantly<C>(h: ResourceHandler<C>, l: LiveResource, ctx: HandlerContext<C>, classify: (e: unknown) => ErrorClass): Promise<void> {
  try {
    await h.delete(l, ctx);
  } catch (err) {
    let cls: ErrorClass = 'fatal';
    try {
      cls = classify(err);
    } catch {
      /* unclassifiable: rethrow below */
    }
    if (cls !== 'not-found') throw err;
  }
}
