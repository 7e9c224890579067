// Key rules shared by every backend. Keys are '/'-separated relative paths; the same key must mean the same object on
// every backend, and on disk no key may escape the store root or collide with our temp/lock files (which start with '.').

import { InvalidInputError } from '../core/errors.js';

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** Throws InvalidInputError unless `key` is a safe store key (`a/b/c.json`). */
export function assertValidKey(key: string): void {
  const segments = key.split('/');
  if (key.length === 0 || key.length > 900 || segments.some((s) => !SEGMENT.test(s))) {
    throw new InvalidInputError(`invalid state store key ${JSON.stringify(key)}`, {
      hint: 'Keys are relative paths of letters, digits, ".", "_" and "-"; no segment may start with "." or be empty.',
    });
  }
}

/** Prefixes for list(): '' (everything) or a key-like string, optionally ending in '/'. */
export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return;
  assertValidKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}

export function toBuffer(data: Buffer | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
}
