// Go-style durations (`18h`, `1h30m`, `90s`) plus days (`7d`), as kubectl/kops users type them.

import { InvalidInputError } from '../core/errors.js';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60 * 1000,
  h: 60 * 60 * 1000,
  d: 24 * 60 * 60 * 1000,
};

// One or more <number><unit> parts; `ms` is listed before `m` so it wins.
const PART = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d)/y;

/**
 * Milliseconds in a duration such as `18h`, `30m`, `10s`, `1h30m`, `7d`, `1.5h`, or `0` (as in Go). `flag` names
 * where the value came from (`--wait`) in the error, so that a command with several durations says which one is bad.
 */
export function parseDuration(s: string, flag?: string): number {
  const text = typeof s === 'string' ? s.trim() : '';
  const bad = () =>
    new InvalidInputError(`${flag ? `${flag}: ` : ''}invalid duration "${String(s)}"`, {
      hint: 'Use a number with a unit: ms, s, m, h or d, e.g. 18h, 30m, 1h30m, 7d.',
    });
  if (text === '') throw bad();
  if (text === '0') return 0;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const m = PART.exec(text);
    if (!m) throw bad();
    total += Number(m[1]) * UNIT_MS[m[2]];
  }
  if (!Number.isFinite(total)) throw bad();
  return Math.round(total);
}
