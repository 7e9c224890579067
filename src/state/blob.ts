// The lowest layer of the state store: keyed blobs with compare-and-swap. One implementation per backend
// (file://, s3://, gs://, memory). Everything above (revisions, locks, PKI, applied inventory) is built on this.
//
// Conditional writes are idempotent: every put carries a write token (S3 x-amz-meta-*, GCS custom metadata, memory:
// kept beside the bytes; file: the content digest stands in for it). A retried create-only or compare-and-swap write
// whose first attempt landed but whose reply was lost answers 412; the backend then reads the object back and, if it
// carries this write's token, reports success with the object's version instead of a conflict.

import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '../core/errors.js';

export interface Blob {
  data: Buffer;
  /** Opaque version token: ETag (S3), generation (GCS), content hash (file). */
  version: string;
}

export interface PutOptions {
  /** Only overwrite if the current version is this one. */
  ifMatch?: string;
  /** Only create: fail if the key exists. */
  ifNoneMatch?: boolean;
  /** Secret material (private keys): 0600 files on disk; S3/GCS objects are encrypted either way. */
  secret?: boolean;
  /**
   * Identifies this logical write across retries (default: a fresh one per put call). Only callers that replay a
   * write themselves (tests that model a lost reply) pass one.
   */
  writeToken?: string;
}

/** The metadata key the write token is stored under (S3 `x-amz-meta-k8sup-write`, GCS custom metadata). */
export const WRITE_TOKEN_KEY = 'k8sup-write';

export function newWriteToken(): string {
  return randomUUID();
}

export interface BlobStore {
  /** The store URL as given (`file:///…`, `s3://bucket/prefix`). */
  readonly url: string;
  get(key: string): Promise<Blob | null>;
  /** Returns the new version. Throws PreconditionFailedError when ifMatch / ifNoneMatch do not hold. */
  put(key: string, data: Buffer | string, opts?: PutOptions): Promise<string>;
  /** Deleting a missing key is not an error. With ifMatch, throws PreconditionFailedError if the version moved. */
  delete(key: string, opts?: { ifMatch?: string }): Promise<void>;
  /** Keys under a prefix (recursive), sorted. */
  list(prefix: string): Promise<string[]>;
  /** Buckets with a region (S3): where the bucket lives, asked of the service. Nodes address it there. */
  bucketRegion?(): Promise<string>;
}

/** A compare-and-swap lost: someone else wrote first. */
export class PreconditionFailedError extends ConflictError {
  constructor(readonly key: string) {
    super(`state object ${key} changed under us (another run wrote it first)`, {
      hint: 'Re-read the cluster (k8sup get cluster) and retry your change.',
    });
  }
}

/**
 * The bucket of an s3:// or gs:// store does not exist: input the user fixes (create the bucket, or correct --state),
 * so exit 2 like any other state-store URL error; nothing can have been written to a bucket that is not there.
 */
export function bucketMissingError(bucket: string, op: string, where: string, create: string, cause: unknown): NotFoundError {
  return new NotFoundError(`state store bucket ${bucket} does not exist (${op} ${where})`, {
    code: 'StateStoreMissing',
    hint: `create it (${create}) or fix --state / K8SUP_STATE_STORE`,
    cause,
  });
}
