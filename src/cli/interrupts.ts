// How a run is stopped early, and how it then ends. A signal (SIGINT, SIGTERM, SIGHUP) or a closed output pipe aborts
// the run's one AbortSignal: the engine starts nothing new, lets the cloud calls in flight finish and journals them,
// and the command unwinds normally — which releases the cluster's lock on the way out. The run then exits 128+n, as a
// process killed by signal n would (SIGINT 130, SIGTERM 143, SIGHUP 129), and 141 for a closed pipe (128 + SIGPIPE,
// what the shell reports for `yes | head`): the output the caller asked for was not all delivered, so this is not a
// success. A second signal quits at once (its own 128+n), leaving the lock to be taken over by the next run on
// this host (its holder no longer exists) or to expire.

import { setMaxListeners } from 'node:events';
import { constants } from 'node:os';
import { K8supError } from '../core/errors.js';

export type InterruptCause = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'EPIPE';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The run was stopped by a signal or a closed output pipe. Exit 128+n. */
export class InterruptedError extends K8supError {
  /** What the run says when it starts to stop (the progress event `run.interrupted`). */
  get stopping(): string {
    return this.interruptCause === 'EPIPE'
      ? 'The output pipe was closed: stopping after the tasks in flight are finished and recorded, then releasing the lock.'
      : `Interrupted (${this.interruptCause}): finishing the tasks in flight and recording them, then releasing the lock (send it again to quit at once).`;
  }

  constructor(
    readonly interruptCause: InterruptCause,
    message = describe(interruptCause),
    opts: { hint?: string; cause?: unknown } = {},
  ) {
    super('Interrupted', exitCodeFor(interruptCause), message, {
      hint: opts.hint ?? 'If the command was changing the cluster, run it again to finish (update cluster --yes resumes an interrupted apply).',
      cause: opts.cause,
    });
  }

  /** This interruption as the outcome of a command that ended with `err` (or finished) after it. */
  outcome(err?: unknown): InterruptedError {
    if (err === this || err === undefined) return this;
    const e = err as { message?: string; hint?: string };
    return new InterruptedError(this.interruptCause, `${describe(this.interruptCause)}: ${e?.message ?? String(err)}`, { hint: e?.hint, cause: err });
  }
}

export function exitCodeFor(cause: InterruptCause): number {
  return 128 + (cause === 'EPIPE' ? constants.signals.SIGPIPE : constants.signals[cause]);
}

function describe(cause: InterruptCause): string {
  return cause === 'EPIPE' ? 'the output pipe was closed before all output was written (EPIPE)' : `interrupted by ${cause}`;
}

export interface RunInterrupts {
  /** Aborted (with an InterruptedError as its reason) on the first signal or closed output pipe. */
  signal: AbortSignal;
  /** The interruption, once there was one. */
  readonly interruption: InterruptedError | undefined;
  /** Removes every handler: in-process runs (tests, embedding) must not pile them up or keep signals from their defaults. */
  dispose(): void;
}

interface WatchOptions {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Where signals come from; `process` for a real run. */
  signals: NodeJS.EventEmitter;
  /** Ends the process at once (second signal). */
  quit(code: number): void;
}

export function watchInterrupts(opts: WatchOptions): RunInterrupts {
  const abort = new AbortController();
  // Every task and cloud call in flight listens on this one signal: up to 16 tasks (core/executor DEFAULTS.total),
  // each with its deadline race, its retry sleep and its SDK call, is normal. The bound stays finite so that a real
  // leak (a listener left behind per poll or retry) still warns instead of piling up unseen.
  setMaxListeners(64, abort.signal);
  let interruption: InterruptedError | undefined;
  const interrupt = (cause: InterruptCause) => {
    if (interruption) return;
    interruption = new InterruptedError(cause);
    abort.abort(interruption);
  };
  let signalled = false;
  const onSignal = (sig: (typeof SIGNALS)[number]) => {
    if (signalled) return opts.quit(exitCodeFor(sig));
    signalled = true;
    interrupt(sig);
  };
  const handlers = SIGNALS.map((sig) => [sig, () => onSignal(sig)] as const);
  for (const [sig, h] of handlers) opts.signals.on(sig, h);
  // A write to a pipe whose reader has gone fails with EPIPE, reported as an 'error' event (Node ignores SIGPIPE).
  // Any write error on stdout or stderr counts: the caller can no longer see what the run does, so it stops (and
  // the final error says why).
  const onOutputError = () => interrupt('EPIPE');
  opts.stdout.on('error', onOutputError);
  opts.stderr.on('error', onOutputError);
  return {
    signal: abort.signal,
    get interruption() {
      return interruption;
    },
    dispose() {
      for (const [sig, h] of handlers) opts.signals.removeListener(sig, h);
      opts.stdout.removeListener('error', onOutputError);
      opts.stderr.removeListener('error', onOutputError);
    },
  };
}
