// What every command gets: parsed global options, the environment, output streams, the progress IoHost,
// and helpers to resolve the cluster name and open the state store. This is the only layer that reads `process`.

import { hostname, homedir, userInfo } from 'node:os';
import { clusterNameIssue } from '../api/rules.js';
import type { Actor } from '../lifecycle/spec-store.js';
import { InvalidInputError } from '../core/errors.js';
import type { IoHost } from '../core/io.js';
import { parseDuration } from '../pki/duration.js';
import type { BlobStore } from '../state/blob.js';
import { InterruptedError } from './interrupts.js';
import { lockHolderIsGone, ownIdentity } from './local-process.js';
import type { OutputFormat } from './render/output.js';
import { createProgress, type ProgressMode } from './render/progress.js';

export type { OutputFormat };

export interface Globals {
  state?: string;
  /** The --state given on the command line (not from the environment): suggested commands repeat it. */
  stateFlag?: string;
  name?: string;
  output: OutputFormat;
  /** --no-headers: tables without their header row. */
  noHeaders: boolean;
  yes: boolean;
  verbose: boolean;
  quiet: boolean;
  progress: ProgressMode;
  /** --lock-timeout / K8SUP_LOCK_TIMEOUT in ms: how long to wait for another run's lock. */
  lockTimeoutMs: number;
}

export interface CliContext {
  env: Record<string, string | undefined>;
  home: string;
  globals: Globals;
  io: IoHost;
  /** Data output (stdout). */
  out(text: string): void;
  /** Human notes that are not progress (stderr), suppressed by --quiet. */
  note(text: string): void;
  stdoutIsTTY: boolean;
  /** Cluster name from the positional argument (or `from`, e.g. a file's metadata.name), --name or K8SUP_CLUSTER_NAME; validated. */
  clusterName(positional?: string, from?: string): string;
  openStore(): Promise<BlobStore>;
  /** Who holds locks and writes revisions (user@host), and how it takes the cluster's lock. */
  actor: Actor;
  cwd: string;
  /**
   * Aborted on the first SIGINT, SIGTERM or SIGHUP, or when the output pipe closes (see interrupts.ts): the engine
   * stops starting tasks, lets running ones finish and records them.
   */
  signal: AbortSignal;
}

interface ContextInput {
  env: Record<string, string | undefined>;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  globals: Record<string, any>;
  /** The run's interrupt signal (interrupts.ts). */
  signal: AbortSignal;
  wrapStore?: (store: BlobStore) => BlobStore;
}

/** A duration option that may also be `0`; `what` names the flag or variable in the error. */
function durationMs(value: string | undefined, what: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.trim() === '0') return 0;
  try {
    return parseDuration(value);
  } catch (e) {
    throw new InvalidInputError(`${what}: ${(e as Error).message}`, { hint: 'Use a number with a unit, e.g. 30s, 5m or 1h30m.' });
  }
}

// Below this a lock would be renewed more often than a slow store answers.
const MIN_LOCK_TTL_MS = 1000;

/** The context of one run. */
export function createContext(input: ContextInput): CliContext {
  const { env, stdout, stderr } = input;
  const g = input.globals;
  const progressMode = (g.progress ?? env.K8SUP_PROGRESS ?? 'auto') as ProgressMode;
  if (!['auto', 'plain', 'ndjson'].includes(progressMode)) {
    throw new InvalidInputError(`K8SUP_PROGRESS="${progressMode}" is not a progress mode`, { hint: 'use auto, plain or ndjson' });
  }
  // An empty --state is a pipeline's unset variable (`--state "$STORE"`), not a wish for the default local store.
  if (typeof g.state === 'string' && g.state.trim() === '') {
    throw new InvalidInputError('--state is empty', { hint: 'pass file:///absolute/path, s3://bucket[/prefix] or gs://bucket[/prefix]; leave --state out for the default file://$HOME/.k8sup/state' });
  }
  // The same for the environment (`K8SUP_STATE_STORE: ${{ secrets.STORE }}` with the secret missing): a pipeline
  // would otherwise work on a local store of the runner, and lose it with the runner.
  if (g.state === undefined && env.K8SUP_STATE_STORE !== undefined && env.K8SUP_STATE_STORE.trim() === '') {
    throw new InvalidInputError('K8SUP_STATE_STORE is set but empty', { hint: 'set it to file:///absolute/path, s3://bucket[/prefix] or gs://bucket[/prefix], or unset it for the default file://$HOME/.k8sup/state' });
  }
  const globals: Globals = {
    state: g.state ?? env.K8SUP_STATE_STORE ?? undefined,
    stateFlag: g.state,
    name: g.name ?? env.K8SUP_CLUSTER_NAME ?? undefined,
    output: g.output ?? 'table',
    noHeaders: g.headers === false,
    yes: Boolean(g.yes),
    verbose: Boolean(g.verbose),
    quiet: Boolean(g.quiet),
    progress: progressMode,
    lockTimeoutMs: durationMs(g.lockTimeout ?? env.K8SUP_LOCK_TIMEOUT, g.lockTimeout !== undefined ? '--lock-timeout' : 'K8SUP_LOCK_TIMEOUT') ?? 0,
  };
  // How long a lock lives without renewal (default 10m): a knob for tests and for stores shared with short-lived runs.
  const lockTtlMs = durationMs(env.K8SUP_LOCK_TTL, 'K8SUP_LOCK_TTL');
  if (lockTtlMs !== undefined && lockTtlMs < MIN_LOCK_TTL_MS) {
    throw new InvalidInputError(`K8SUP_LOCK_TTL: ${env.K8SUP_LOCK_TTL} is shorter than ${MIN_LOCK_TTL_MS / 1000}s`, { hint: 'Use at least 1s, or unset it for the default 10m.' });
  }
  const home = env.HOME || homedir();
  const io = createProgress({ mode: globals.progress, stream: stderr, verbose: globals.verbose, quiet: globals.quiet, noColor: Boolean(env.NO_COLOR) });
  let user = env.USER ?? env.LOGNAME;
  if (!user) {
    try {
      user = userInfo().username;
    } catch {
      user = 'unknown';
    }
  }
  const host = hostname();
  // Said through the progress host, so that with --progress ndjson stderr stays one JSON object a line.
  input.signal.addEventListener(
    'abort',
    () => {
      const reason = input.signal.reason;
      if (reason instanceof InterruptedError) io.emit({ code: 'run.interrupted', level: 'warn', message: reason.stopping, data: { cause: reason.interruptCause } });
    },
    { once: true },
  );
  return {
    env,
    home,
    signal: input.signal,
    globals,
    io,
    cwd: process.cwd(),
    stdoutIsTTY: Boolean(stdout.isTTY),
    out: (text) => void stdout.write(text),
    // Notes are events too, so that under --progress ndjson every stderr line is JSON.
    note: (text) => {
      const warning = /^warning: /.exec(text);
      io.emit({ code: 'note', level: warning ? 'warn' : 'info', message: text.slice(warning ? warning[0].length : 0).replace(/\n$/, '') });
    },
    clusterName(positional, from = 'argument') {
      // K8SUP_CLUSTER_NAME is a default the argument overrides; --name and a different argument are a contradiction.
      if (positional !== undefined && g.name !== undefined && positional !== g.name) {
        throw new InvalidInputError(`the cluster is named twice: "${positional}" (${from}) and "${g.name}" (--name)`, { hint: `give the name once, as the ${from} or with --name` });
      }
      const name = positional ?? globals.name;
      if (!name) {
        throw new InvalidInputError('no cluster name given', { hint: 'pass it as an argument, with --name, or set K8SUP_CLUSTER_NAME' });
      }
      const issue = clusterNameIssue(name, 'cluster name');
      if (issue) throw new InvalidInputError(`${issue.path}: ${issue.message}`, { hint: 'cluster names are DNS names such as demo.k8s.local' });
      return name;
    },
    async openStore() {
      const { openBlobStore } = await import('../state/open.js');
      const store = await openBlobStore(globals.state, env, home);
      return input.wrapStore ? input.wrapStore(store) : store;
    },
    actor: {
      owner: `${user}@${host}`,
      host,
      pid: process.pid,
      lock: {
        ttlMs: lockTtlMs,
        waitMs: globals.lockTimeoutMs,
        signal: input.signal,
        io,
        identity: ownIdentity(process.pid),
        holderIsGone: lockHolderIsGone,
      },
    },
  };
}
