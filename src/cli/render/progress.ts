// Renders engine events (src/core/io.ts) on stderr: plain lines for people and logs, NDJSON for machines.
// Data never goes here; it goes to stdout.

import { EVENT_SCHEMA_VERSION } from '../../core/events.js';
import type { IoHost, K8supEvent } from '../../core/io.js';
import { createListrProgress } from './listr.js';

export type ProgressMode = 'auto' | 'plain' | 'ndjson';

interface ProgressOptions {
  mode: ProgressMode;
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  verbose: boolean;
  quiet: boolean;
  /** NO_COLOR set (no-color.org): plain text on a terminal too. */
  noColor?: boolean;
  now?: () => Date;
}

const LEVELS = { debug: 0, info: 1, warn: 2, error: 3 } as const;

export function createProgress(opts: ProgressOptions): IoHost {
  const now = opts.now ?? (() => new Date());
  const min = opts.verbose ? LEVELS.debug : opts.quiet ? LEVELS.warn : LEVELS.info;
  const shown = (e: K8supEvent) => LEVELS[e.level] >= min;
  if (opts.mode === 'ndjson') {
    return {
      emit(e) {
        if (shown(e)) opts.stream.write(ndjsonLine(e, now()));
      },
    };
  }
  const tty = opts.mode === 'auto' && Boolean(opts.stream.isTTY);
  // A terminal that reports no width (a bare pty) would get listr2's output wrapped a character a line.
  const wide = ((opts.stream as { columns?: number }).columns ?? 0) >= 40;
  const plain = plainHost(opts, shown, tty && !opts.noColor);
  return tty && wide && !opts.verbose ? createListrProgress(opts.stream, plain) : plain;
}

/**
 * One event as one NDJSON line: the envelope (`v`, `time`, `code`, `level`, `message`, `task`) and the event's fields
 * beside it, as docs/ci.md documents. Field names never shadow the envelope (the catalogue has none of those names).
 */
export function ndjsonLine(e: K8supEvent, time: Date): string {
  const { code, level, message, task, data } = e;
  return `${JSON.stringify({ v: EVENT_SCHEMA_VERSION, time: time.toISOString(), code, level, message, ...(task === undefined ? {} : { task }), ...data })}\n`;
}

function plainHost(opts: ProgressOptions, shown: (e: K8supEvent) => boolean, color: boolean): IoHost {
  const paint = (code: number, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const mark: Record<string, string> = {
    'task.start': paint(36, '…'),
    'task.done': paint(32, '✓'),
    'task.retry': paint(33, '↻'),
    'task.failed': paint(31, '✗'),
  };
  return {
    emit(e) {
      if (!shown(e)) return;
      const prefix = mark[e.code] ?? (e.level === 'warn' ? paint(33, 'warning:') : e.level === 'error' ? paint(31, 'error:') : '');
      const task = e.task && !e.message.includes(e.task) ? `${e.task}: ` : '';
      opts.stream.write(`${prefix ? `${prefix} ` : ''}${task}${e.message}\n`);
    },
  };
}
