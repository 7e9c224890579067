// Plan: discover + diff. No writes of any kind (cloud or journal); the plan is a value.

import { diff, summarize } from './diff.js';
import { discover } from './discover.js';
import type { EngineDeps } from './engine-deps.js';
import { buildGraph } from './graph.js';
import type { JournalEntry } from './journal.js';
import type { LiveResource, Plan, ResourceNode } from './resource.js';

export async function plan<C>(nodes: ResourceNode[], deps: EngineDeps<C>): Promise<{ plan: Plan; live: LiveResource[] }> {
  buildGraph(nodes); // fail on a bad graph before any cloud call
  const live = await discover(deps);
  const result = diff(deps.cluster, nodes, live, deps.handlers);
  if (deps.journal) await warnAboutJournal(deps, live);
  const counts = summarize(result);
  deps.io.emit({
    code: 'plan.summary',
    level: 'info',
    message: `plan: ${counts.create} to create, ${counts.update} to update, ${counts.replace} to replace, ${counts.delete} to delete`,
    data: { ...counts },
  });
  return { plan: result, live };
}

/**
 * The cloud (list()) is the source of truth; the journal is a cross-check. A resource the journal says exists but
 * list() does not report was deleted behind our back or is not yet visible (eventual consistency): worth a warning.
 */
async function warnAboutJournal<C>(deps: EngineDeps<C>, live: LiveResource[]): Promise<void> {
  const last = new Map<string, JournalEntry>();
  for (const e of await deps.journal!.load()) if (e.action !== 'intent' && e.action !== 'withdrawn') last.set(`${e.kind}\0${e.cloudId}`, e);
  const seen = new Set(live.map((l) => `${l.kind}\0${l.cloudId}`));
  for (const e of last.values()) {
    if (e.action !== 'deleted' && !seen.has(`${e.kind}\0${e.cloudId}`)) {
      deps.io.emit({
        code: 'plan.journal-missing',
        level: 'warn',
        message: `${e.id} (${e.cloudId}) was ${e.action} at ${e.at} but the cloud does not report it; it will be created again`,
        task: e.id,
        data: { kind: e.kind, cloudId: e.cloudId },
      });
    }
  }
}
