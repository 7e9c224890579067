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
 * The journal folded per resource (kind + graph id): the intent a create left unresolved, if any, and the cloud
 * objects its records say may exist. An object is added by `created`/`updated` and removed only by a `deleted` of
 * that object: a replace that made the new copy first and then deleted the old one still holds the new copy. An
 * intent is resolved by the record of its create (`created`, or `withdrawn` when the call was never made) and by a
 * `deleted` (a killed run's object, found later and deleted). A replace that deletes first writes its create's intent
 * only after that `deleted` record (apply.ts), so the old copy's delete never resolves the new copy's intent.
 */
function foldJournal(entries: readonly JournalEntry[]): Map<string, { intent?: JournalEntry; objects: Set<string> }> {
  const byResource = new Map<string, { intent?: JournalEntry; objects: Set<string> }>();
  for (const e of entries) {
    const key = `${e.kind}\0${e.id}`;
    const r = byResource.get(key) ?? byResource.set(key, { objects: new Set() }).get(key)!;
    if (e.action === 'intent') r.intent = e;
    else if (e.action === 'withdrawn') r.intent = undefined;
    else if (e.action === 'deleted') {
      r.objects.delete(e.cloudId);
      r.intent = undefined;
    } else {
      r.objects.add(e.cloudId);
      r.intent = undefined;
    }
  }
  return byResource;
}

/**
 * Journal intents with no later record for that resource: a create was about to be made (or made) when the run
 * stopped. list() finds such an object by its tags/labels; if it did not, say which name to look for.
 */
export function unresolvedIntents(entries: JournalEntry[]): JournalEntry[] {
  return [...foldJournal(entries).values()].flatMap((r) => (r.intent ? [r.intent] : []));
}

/**
 * Per resource, whether the journal (as read before this run recorded anything) leaves room for an object made by an
 * earlier create call: 'none' when nothing was ever recorded for it, or every object recorded for it was deleted and
 * no intent is unresolved (a `withdrawn` create was never called); 'maybe' after an unresolved intent, or a
 * `created`/`updated` record for an object the plan now creates again (discovery did not report it: deleted behind
 * our back, or not yet visible). Without a journal every create is 'maybe'.
 */
export function earlierCreates(entries: readonly JournalEntry[] | undefined): (kind: string, id: string) => EarlierCreate {
  if (!entries) return () => 'maybe';
  const folded = foldJournal(entries);
  return (kind, id) => {
    const r = folded.get(`${kind}\0${id}`);
    return !r || (!r.intent && r.objects.size === 0) ? 'none' : 'maybe';
  };
}
