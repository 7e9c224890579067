// How the engine writes its journal while it works, and reads intents back.

import { OperationError } from './errors.js';
import { errorMessage } from './executor.js';
import type { EngineDeps } from './engine-deps.js';
import type { JournalEntry } from './journal.js';
import type { EarlierCreate } from './resource.js';

export type RecordJournal = (e: Omit<JournalEntry, 'at'>) => Promise<void>;

/** Journal writes as the work happens; a failed write stops that task (never retried: the cloud write already happened). */
export function journalWriter<C>(deps: EngineDeps<C>): RecordJournal {
  const now = deps.now ?? (() => new Date());
  return async (e) => {
    if (!deps.journal) return;
    try {
      await deps.journal.record({ ...e, at: now().toISOString() });
    } catch (err) {
      const what = e.action === 'intent' ? 'not created: could not record the intent to create it' : `${e.action} but could not record it`;
      throw new OperationError(`${e.id}: ${what} in the journal: ${errorMessage(err)}`, { code: 'JournalWrite', cause: err });
    }
  };
}

/** The name a create call will use, for the intent record: the `name` field, else the Name tag. */
export function intentName(fields: Record<string, unknown>): string | undefined {
  if (typeof fields.name === 'string') return fields.name;
  const tags = fields.tags as Record<string, unknown> | undefined;
  return typeof tags?.Name === 'string' ? tags.Name : undefined;
}

/**
 * Journal intents with no later record for that resource: a create was about to be made (or made) when the run
 * stopped. list() finds such an object by its tags/labels; if it did not, say which name to look for.
 */
export function unresolvedIntents(entries: JournalEntry[]): JournalEntry[] {
  const last = new Map<string, JournalEntry>();
  for (const e of entries) last.set(`${e.kind}\0${e.id}`, e);
  return [...last.values()].filter((e) => e.action === 'intent');
}

/**
 * Per resource, whether the journal (as read before this run recorded anything) leaves room for an object made by an
 * earlier create call: 'none' when nothing was ever recorded for it, or its last record is `withdrawn` (the create was
 * never called) or `deleted` (what was made is gone); 'maybe' after an unresolved intent, or a `created`/`updated`
 * record for an object the plan now creates again (discovery did not report it: deleted behind our back, or not yet
 * visible). Without a journal every create is 'maybe'.
 */
export function earlierCreates(entries: readonly JournalEntry[] | undefined): (kind: string, id: string) => EarlierCreate {
  if (!entries) return () => 'maybe';
  const last = new Map<string, JournalEntry['action']>();
  for (const e of entries) last.set(`${e.kind}\0${e.id}`, e.action);
  return (kind, id) => {
    const action = last.get(`${kind}\0${id}`);
    return action === undefined || action === 'withdrawn' || action === 'deleted' ? 'none' : 'maybe';
  };
}
