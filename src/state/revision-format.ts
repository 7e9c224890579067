// A revision is ONE object, so creating it is one atomic create-only write and it can never be half-written:
// a single comment line of JSON metadata, then the spec YAML exactly as the caller gave it. The object is still valid
// YAML (the header is a comment), so `cat` and any YAML tool read it fine.

import { OperationError } from '../core/errors.js';

export interface RevisionMeta {
  revision: number;
  /** ISO-8601 time the revision was written. */
  createdAt: string;
  author: string;
  message?: string;
}

export interface Revision {
  revision: number;
  yaml: string;
  meta: RevisionMeta;
}

const HEADER = '# k8sup-revision: ';

export function revisionKey(cluster: string, n: number): string {
  return `${cluster}/revisions/${String(n).padStart(6, '0')}.yaml`;
}

/** The revision number of a revisions/ key, or undefined for anything else. */
export function revisionNumberOf(key: string): number | undefined {
  const m = /\/revisions\/(\d{6,})\.yaml$/.exec(key);
  return m ? Number(m[1]) : undefined;
}

export function encodeRevision(meta: RevisionMeta, yaml: string): string {
  // JSON.stringify escapes newlines, so the header is always exactly one line.
  return `${HEADER}${JSON.stringify(meta)}\n${yaml}`;
}

export function decodeRevision(key: string, text: string): Revision {
  const newline = text.indexOf('\n');
  if (!text.startsWith(HEADER) || newline < 0) {
    throw new OperationError(`state object ${key} is not a k8sup revision (missing header)`, {
      hint: 'The state store was modified by hand; restore the object from bucket versioning or a backup.',
    });
  }
  let meta: RevisionMeta;
  try {
    meta = JSON.parse(text.slice(HEADER.length, newline)) as RevisionMeta;
  } catch (e) {
    throw new OperationError(`state object ${key} has a corrupt revision header`, { cause: e });
  }
  return { revision: meta.revision, yaml: text.slice(newline + 1), meta };
}
