// Discover: list every kind's live resources (read-only), one executor task per handler, retried on throttling
// like any other.

import { OperationError } from './errors.js';
import { DISCOVER_EVENTS, errorMessage, runDag, type DagTask } from './executor.js';
import { executorOptions, handlerContext, type EngineDeps } from './engine-deps.js';
import { rethrowInvalidInput } from './outcome.js';
import type { LiveResource } from './resource.js';

export async function discover<C>(deps: EngineDeps<C>): Promise<LiveResource[]> {
  const tasks: DagTask<LiveResource[]>[] = deps.handlers.map((h) => ({
    id: `list:${h.kind}`,
    resource: h.kind,
    service: h.service,
    deps: [],
    meta: { action: 'list', kind: h.kind },
    run: (signal) => h.list(handlerContext(deps, signal)),
  }));
  const outcomes = await runDag(tasks, executorOptions(deps, { events: DISCOVER_EVENTS, progressLevel: 'debug' }));
  const failed = [...outcomes.values()].filter((o) => o.status !== 'done');
  rethrowInvalidInput(failed);
  if (failed.length) {
    const what = failed.map((o) => `${o.id.slice('list:'.length)}: ${errorMessage(o.error ?? o.status)}`).join('; ');
    throw new OperationError(`could not list live resources (${what})`, { code: deps.signal?.aborted ? 'Cancelled' : 'DiscoverFailed', cause: failed[0].error });
  }
  const live = [...outcomes.values()].flatMap((o) => o.result ?? []);
  live.sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : a.cloudId < b.cloudId ? -1 : 1));
  deps.io.emit({ code: 'discover.summary', level: 'debug', message: `found ${live.length} live resources`, data: { count: live.length } });
  return live;
}
