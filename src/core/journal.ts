// The journal contract between the engine (which records every cloud write as it happens) and the state store
// (which keeps it, src/state/journal.ts). Its own module so src/state depends on this, not on the whole engine.

/** What was applied, recorded as it happens, so a re-run after a crash resumes and delete knows the inventory. */
export interface JournalEntry {
  id: string;
  kind: string;
  cloudId: string;
  action: 'created' | 'updated' | 'deleted';
  at: string;
}

export interface Journal {
  load(): Promise<JournalEntry[]>;
  record(entry: JournalEntry): Promise<void>;
}
