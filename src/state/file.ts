// file:// backend. Compare-and-swap on a local (or shared POSIX) filesystem:
// - create-only (ifNoneMatch): write a private temp file, then link() it to the key; link fails atomically with EEXIST.
// - everything else that replaces or removes a key (ifMatch, plain put, delete) runs under a short per-key lock
//   (an mkdir'd `.NAME.lock` directory beside the key): read + compare + write temp + rename. rename() is atomic, so a
//   reader sees either the old or the new bytes, never a torn file.
// A lock left by a crashed process is broken once it is older than `lockStaleMs`. The critical section is a few
// milliseconds, so a lock that old is dead. Files are 0600 and folders 0700 (umask can only remove bits).
// Idempotent replays (see blob.ts): every write leaves a `.NAME.write` record of {write token, content digest} beside
// the key; a replay of that very write (same token) that finds the record and the bytes it describes succeeds. The
// digest alone would not do: two writers may compute the same bytes from one base (two increments of a counter), and
// one of them must lose. A record that does not describe the current bytes (a race) only ever means "not ours".

import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConflictError } from '../core/errors.js';
import { sleep } from '../core/sleep.js';
import { newWriteToken, PreconditionFailedError, type Blob, type BlobStore, type PutOptions } from './blob.js';
import { assertValidKey, assertValidPrefix, toBuffer } from './keys.js';

export interface FileBlobStoreOptions {
  /** How long to wait for another process's per-key lock before giving up (default 15 s). */
  lockWaitMs?: number;
  /** A per-key lock older than this is considered abandoned by a crashed process (default 5 s). */
  lockStaleMs?: number;
  now?: () => number;
}

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
// Bounded retries when a folder vanishes between our mkdir and our write (another process pruned it after a delete).
const MISSING_DIR_ATTEMPTS = 8;

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

export class FileBlobStore implements BlobStore {
  private readonly lockWaitMs: number;
  private readonly lockStaleMs: number;
  private readonly now: () => number;

  constructor(
    /** Absolute path of the store root. */
    readonly root: string,
    readonly url: string,
    opts: FileBlobStoreOptions = {},
  ) {
    this.lockWaitMs = opts.lockWaitMs ?? 15_000;
    this.lockStaleMs = opts.lockStaleMs ?? 5_000;
    this.now = opts.now ?? Date.now;
  }

  async get(key: string): Promise<Blob | null> {
    const data = await this.read(this.pathOf(key));
    return data ? { data, version: sha256(data) } : null;
  }

  async put(key: string, data: Buffer | string, opts: PutOptions = {}): Promise<string> {
    const path = this.pathOf(key);
    const bytes = toBuffer(data);
    const digest = sha256(bytes);
    const record = { token: opts.writeToken ?? newWriteToken(), digest };
    if (opts.ifNoneMatch) {
      await this.createOnly(key, path, bytes, record);
      return digest;
    }
    await this.withKeyLock(path, async () => {
      if (opts.ifMatch !== undefined) {
        const current = await this.read(path);
        if (!current || sha256(current) !== opts.ifMatch) {
          if (await this.isOwnWrite(path, current, record)) return;
          throw new PreconditionFailedError(key);
        }
      }
      await this.replace(path, bytes);
      await this.writeRecord(path, record);
    });
    return digest;
  }

  async delete(key: string, opts: { ifMatch?: string } = {}): Promise<void> {
    const path = this.pathOf(key);
    // Nothing to delete: answer without taking the lock, which would re-create the (possibly pruned) folder. Linearizes
    // as a delete that happened before any concurrent create.
    if (!(await this.read(path))) {
      if (opts.ifMatch !== undefined) throw new PreconditionFailedError(key);
      return;
    }
    let removed = false;
    await this.withKeyLock(path, async () => {
      if (opts.ifMatch !== undefined) await this.expectVersion(key, path, opts.ifMatch);
      try {
        await unlink(path);
        removed = true;
      } catch (e) {
        if (errno(e) !== 'ENOENT') throw e;
      }
      await unlink(writeRecordPath(path)).catch(() => undefined);
    });
    if (removed) await this.pruneEmptyDirs(dirname(path));
  }

  async list(prefix: string): Promise<string[]> {
    assertValidPrefix(prefix);
    const base = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
    const keys: string[] = [];
    await this.walk(join(this.root, ...base.split('/').filter(Boolean)), base, keys);
    return keys.filter((k) => k.startsWith(prefix)).sort();
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    return join(this.root, ...key.split('/'));
  }

  private async walk(dir: string, keyPrefix: string, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return;
      throw e;
    }
    for (const entry of entries) {
      // Temp files and lock folders start with '.', which no valid key segment does.
      if (entry.name.startsWith('.')) continue;
      if (entry.isDirectory()) await this.walk(join(dir, entry.name), `${keyPrefix}${entry.name}/`, out);
      else if (entry.isFile()) out.push(keyPrefix + entry.name);
    }
  }

  private async read(path: string): Promise<Buffer | null> {
    try {
      return await readFile(path);
    } catch (e) {
      if (['ENOENT', 'ENOTDIR', 'EISDIR'].includes(errno(e) ?? '')) return null;
      throw e;
    }
  }

  /** True when `current` (the key's bytes) was written by the write `record` describes: a replay of it. */
  private async isOwnWrite(path: string, current: Buffer | null, record: WriteRecord): Promise<boolean> {
    if (!current || sha256(current) !== record.digest) return false;
    const raw = await this.read(writeRecordPath(path));
    try {
      const last = raw ? (JSON.parse(raw.toString('utf8')) as WriteRecord) : null;
      return last?.token === record.token && last.digest === record.digest;
    } catch {
      return false;
    }
  }

  private async writeRecord(path: string, record: WriteRecord): Promise<void> {
    await this.replace(writeRecordPath(path), Buffer.from(JSON.stringify(record)));
  }

  private async expectVersion(key: string, path: string, version: string): Promise<void> {
    const current = await this.read(path);
    if (!current || sha256(current) !== version) throw new PreconditionFailedError(key);
  }

  private async createOnly(key: string, path: string, bytes: Buffer, record: WriteRecord): Promise<void> {
    await this.retryOnMissingDir(path, async () => {
      const temp = await this.writeTemp(path, bytes);
      try {
        await link(temp, path);
        await this.writeRecord(path, record);
      } catch (e) {
        if (errno(e) === 'EEXIST') {
          if (await this.isOwnWrite(path, await this.read(path), record)) return;
          throw new PreconditionFailedError(key);
        }
        if (!['EPERM', 'ENOTSUP', 'ENOSYS', 'EOPNOTSUPP'].includes(errno(e) ?? '')) throw e;
        // Filesystems without hard links: check-and-rename under the per-key lock, which every other writer takes too.
        await this.withKeyLock(path, async () => {
          const current = await this.read(path);
          if (await this.isOwnWrite(path, current, record)) return;
          if (current) throw new PreconditionFailedError(key);
          await rename(temp, path);
          await this.writeRecord(path, record);
        });
      } finally {
        await unlink(temp).catch(() => undefined);
      }
    });
  }

  private async replace(path: string, bytes: Buffer): Promise<void> {
    const temp = await this.writeTemp(path, bytes);
    try {
      await rename(temp, path);
    } catch (e) {
      await unlink(temp).catch(() => undefined);
      throw e;
    }
  }

  /** Writes and fsyncs a private temp file beside `path`, so a following link/rename publishes complete bytes. */
  private async writeTemp(path: string, bytes: Buffer): Promise<string> {
    const temp = join(dirname(path), `.${basenameOf(path)}.tmp-${randomBytes(6).toString('hex')}`);
    const fh = await open(temp, 'wx', FILE_MODE);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } catch (e) {
      await fh.close();
      await unlink(temp).catch(() => undefined);
      throw e;
    }
    await fh.close();
    return temp;
  }

  private async retryOnMissingDir<T>(path: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      await mkdir(dirname(path), { recursive: true, mode: DIR_MODE });
      try {
        return await fn();
      } catch (e) {
        if (errno(e) !== 'ENOENT' || attempt >= MISSING_DIR_ATTEMPTS) throw e;
      }
    }
  }

  private async withKeyLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
    const lockDir = join(dirname(path), `.${basenameOf(path)}.lock`);
    await this.retryOnMissingDir(path, () => this.takeKeyLock(path, lockDir));
    try {
      return await fn();
    } finally {
      await rmdir(lockDir).catch(() => undefined);
    }
  }

  private async takeKeyLock(path: string, lockDir: string): Promise<void> {
    const deadline = this.now() + this.lockWaitMs;
    for (let attempt = 0; ; attempt++) {
      try {
        await mkdir(lockDir, { mode: DIR_MODE });
        return;
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw e;
      }
      if (await this.breakIfStale(lockDir)) continue;
      if (this.now() > deadline) {
        throw new ConflictError(`timed out after ${this.lockWaitMs} ms waiting for another process to finish writing ${path}`, {
          hint: `If no other k8sup is running, remove the folder ${lockDir} and retry.`,
        });
      }
      // Short jittered waits: critical sections last milliseconds.
      await sleep(Math.min(2 + attempt, 25) * (0.5 + Math.random()));
    }
  }

  private async breakIfStale(lockDir: string): Promise<boolean> {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(lockDir)).mtimeMs;
    } catch (e) {
      if (errno(e) === 'ENOENT') return true; // released meanwhile: try again at once
      throw e;
    }
    if (this.now() - mtimeMs < this.lockStaleMs) return false;
    // Rename first so only one process breaks a given stale lock; then remove the renamed folder at leisure.
    const grave = `${lockDir}.stale-${randomBytes(6).toString('hex')}`;
    try {
      await rename(lockDir, grave);
    } catch (e) {
      if (errno(e) === 'ENOENT') return true;
      throw e;
    }
    await rm(grave, { recursive: true, force: true });
    return true;
  }

  /** Removes folders left empty by a delete, up to (not including) the store root. */
  private async pruneEmptyDirs(dir: string): Promise<void> {
    for (let current = dir; current.startsWith(`${this.root}/`); current = dirname(current)) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty (or already gone, or in use by a lock): stop
      }
    }
  }
}

interface WriteRecord {
  token: string;
  digest: string;
}

function writeRecordPath(path: string): string {
  return join(dirname(path), `.${basenameOf(path)}.write`);
}

function basenameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
