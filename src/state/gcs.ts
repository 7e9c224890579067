// gs:// backend. GCS has native compare-and-swap through generation preconditions: a write with
// ifGenerationMatch=0 only creates, ifGenerationMatch=<generation> only replaces that exact generation, and a lost
// race answers 412. The version token is the object's generation. GCS encrypts every object at rest, so `secret`
// needs nothing extra. The client library is imported lazily (it is heavy) and configured from the injected env:
// STORAGE_EMULATOR_HOST points it at an emulator and then no credentials are needed.
// Every object carries its write token in custom metadata, so a retried conditional write that answers 412 because
// its first attempt landed is recognised as our own write (see blob.ts). Retries are ours (retry.ts), with the
// library's own test of what is retryable (408, 429, 5xx, connection resets).

import type { Storage } from '@google-cloud/storage';
import { OperationError } from '../core/errors.js';
import { bucketMissingError, newWriteToken, PreconditionFailedError, WRITE_TOKEN_KEY, type Blob, type BlobStore, type PutOptions } from './blob.js';
import { assertValidKey, assertValidPrefix, toBuffer } from './keys.js';
import { withRetry } from './retry.js';

type StorageModule = typeof import('@google-cloud/storage');

export type Env = Record<string, string | undefined>;

export interface GcsBlobStoreOptions {
  url: string;
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing '/' ('' for none). */
  prefix: string;
  env: Env;
}

// Bounds the list loop: 10,000 pages of 1,000 keys is far beyond any state store.
const MAX_LIST_PAGES = 10_000;

interface GcsApiError {
  code?: number | string;
  message?: string;
  errors?: { reason?: string }[];
}

/** Storage client options from the injected environment (never process.env directly). */
export function gcsClientOptions(env: Env): Record<string, unknown> {
  // The library does not retry: withRetry (retry.ts) does, with the engine's budget, and the backend recognises a
  // replayed write by its token. RetryNever also keeps the library from flipping a shared autoRetry flag.
  const retryOptions = { autoRetry: false, maxRetries: 0, idempotencyStrategy: 2 /* IdempotencyStrategy.RetryNever */ };
  const emulator = env.STORAGE_EMULATOR_HOST?.trim();
  if (emulator) {
    // A custom endpoint makes the library skip authentication (useAuthWithCustomEndpoint defaults to false).
    return {
      apiEndpoint: /^https?:\/\//.test(emulator) ? emulator.replace(/\/+$/, '') : `http://${emulator}`,
      projectId: env.GOOGLE_CLOUD_PROJECT || 'k8sup-emulator',
      retryOptions,
    };
  }
  const opts: Record<string, unknown> = { retryOptions };
  if (env.GOOGLE_APPLICATION_CREDENTIALS) opts.keyFilename = env.GOOGLE_APPLICATION_CREDENTIALS;
  if (env.GOOGLE_CLOUD_PROJECT) opts.projectId = env.GOOGLE_CLOUD_PROJECT;
  return opts;
}

export class GcsBlobStore implements BlobStore {
  readonly url: string;
  readonly bucket: string;
  private readonly prefix: string;
  private readonly env: Env;
  private storage?: Promise<{ retryable: (e: unknown) => boolean; storage: Storage }>;

  constructor(opts: GcsBlobStoreOptions) {
    this.url = opts.url;
    this.bucket = opts.bucket;
    this.prefix = opts.prefix ? `${opts.prefix}/` : '';
    this.env = opts.env;
  }

  async get(key: string): Promise<Blob | null> {
    assertValidKey(key);
    const { retryable, storage } = await this.client();
    const file = storage.bucket(this.bucket).file(this.prefix + key);
    // One request: the media download answers with the bytes and, in x-goog-generation, the generation they belong
    // to. (Metadata first and then the bytes would be two reads that a writer can slip between.)
    try {
      return await withRetry(
        () =>
          new Promise<Blob | null>((resolve, reject) => {
            const chunks: Buffer[] = [];
            let generation: string | undefined;
            file
              .createReadStream({ validation: 'crc32c' })
              .on('response', (res: { headers?: Record<string, string | string[] | undefined> }) => {
                const g = res.headers?.['x-goog-generation'];
                generation = Array.isArray(g) ? g[0] : g;
              })
              .on('data', (c: Buffer) => chunks.push(c))
              .on('error', (e: unknown) => (statusOf(e) === 404 && !this.isBucketMissing(e) ? resolve(null) : reject(e)))
              .on('end', () => {
                if (!generation) reject(new OperationError(`GCS did not report the generation of gs://${this.bucket}/${this.prefix}${key}`));
                else resolve({ data: Buffer.concat(chunks), version: generation });
              });
          }),
        retryable,
      );
    } catch (e) {
      if (e instanceof OperationError) throw e;
      throw this.translate(e, 'read', key, false);
    }
  }

  async put(key: string, data: Buffer | string, opts: PutOptions = {}): Promise<string> {
    assertValidKey(key);
    const { retryable, storage } = await this.client();
    const file = storage.bucket(this.bucket).file(this.prefix + key);
    const conditional = Boolean(opts.ifNoneMatch) || opts.ifMatch !== undefined;
    const ifGenerationMatch = opts.ifNoneMatch ? 0 : opts.ifMatch !== undefined ? generationOf(opts.ifMatch) : undefined;
    if (ifGenerationMatch === null) throw new PreconditionFailedError(key);
    const writeToken = opts.writeToken ?? newWriteToken();
    try {
      return await withRetry(async () => {
        try {
          // resumable:false: one multipart request, which is right for small state objects (and atomic either way).
          await file.save(toBuffer(data), {
            resumable: false,
            validation: 'crc32c',
            metadata: {
              contentType: key.endsWith('.json') ? 'application/json' : key.endsWith('.yaml') ? 'application/yaml' : 'application/octet-stream',
              metadata: { [WRITE_TOKEN_KEY]: writeToken },
            },
            ...(ifGenerationMatch !== undefined ? { preconditionOpts: { ifGenerationMatch } } : {}),
          });
        } catch (e) {
          if (conditional && statusOf(e) === 412) {
            const own = await this.generationIfWrittenBy(key, writeToken);
            if (own !== null) return own;
          }
          throw e;
        }
        const generation = file.metadata?.generation;
        if (generation === undefined) throw new OperationError(`GCS did not report a generation for gs://${this.bucket}/${this.prefix}${key}`);
        return String(generation);
      }, retryable);
    } catch (e) {
      if (e instanceof OperationError) throw e;
      throw this.translate(e, 'write', key, conditional);
    }
  }

  async delete(key: string, opts: { ifMatch?: string } = {}): Promise<void> {
    assertValidKey(key);
    const { retryable, storage } = await this.client();
    const file = storage.bucket(this.bucket).file(this.prefix + key);
    const generation = opts.ifMatch !== undefined ? generationOf(opts.ifMatch) : undefined;
    if (generation === null) throw new PreconditionFailedError(key);
    try {
      await withRetry(async (attempt) => {
        try {
          await file.delete(generation !== undefined ? { ifGenerationMatch: generation } : {});
        } catch (e) {
          const status = statusOf(e);
          if (status === 404 && !this.isBucketMissing(e) && generation === undefined) return;
          // A replayed conditional delete whose first attempt landed finds its object gone: what it asked for.
          if (generation !== undefined && attempt > 1 && (status === 404 || status === 412) && !(await this.exists(key))) return;
          throw e;
        }
      }, retryable);
    } catch (e) {
      throw this.translate(e, 'delete', key, generation !== undefined);
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertValidPrefix(prefix);
    const { retryable, storage } = await this.client();
    const bucket = storage.bucket(this.bucket);
    const keys: string[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      let files, next;
      try {
        [files, next] = await withRetry(
          () => bucket.getFiles({ prefix: this.prefix + prefix, autoPaginate: false, maxResults: 1000, ...(pageToken ? { pageToken } : {}) }),
          retryable,
        );
      } catch (e) {
        throw this.translate(e, 'list', prefix, false);
      }
      for (const f of files) keys.push(f.name.slice(this.prefix.length));
      pageToken = (next as { pageToken?: string } | null | undefined)?.pageToken;
      if (!pageToken) return keys.sort();
    }
    throw new OperationError(`listing gs://${this.bucket}/${this.prefix}${prefix} did not finish after ${MAX_LIST_PAGES} pages`);
  }

  /** The object's generation if its current version was written with `writeToken`; null otherwise (or when absent). */
  private async generationIfWrittenBy(key: string, writeToken: string): Promise<string | null> {
    const { storage } = await this.client();
    try {
      const [meta] = await storage.bucket(this.bucket).file(this.prefix + key).getMetadata();
      return meta.metadata?.[WRITE_TOKEN_KEY] === writeToken && meta.generation !== undefined ? String(meta.generation) : null;
    } catch (e) {
      if (statusOf(e) === 404 && !this.isBucketMissing(e)) return null;
      throw e;
    }
  }

  private async exists(key: string): Promise<boolean> {
    const { storage } = await this.client();
    const [exists] = await storage.bucket(this.bucket).file(this.prefix + key).exists();
    return exists;
  }

  private client(): Promise<{ retryable: (e: unknown) => boolean; storage: Storage }> {
    this.storage ??= import('@google-cloud/storage').then((mod: StorageModule) => ({
      retryable: (e: unknown) => mod.RETRYABLE_ERR_FN_DEFAULT(e as Parameters<StorageModule['RETRYABLE_ERR_FN_DEFAULT']>[0]),
      storage: new mod.Storage(gcsClientOptions(this.env)),
    }));
    return this.storage;
  }

  private isBucketMissing(e: unknown): boolean {
    return /bucket does not exist/i.test((e as GcsApiError)?.message ?? '');
  }

  private translate(e: unknown, op: string, key: string, conditional: boolean): Error {
    const status = statusOf(e);
    const where = `gs://${this.bucket}/${this.prefix}${key}`;
    const message = (e as GcsApiError)?.message ?? String(e);
    if (status === 404 && this.isBucketMissing(e)) return bucketMissingError(this.bucket, op, where, `gcloud storage buckets create gs://${this.bucket} --uniform-bucket-level-access`, e);
    if (status === 412) return new PreconditionFailedError(key);
    // ifGenerationMatch on an object that no longer exists: the generation we expected is gone, a lost CAS too.
    if (conditional && status === 404) return new PreconditionFailedError(key);
    if (status === 401 || status === 403) {
      return new OperationError(`access denied to ${where} (${op}): ${message}`, {
        code: 'StateStoreAccessDenied',
        hint: 'Check your Google credentials (GOOGLE_APPLICATION_CREDENTIALS or gcloud auth application-default login) and that they may read and write this bucket.',
        cause: e,
      });
    }
    return new OperationError(`GCS ${op} of ${where} failed: ${message}`, {
      hint: 'Check the bucket, your network and Google credentials, then retry.',
      cause: e,
    });
  }
}

/** A version token is a generation: a positive integer. Anything else cannot match any object. */
function generationOf(version: string): number | null {
  return /^[1-9]\d{0,19}$/.test(version) ? Number(version) : null;
}

function statusOf(e: unknown): number | undefined {
  const code = (e as GcsApiError)?.code;
  return typeof code === 'number' ? code : typeof code === 'string' && /^\d+$/.test(code) ? Number(code) : undefined;
}

export async function openGcsBlobStore(opts: GcsBlobStoreOptions): Promise<BlobStore> {
  return new GcsBlobStore(opts);
}
