// The engine's applied journal, kept at `<cluster>/applied.json`. Every record is a compare-and-swap
// read-modify-write, so entries recorded by concurrent tasks (or runs) are never lost. Every entry carries a unique
// entryId, and an append whose entry is already there is a no-op: a CAS retried after a lost reply (whose first
// attempt did land) never records the same entry twice.

import { randomUUID } from 'node:crypto';
import { OperationError } from '../core/errors.js';
import type { Journal, JournalEntry } from '../core/journal.js';
import type { BlobStore } from './blob.js';
import { casUpdate } from './cas.js';

/** A journal entry as stored: the engine's entry plus the id that makes appending it idempotent. */
export type StoredJournalEntry = JournalEntry & { entryId?: string };

interface JournalDocument {
  entries: StoredJournalEntry[];
}

function parse(key: string, data: Buffer | null): JournalDocument {
  if (!data) return { entries: [] };
  try {
    const doc = JSON.parse(data.toString('utf8')) as JournalDocument;
    if (!Array.isArray(doc.entries)) throw new Error('entries is not a list');
    return doc;
  } catch (e) {
    throw new OperationError(`state object ${key} is corrupt: ${(e as Error).message}`, {
      hint: 'Restore it from bucket versioning or a backup; it lists what k8sup created.',
      cause: e,
    });
  }
}

export class StoreJournal implements Journal {
  // The engine records from many tasks at once; queueing them here keeps CAS retries for the cross-process case.
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: BlobStore,
    readonly key: string,
  ) {}

  async load(): Promise<StoredJournalEntry[]> {
    const blob = await this.store.get(this.key);
    return parse(this.key, blob ? blob.data : null).entries;
  }

  /** Appends `entry` once; pass an entryId to make a caller's own retries of the same record idempotent too. */
  record(entry: StoredJournalEntry): Promise<void> {
    const stored: StoredJournalEntry = { ...entry, entryId: entry.entryId ?? randomUUID() };
    const run = this.queue.then(async () => {
      await casUpdate(this.store, this.key, (current) => {
        const doc = parse(this.key, current);
        if (doc.entries.some((e) => e.entryId === stored.entryId)) return undefined;
        doc.entries.push(stored);
        return JSON.stringify(doc, null, 2);
      });
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async clear(): Promise<void> {
    await this.store.delete(this.key);
  }
}
