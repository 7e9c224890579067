// In-memory BlobStore for unit tests. Same CAS semantics as the real backends, so code tested against it behaves the
// same on file:// and s3://.

import { newWriteToken, PreconditionFailedError, type Blob, type BlobStore, type PutOptions } from './blob.js';
import { assertValidKey, assertValidPrefix, toBuffer } from './keys.js';

export class MemoryBlobStore implements BlobStore {
  readonly url: string;
  private readonly objects = new Map<string, Blob & { writeToken: string }>();
  private generation = 0;

  constructor(url = 'memory://') {
    this.url = url;
  }

  async get(key: string): Promise<Blob | null> {
    assertValidKey(key);
    const blob = this.objects.get(key);
    // Copy so callers cannot mutate what is stored.
    return blob ? { data: Buffer.from(blob.data), version: blob.version } : null;
  }

  async put(key: string, data: Buffer | string, opts: PutOptions = {}): Promise<string> {
    assertValidKey(key);
    const current = this.objects.get(key);
    const writeToken = opts.writeToken ?? newWriteToken();
    const holds = opts.ifNoneMatch ? !current : opts.ifMatch === undefined || current?.version === opts.ifMatch;
    if (!holds) {
      // A replay of a write that already landed (its reply was lost) is that write's success, not a conflict.
      if (current?.writeToken === writeToken) return current.version;
      throw new PreconditionFailedError(key);
    }
    // A generation counter (like GCS). Callers treat versions as opaque, so nothing depends on whether identical bytes
    // keep their version (S3 ETag, file hash) or not.
    const version = `m${++this.generation}`;
    this.objects.set(key, { data: toBuffer(data), version, writeToken });
    return version;
  }

  async delete(key: string, opts: { ifMatch?: string } = {}): Promise<void> {
    assertValidKey(key);
    const current = this.objects.get(key);
    if (opts.ifMatch !== undefined && current?.version !== opts.ifMatch) throw new PreconditionFailedError(key);
    this.objects.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    assertValidPrefix(prefix);
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}
