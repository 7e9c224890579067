// s3:// backend. S3 has native compare-and-swap: PutObject with If-None-Match: * (create-only) or If-Match: <etag>,
// DeleteObject with If-Match. Every object is written with SSE-S3 (AES256) whatever the bucket default is, and with
// its write token in x-amz-meta-k8sup-write, so a retried conditional PUT that answers 412 because its first attempt
// landed is recognised as our own write (see blob.ts). Retries are ours (retry.ts), not the SDK's. The SDK is imported
// lazily so commands that never touch S3 do not pay for loading it.

import type { S3Client } from '@aws-sdk/client-s3';
import { awsMaxAttempts, classifyAwsError } from '../core/aws-sdk-errors.js';
import { OperationError } from '../core/errors.js';
import { bucketMissingError, newWriteToken, PreconditionFailedError, WRITE_TOKEN_KEY, type Blob, type BlobStore, type PutOptions } from './blob.js';
import { assertValidKey, assertValidPrefix, toBuffer } from './keys.js';
import { STATE_RETRY_POLICY, withRetry, type RetryPolicy } from './retry.js';

type S3Module = typeof import('@aws-sdk/client-s3');
export type Env = Record<string, string | undefined>;

export interface S3BlobStoreOptions {
  url: string;
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing '/' ('' for none). */
  prefix: string;
  env: Env;
}

// Bounds the list loop: 10,000 pages of 1,000 keys is far beyond any state store.
const MAX_LIST_PAGES = 10_000;

interface AwsError {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Client settings from the injected environment (never process.env directly). */
export function s3ClientConfig(env: Env): Record<string, unknown> {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const config: Record<string, unknown> = {
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    // A bucket in another region than AWS_REGION still works.
    followRegionRedirects: true,
    // One attempt per send: withRetry (retry.ts) retries, with the engine's budget, and knows when it replays a write.
    maxAttempts: 1,
  };
  if (endpoint) {
    config.endpoint = endpoint;
    // Emulators and S3-compatible stores rarely support virtual-host addressing.
    config.forcePathStyle = true;
  }
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    config.credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  } else if (endpoint) {
    // With an endpoint override k8sup must work with no credentials at all (emulators accept anything).
    config.credentials = { accessKeyId: 'k8sup', secretAccessKey: 'k8sup' };
  } else if (env.AWS_PROFILE) {
    config.profile = env.AWS_PROFILE;
  }
  return config;
}

export class S3BlobStore implements BlobStore {
  readonly url: string;
  readonly bucket: string;
  private readonly prefix: string;
  private readonly env: Env;
  /** The state retry budget; AWS_MAX_ATTEMPTS (the SDKs' standard setting) changes its attempts. */
  private readonly retry: RetryPolicy;
  private sdk?: Promise<{ mod: S3Module; client: S3Client }>;

  constructor(opts: S3BlobStoreOptions) {
    this.url = opts.url;
    this.bucket = opts.bucket;
    this.prefix = opts.prefix ? `${opts.prefix}/` : '';
    this.env = opts.env;
    this.retry = { ...STATE_RETRY_POLICY, maxAttempts: awsMaxAttempts(opts.env, STATE_RETRY_POLICY.maxAttempts) };
  }

  async get(key: string): Promise<Blob | null> {
    assertValidKey(key);
    const { mod, client } = await this.client();
    try {
      return await withRetry(async () => {
        try {
          const res = await client.send(new mod.GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
          const data = Buffer.from((await res.Body?.transformToByteArray()) ?? new Uint8Array());
          return { data, version: res.ETag ?? '' };
        } catch (e) {
          if (errorName(e) === 'NoSuchKey') return null;
          throw e;
        }
      }, retryable, this.retry);
    } catch (e) {
      throw this.translate(e, 'read', key, false);
    }
  }

  async put(key: string, data: Buffer | string, opts: PutOptions = {}): Promise<string> {
    assertValidKey(key);
    const { mod, client } = await this.client();
    const conditional = Boolean(opts.ifNoneMatch) || opts.ifMatch !== undefined;
    const writeToken = opts.writeToken ?? newWriteToken();
    try {
      return await withRetry(async () => {
        try {
          const res = await client.send(
            new mod.PutObjectCommand({
              Bucket: this.bucket,
              Key: this.prefix + key,
              Body: toBuffer(data),
              ServerSideEncryption: 'AES256',
              Metadata: { [WRITE_TOKEN_KEY]: writeToken },
              ...(opts.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
              ...(opts.ifMatch !== undefined ? { IfMatch: opts.ifMatch } : {}),
            }),
          );
          return res.ETag ?? '';
        } catch (e) {
          if (conditional && isPreconditionFailed(e)) {
            const own = await this.versionIfWrittenBy(key, writeToken);
            if (own !== null) return own;
          }
          throw e;
        }
      }, (e) => retryable(e) || (conditional && isConditionalConflict(e)), this.retry);
    } catch (e) {
      throw this.translate(e, 'write', key, conditional);
    }
  }

  async delete(key: string, opts: { ifMatch?: string } = {}): Promise<void> {
    assertValidKey(key);
    const { mod, client } = await this.client();
    try {
      await withRetry(async (attempt) => {
        try {
          await client.send(
            new mod.DeleteObjectCommand({
              Bucket: this.bucket,
              Key: this.prefix + key,
              ...(opts.ifMatch !== undefined ? { IfMatch: opts.ifMatch } : {}),
            }),
          );
        } catch (e) {
          // A replayed conditional delete whose first attempt landed finds nothing (or another version) where its
          // object was: gone is what it asked for.
          if (opts.ifMatch !== undefined && attempt > 1 && (isPreconditionFailed(e) || errorName(e) === 'NoSuchKey') && !(await this.exists(key))) return;
          throw e;
        }
      }, (e) => retryable(e) || (opts.ifMatch !== undefined && isConditionalConflict(e)), this.retry);
    } catch (e) {
      throw this.translate(e, 'delete', key, opts.ifMatch !== undefined);
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertValidPrefix(prefix);
    const { mod, client } = await this.client();
    const keys: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      let res;
      try {
        res = await withRetry(
          () => client.send(new mod.ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token })),
          retryable,
          this.retry,
        );
      } catch (e) {
        throw this.translate(e, 'list', prefix, false);
      }
      for (const obj of res.Contents ?? []) if (obj.Key) keys.push(obj.Key.slice(this.prefix.length));
      if (!res.IsTruncated || !res.NextContinuationToken) return keys.sort();
      token = res.NextContinuationToken;
    }
    throw new OperationError(`listing s3://${this.bucket}/${this.prefix}${prefix} did not finish after ${MAX_LIST_PAGES} pages`);
  }

  /** The object's ETag if its current version was written with `writeToken`; null otherwise (or when absent). */
  private async versionIfWrittenBy(key: string, writeToken: string): Promise<string | null> {
    const { mod, client } = await this.client();
    try {
      const head = await client.send(new mod.HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      return head.Metadata?.[WRITE_TOKEN_KEY] === writeToken ? (head.ETag ?? '') : null;
    } catch (e) {
      if (errorName(e) === 'NotFound' || errorName(e) === 'NoSuchKey' || statusOf(e) === 404) return null;
      throw e;
    }
  }

  private async exists(key: string): Promise<boolean> {
    const { mod, client } = await this.client();
    try {
      await client.send(new mod.HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      return true;
    } catch (e) {
      if (errorName(e) === 'NotFound' || errorName(e) === 'NoSuchKey' || statusOf(e) === 404) return false;
      throw e;
    }
  }

  /**
   * The bucket's region: GetBucketLocation (an empty LocationConstraint is us-east-1, the legacy "EU" eu-west-1); where
   * that is denied, HeadBucket's x-amz-bucket-region header. Nodes address and sign for this region (docs/state-store.md).
   */
  async bucketRegion(): Promise<string> {
    const { mod, client } = await this.client();
    try {
      const res = await withRetry(() => client.send(new mod.GetBucketLocationCommand({ Bucket: this.bucket })), retryable, this.retry);
      const constraint = String(res.LocationConstraint ?? '');
      return constraint === '' ? 'us-east-1' : constraint === 'EU' ? 'eu-west-1' : constraint;
    } catch (e) {
      if (errorName(e) === 'NoSuchBucket') throw this.translate(e, 'locate', '', false);
      try {
        const head = await withRetry(() => client.send(new mod.HeadBucketCommand({ Bucket: this.bucket })), retryable, this.retry);
        if (head.BucketRegion) return head.BucketRegion;
      } catch (e2) {
        throw this.translate(e2, 'locate', '', false);
      }
      throw this.translate(e, 'locate', '', false);
    }
  }

  private client(): Promise<{ mod: S3Module; client: S3Client }> {
    this.sdk ??= import('@aws-sdk/client-s3').then((mod) => ({ mod, client: new mod.S3Client(s3ClientConfig(this.env)) }));
    return this.sdk;
  }

  private translate(e: unknown, op: string, key: string, conditional: boolean): Error {
    const name = errorName(e);
    const status = (e as AwsError).$metadata?.httpStatusCode;
    const where = `s3://${this.bucket}/${this.prefix}${key}`;
    if (name === 'NoSuchBucket') return bucketMissingError(this.bucket, op, where, `aws s3 mb s3://${this.bucket}, then enable versioning and block public access`, e);
    if (name === 'PreconditionFailed' || status === 412) return new PreconditionFailedError(key);
    // S3 answers 409 ConditionalRequestConflict when two conditional writes to one key overlap.
    if (name === 'ConditionalRequestConflict' || (conditional && status === 409)) return new PreconditionFailedError(key);
    // If-Match on a key that no longer exists: the version we expected is gone, which is a lost CAS too.
    if (conditional && (name === 'NoSuchKey' || status === 404)) return new PreconditionFailedError(key);
    if (name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch' || status === 403) {
      return new OperationError(`access denied to ${where} (${op}): ${(e as AwsError).message ?? name}`, {
        code: 'StateStoreAccessDenied',
        hint: 'Check your AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID) and that they may read and write this bucket.',
        cause: e,
      });
    }
    return new OperationError(`S3 ${op} of ${where} failed: ${(e as AwsError).message ?? name ?? String(e)}`, {
      hint: 'Check the bucket, your network and AWS credentials, then retry.',
      cause: e,
    });
  }
}

/** Throttling and transient failures (SlowDown, 5xx, connection resets), classified as the AWS provider does. */
function retryable(e: unknown): boolean {
  const cls = classifyAwsError(e);
  return cls === 'throttled' || cls === 'transient';
}

function isPreconditionFailed(e: unknown): boolean {
  return errorName(e) === 'PreconditionFailed' || statusOf(e) === 412;
}

/** S3 answers 409 ConditionalRequestConflict while another conditional write to the key is in flight; AWS says retry. */
function isConditionalConflict(e: unknown): boolean {
  return errorName(e) === 'ConditionalRequestConflict' || statusOf(e) === 409;
}

function statusOf(e: unknown): number | undefined {
  return (e as AwsError | undefined)?.$metadata?.httpStatusCode;
}

function errorName(e: unknown): string | undefined {
  const err = e as AwsError | undefined;
  return err?.name ?? err?.Code;
}
