// Plan: discover + diff. No writes of any kind (cloud or journal); the plan is a value.

import { diff, summarize } from './diff.js';
import { discover } from './discover.js';
import type { EngineDeps } from './engine-deps.js';
import { buildGraph } from './graph.js';
import type { JournalEntry } from './journal.js';
import type { LiveResource, Plan, ResourceNode } from './resource.js';

/**
 * `journal`: the journal's entries as read while planning (nothing is recorded before an apply), handed to apply()
 * so that it knows which creates may have been made before without reading the journal again (issue 17).
 */
export async function plan<C>(nodes: ResourceNode[], deps: EngineDeps<C>): Promise<{ plan: Plan; live: LiveResource[]; journal?: JournalEntry[] }> {
  buildGraph(nodes); // fail on a bad graph before any cloud call
  // Read alongside discovery: both are round trips, to different services.
  const loading = deps.journal?.load();
  loading?.catch(() => undefined); // awaited below, unless discovery fails first
  const live = await discover(deps);
  const result = diff(deps.cluster, nodes, live, deps.handlers);
  const journal = await loading;
  if (journal) warnAboutJournal(deps, live, journal);
  const counts = summarize(result);
  deps.io.emit({
    code: 'plan.summary',
    level: 'info',
    message: `plan: ${counts.create} to create, ${counts.update} to update, ${counts.replace} to replace, ${counts.delete} to delete`,
    data: { ...counts },
  });
  return { plan: result, live, ...(journal ? { journal } : {}) };
}

/**
 * The cloud (list()) is the source of truth; the journal is a cross-check. A resource the journal says exists but
 * list() does not report was deleted behind our back or is not yet visible (eventual consistency): worth a warning.
 */
function warnAboutJournal<C>(deps: EngineDeps<C>, live: LiveResource[], entries: readonly JournalEntry[]): void {
  const last = new Map<string, JournalEntry>();
  for (const e of entries) if (e.action !== 'intent' && e.action !== 'withdrawn') last.set(`${e.kind}\0${e.cloudId}`, e);
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
