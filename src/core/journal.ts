// The journal contract between the engine (which records every cloud write as it happens) and the state store
// (which keeps it, src/state/journal.ts). Its own module so src/state depends on this, not on the whole engine.

/**
 * What was applied, recorded as it happens, so a re-run after a crash resumes and delete knows the inventory.
 * `intent` is written before a create call (cloudId '' — not known yet — and the name the create uses), so a crash
 * between the call and its `created` record never leaves an object nobody knows about. `withdrawn` takes back an
 * intent whose create was never called (a task it waited for failed first).
 */
export interface JournalEntry {
  id: string;
  kind: string;
  cloudId: string;
  action: 'intent' | 'withdrawn' | 'created' | 'updated' | 'deleted';
  /** intent: the name (or Name tag) the create call uses, to look for the object by hand if the cloud hides it. */
  name?: string;
  at: string;
}

export interface Journal {
  load(): Promise<JournalEntry[]>;
  record(entry: JournalEntry): Promise<void>;
}
