// A BlobStore wrapper that counts every call and delays each by a fixed latency, around any real backend (usually
// the in-memory one): what the group-commit tests and the bench use to see state-store round trips.

import type { Blob, BlobStore, PutOptions } from '../../src/state/blob.js';

export interface StoreCalls {
  get: number;
  put: number;
  list: number;
  delete: number;
}

export class LatencyStore implements BlobStore {
  readonly calls: StoreCalls = { get: 0, put: 0, list: 0, delete: 0 };
  /** The bytes of each key as the last successful put left them: what is durable right now. */
  readonly durable = new Map<string, Buffer>();
  /** The most calls that were in flight at once. */
  maxInFlight = 0;
  private inFlight = 0;

  constructor(
    private readonly inner: BlobStore,
    /** Round-trip time of every call, ms. */
    public latencyMs = 0,
  ) {}

  get url(): string {
    return this.inner.url;
  }

  private async wait(): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    } finally {
      this.inFlight--;
    }
  }

  async get(key: string): Promise<Blob | null> {
    this.calls.get++;
    await this.wait();
    return this.inner.get(key);
  }

  async put(key: string, data: Buffer | string, opts?: PutOptions): Promise<string> {
    this.calls.put++;
    await this.wait();
    const version = await this.inner.put(key, data, opts);
    this.durable.set(key, Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8'));
    return version;
  }

  async delete(key: string, opts?: { ifMatch?: string }): Promise<void> {
    this.calls.delete++;
    await this.wait();
    await this.inner.delete(key, opts);
    this.durable.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    this.calls.list++;
    await this.wait();
    return this.inner.list(prefix);
  }
}
