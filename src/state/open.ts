// Turns a state-store URL into a BlobStore. The URL is fully validated before any I/O, so a bad --state exits 2 with
// nothing written anywhere.

import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InvalidInputError } from '../core/errors.js';
import type { BlobStore } from './blob.js';
import { parseStateUrl } from './url.js';

export { defaultStateUrl, parseStateUrl, type StateLocation } from './url.js';

export type Env = Record<string, string | undefined>;

/**
 * Opens the store named by `url` (or env K8SUP_STATE_STORE, or the default under `homeDir`). Validation happens first;
 * opening writes nothing: folders and clients are created on first use (a file store's path is only looked at).
 */
export async function openBlobStore(url: string | undefined, env: Env, homeDir: string): Promise<BlobStore> {
  const location = parseStateUrl(url?.trim() ? url : env.K8SUP_STATE_STORE, homeDir);
  switch (location.scheme) {
    case 'file': {
      await assertNotAFile(location.path, location.url);
      const { FileBlobStore } = await import('./file.js');
      return new FileBlobStore(location.path, location.url);
    }
    case 's3': {
      const { S3BlobStore } = await import('./s3.js');
      return new S3BlobStore({ url: location.url, bucket: location.bucket, prefix: location.prefix, env });
    }
    case 'gs': {
      const gcs = await import('./gcs.js');
      return gcs.openGcsBlobStore({ url: location.url, bucket: location.bucket, prefix: location.prefix, env });
    }
  }
}

/** A file store is a folder: a file in its place (or above it) would read as an empty store and fail every write. */
async function assertNotAFile(path: string, url: string): Promise<void> {
  const info = await stat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    if (e.code === 'ENOTDIR') return 'under-a-file' as const;
    throw e;
  });
  if (info === 'under-a-file' || (info && !info.isDirectory())) {
    const file = info === 'under-a-file' ? await fileAbove(path) : path;
    throw new InvalidInputError(`state store ${url}: ${file} is a file, not a folder${file !== path ? ` (the store would be ${path}, below it)` : ''}`, {
      hint: 'point --state (or K8SUP_STATE_STORE) at a folder: file:///absolute/path/to/state',
    });
  }
}

/** The nearest folder-to-be above `path` that is a file (stat said ENOTDIR: one is). */
async function fileAbove(path: string): Promise<string> {
  for (let p = dirname(path); p !== dirname(p); p = dirname(p)) {
    const st = await stat(p).catch(() => null);
    if (st && !st.isDirectory()) return p;
  }
  return path;
}
