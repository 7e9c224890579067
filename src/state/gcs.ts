// PLACEHOLDER — the GCE issue replaces this file with the real gs:// backend (@google-cloud/storage, ifGenerationMatch
// for compare-and-swap, STORAGE_EMULATOR_HOST honoured). open.ts calls exactly this export; keep its signature.

import { InvalidInputError } from '../core/errors.js';
import type { BlobStore } from './blob.js';

export interface GcsBlobStoreOptions {
  url: string;
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing '/' ('' for none). */
  prefix: string;
  env: Record<string, string | undefined>;
}

export async function openGcsBlobStore(_opts: GcsBlobStoreOptions): Promise<BlobStore> {
  throw new InvalidInputError('gs:// support is not built yet', { hint: 'Use a file:// or s3:// state store for now.' });
}
