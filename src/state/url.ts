// The state-store URL, parsed one way: `file:///abs/path`, `s3://bucket[/prefix]`, `gs://bucket[/prefix]`. The CLI
// (--state), the bootstrap renderer and the providers' models all read a store location through this module.

import { isAbsolute, join, normalize } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InvalidInputError } from '../core/errors.js';

export type StateLocation =
  | { scheme: 'file'; url: string; path: string }
  | { scheme: 's3'; url: string; bucket: string; prefix: string }
  | { scheme: 'gs'; url: string; bucket: string; prefix: string };

const ACCEPTED =
  'Use --state (or K8SUP_STATE_STORE) with file:///absolute/path, s3://bucket[/prefix] or gs://bucket[/prefix].';

function invalid(message: string): InvalidInputError {
  return new InvalidInputError(message, { issues: [{ path: '--state', message }], hint: ACCEPTED });
}

/** The default store: file://$HOME/.k8sup/state. */
export function defaultStateUrl(homeDir: string): string {
  return pathToFileURL(join(homeDir, '.k8sup', 'state')).href;
}

// S3 general-purpose bucket rules (3–63 chars, lowercase letters, digits, '.', '-', alphanumeric ends, not an IP).
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// GCS: like S3 but '_' allowed; dotted names may be longer, each dot-separated part at most 63.
const GCS_BUCKET = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;
const PREFIX_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

function checkBucket(scheme: 's3' | 'gs', bucket: string, url: string): void {
  const ok =
    scheme === 's3'
      ? S3_BUCKET.test(bucket) && !bucket.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(bucket)
      : GCS_BUCKET.test(bucket) && !bucket.includes('..') && bucket.split('.').every((p) => p.length <= 63) &&
        (bucket.includes('.') || bucket.length <= 63);
  if (!ok) {
    throw invalid(
      `invalid bucket name ${JSON.stringify(bucket)} in state store URL ${url}: bucket names are 3-63 lowercase letters, digits, '.' or '-'${scheme === 'gs' ? " or '_'" : ''}, starting and ending with a letter or digit`,
    );
  }
}

/** Pure: parses and validates a state-store URL. Throws InvalidInputError (exit 2) on anything unsupported. */
export function parseStateUrl(url: string | undefined, homeDir: string): StateLocation {
  const raw = url?.trim() ? url.trim() : defaultStateUrl(homeDir);
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(raw)?.[1]?.toLowerCase();
  if (scheme === 'file') return parseFileUrl(raw);
  if (scheme === 's3' || scheme === 'gs') {
    // A bucket and a prefix are all a bucket store reads: `?versionId=…` or `#…` would be taken for part of a name.
    const extra = /[?#]/.exec(raw);
    if (extra) {
      throw new InvalidInputError(`state store URL ${raw} has a ${extra[0] === '?' ? 'query (?…)' : 'fragment (#…)'}, which a ${scheme}:// store cannot use: it reads only the bucket and the prefix`, {
        issues: [{ path: '--state', message: `has a ${extra[0] === '?' ? 'query' : 'fragment'}` }],
        hint: `drop everything from the ${extra[0]}: --state ${raw.slice(0, extra.index).replace(/\/+$/, '')}`,
      });
    }
    const m = new RegExp(`^${scheme}://([^/?#]*)(/[^?#]*)?$`, 'i').exec(raw);
    if (!m) throw invalid(`malformed state store URL ${raw}`);
    const bucket = m[1];
    checkBucket(scheme, bucket, raw);
    const segments = (m[2] ?? '').split('/').filter(Boolean);
    const badSegment = segments.find((s) => !PREFIX_SEGMENT.test(s));
    if (badSegment !== undefined) {
      throw invalid(`invalid prefix segment ${JSON.stringify(badSegment)} in state store URL ${raw}`);
    }
    const prefix = segments.join('/');
    return { scheme, url: `${scheme}://${bucket}${prefix ? `/${prefix}` : ''}`, bucket, prefix };
  }
  if (scheme === undefined) {
    throw invalid(`state store URL ${JSON.stringify(raw)} has no scheme${isAbsolute(raw) ? ` (did you mean file://${raw}?)` : ''}`);
  }
  throw invalid(`unsupported state store URL scheme "${scheme}:" in ${raw}`);
}

function parseFileUrl(raw: string): StateLocation {
  // file:///abs/path (or file://localhost/abs/path). file://relative/path would put "relative" in the host part.
  const m = /^file:\/\/([^/]*)(\/.*)?$/i.exec(raw);
  if (!m || (m[1] !== '' && m[1].toLowerCase() !== 'localhost') || !m[2]) {
    throw invalid(`state store URL ${raw} is not an absolute file URL (write file:///absolute/path, with three slashes)`);
  }
  // fileURLToPath drops a query and a fragment without a word: file:///x?y=1 would silently be the store /x.
  const extra = /[?#]/.exec(m[2]);
  if (extra) {
    throw invalid(`state store URL ${raw} has a ${extra[0] === '?' ? 'query (?…)' : 'fragment (#…)'}, which a file store cannot use (a literal ${extra[0]} in a folder name is written ${extra[0] === '?' ? '%3F' : '%23'})`);
  }
  let path: string;
  try {
    path = fileURLToPath(`file://${m[2]}`);
  } catch (e) {
    throw invalid(`state store URL ${raw} is not a valid file URL: ${(e as Error).message}`);
  }
  path = normalize(path);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  if (!isAbsolute(path) || path === '/') throw invalid(`state store path ${path} must be an absolute folder other than /`);
  return { scheme: 'file', url: pathToFileURL(path).href, path };
}

/** The location of a store URL, or null when it is not one (for callers that report their own issue). */
export function stateLocationOf(url: string): StateLocation | null {
  if (!url.trim()) return null;
  try {
    return parseStateUrl(url, '/');
  } catch (e) {
    if (e instanceof InvalidInputError) return null;
    throw e;
  }
}
