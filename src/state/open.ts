// Turns a state-store URL into a BlobStore. The URL is fully validated before any I/O, so a bad --state exits 2 with
// nothing written anywhere.

import type { BlobStore } from './blob.js';
import { parseStateUrl } from './url.js';

export { defaultStateUrl, parseStateUrl, type StateLocation } from './url.js';

export type Env = Record<string, string | undefined>;

/**
 * Opens the store named by `url` (or env K8SUP_STATE_STORE, or the default under `homeDir`). Validation happens first;
 * opening does no I/O itself: folders and clients are created on first use.
 */
export async function openBlobStore(url: string | undefined, env: Env, homeDir: string): Promise<BlobStore> {
  const location = parseStateUrl(url?.trim() ? url : env.K8SUP_STATE_STORE, homeDir);
  switch (location.scheme) {
    case 'file': {
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
