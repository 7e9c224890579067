// The engine's applied journal, kept at `<cluster>/applied.json`. Every write is a compare-and-swap, so entries
// recorded by concurrent runs are never lost. Every entry carries a unique entryId, and an append whose entry is
// already there is a no-op: a CAS retried after a lost reply (whose first attempt did land) never records the same
// entry twice.
//
// Group commit (issue 17): the engine records from many tasks at once. While one write is in flight, the records that
// arrive wait and go out together in the next write, so a 25-resource apply makes a handful of state round trips
// instead of one read + one write per record. Each record() still resolves only once the write holding its entry is
// durable, so "intent before create" keeps its meaning: a create call waits for its own intent. And the journal
// remembers the version it last wrote: the next write is a single conditional PUT on that version, and only when
// another writer moved the object does it fall back to the read-modify-write loop.

import { randomUUID } from 'node:crypto';
import { OperationError } from '../core/errors.js';
import type { Journal, JournalEntry } from '../core/journal.js';
import type { Blob, BlobStore } from './blob.js';
import { casUpdateBlob } from './cas.js';

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

/** The entries of `batch` that `doc` does not hold yet, appended; undefined when there is nothing to write. */
function append(doc: JournalDocument, batch: readonly StoredJournalEntry[]): string | undefined {
  const have = new Set(doc.entries.map((e) => e.entryId));
  const missing = batch.filter((e) => !have.has(e.entryId));
  if (missing.length === 0) return undefined;
  doc.entries.push(...missing);
  return JSON.stringify(doc, null, 2);
}

interface Waiting {
  entry: StoredJournalEntry;
  resolve(): void;
  reject(err: unknown): void;
}

export class StoreJournal implements Journal {
  private waiting: Waiting[] = [];
  private writing = false;
  /** The object as this journal last wrote (or found) it: the base of the next conditional write. */
  private known?: Blob | null;
  /** Writes started so far: a load that raced a write must not hand its older copy to the next write. */
  private writes = 0;

  constructor(
    private readonly store: BlobStore,
    readonly key: string,
  ) {}

  async load(): Promise<StoredJournalEntry[]> {
    const writesBefore = this.writes;
    const blob = await this.store.get(this.key);
    const entries = parse(this.key, blob ? blob.data : null).entries;
    // What plan read is the base of apply's first write, which is then one conditional PUT instead of a read and a
    // PUT: one state round trip less before the first create may run (issue 17). A copy another writer moved on
    // costs one 412 and a re-read, as for any stale base.
    if (this.writes === writesBefore && this.known === undefined) this.known = blob;
    return entries;
  }

  /**
   * Appends `entry` once, in the next group write; resolves when that write is durable. Pass an entryId to make a
   * caller's own retries of the same record idempotent too.
   */
  record(entry: StoredJournalEntry): Promise<void> {
    const stored: StoredJournalEntry = { ...entry, entryId: entry.entryId ?? randomUUID() };
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ entry: stored, resolve, reject });
      // After the records of this same turn of the event loop: the intents apply writes ahead at its start go out
      // in one write, not the first alone and the rest a round trip later (issue 17).
      queueMicrotask(() => this.flush());
    });
  }

  /** Starts a group write of everything waiting, unless one is in flight (its end starts the next). */
  private flush(): void {
    if (this.writing || this.waiting.length === 0) return;
    const group = this.waiting;
    this.waiting = [];
    this.writing = true;
    this.write(group.map((w) => w.entry))
      .then(
        () => group.forEach((w) => w.resolve()),
        (err) => group.forEach((w) => w.reject(err)),
      )
      .finally(() => {
        this.writing = false;
        this.flush();
      });
  }

  private async write(batch: StoredJournalEntry[]): Promise<void> {
    const base = this.known;
    this.writes++;
    // Until this write is known to have landed (or not), the next one reads the object first.
    this.known = undefined;
    const written = await casUpdateBlob(this.store, this.key, (current) => append(parse(this.key, current), batch), { base });
    this.known = written ?? undefined;
  }

  async clear(): Promise<void> {
    this.known = undefined;
    await this.store.delete(this.key);
  }
}
