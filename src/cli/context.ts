// What every command gets: parsed global options, the environment, output streams, the progress IoHost,
// and helpers to resolve the cluster name and open the state store. This is the only layer that reads `process`.

import { setMaxListeners } from 'node:events';
import { hostname, homedir, userInfo } from 'node:os';
import type { Command } from 'commander';
import { clusterNameIssue } from '../api/rules.js';
import { InvalidInputError } from '../core/errors.js';
import type { IoHost } from '../core/io.js';
import type { BlobStore } from '../state/blob.js';
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
  /** Cluster name from the positional argument, --name or K8SUP_CLUSTER_NAME; validated. */
  clusterName(positional?: string): string;
  openStore(): Promise<BlobStore>;
  /** Who holds locks and writes revisions: user@host. */
  actor: { owner: string; host: string; pid: number };
  cwd: string;
  /** Aborted on the first Ctrl-C: the engine stops starting tasks, lets running ones finish and records them. */
  signal: AbortSignal;
}

interface ContextInput {
  env: Record<string, string | undefined>;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  globals: Record<string, any>;
  program: Command;
}

/** The context of one run; `dispose()` when the command has finished. */
export function createContext(input: ContextInput): CliContext & { dispose(): void } {
  const { env, stdout, stderr } = input;
  const g = input.globals;
  const progressMode = (g.progress ?? env.K8SUP_PROGRESS ?? 'auto') as ProgressMode;
  if (!['auto', 'plain', 'ndjson'].includes(progressMode)) {
    throw new InvalidInputError(`K8SUP_PROGRESS="${progressMode}" is not a progress mode`, { hint: 'use auto, plain or ndjson' });
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
  };
  const home = env.HOME || homedir();
  const io = createProgress({ mode: globals.progress, stream: stderr, verbose: globals.verbose, quiet: globals.quiet });
  let user = env.USER ?? env.LOGNAME;
  if (!user) {
    try {
      user = userInfo().username;
    } catch {
      user = 'unknown';
    }
  }
  const abort = new AbortController();
  // Every task and cloud call in flight listens on this one signal; dozens at once is normal, not a leak.
  setMaxListeners(0, abort.signal);
  const quitNow = () => process.exit(130);
  const onInterrupt = () => {
    // An event like any other line on stderr, so that NDJSON stays JSON through an interrupt.
    io.emit({ code: 'note', level: 'warn', message: 'Interrupted: finishing the tasks in flight and recording them (Ctrl-C again to quit at once).' });
    abort.abort(new Error('interrupted'));
    process.once('SIGINT', quitNow);
  };
  process.once('SIGINT', onInterrupt);
  return {
    dispose() {
      // In-process runs (tests, embedding) must not pile up SIGINT handlers or keep Ctrl-C from its default.
      process.removeListener('SIGINT', onInterrupt);
      process.removeListener('SIGINT', quitNow);
    },
    env,
    home,
    signal: abort.signal,
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
    clusterName(positional) {
      // K8SUP_CLUSTER_NAME is a default the argument overrides; --name and a different argument are a contradiction.
      if (positional !== undefined && g.name !== undefined && positional !== g.name) {
        throw new InvalidInputError(`the cluster is named twice: "${positional}" (argument) and "${g.name}" (--name)`, { hint: 'give the name once, as the argument or with --name' });
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
      return openBlobStore(globals.state, env, home);
    },
    actor: { owner: `${user}@${hostname()}`, host: hostname(), pid: process.pid },
  };
}
