// Runs the built CLI (bin/k8sup → dist/) as a child process, the way users and pipelines run it.

import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const K8SUP = join(REPO, 'bin', 'k8sup');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The signal that killed it, if one did. */
  signal?: NodeJS.Signals;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
  /** Another build's launcher (the bench times the main checkout's as "before"); default this checkout's bin/k8sup. */
  bin?: string;
  /** Written to the CLI's stdin (then closed); default: no stdin at all. */
  input?: string;
}

/** A throwaway HOME with nothing in it: the default state store lands in HOME/.k8sup/state. */
export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'k8sup-home-'));
}

export function k8sup(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // The Node < 22 notice has its own test (cli-node-support); elsewhere it would only be noise on stderr.
    const env: Record<string, string | undefined> = { PATH: process.env.PATH, K8SUP_PROGRESS: 'plain', K8SUP_NO_NODE_NOTICE: '1', ...opts.env };
    const child = spawn(process.execPath, [opts.bin ?? K8SUP, ...args], { cwd: opts.cwd ?? REPO, env: env as NodeJS.ProcessEnv, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

export interface RunningCli {
  child: ChildProcess;
  /** What it wrote to stderr so far. */
  stderr(): string;
  /** Resolves when it has exited, with everything it wrote. */
  done: Promise<CliResult>;
}

/** Starts the CLI without waiting for it: for runs a test interrupts, or lets wait while it acts meanwhile. */
export function startK8sup(args: string[], opts: CliOptions & { closeStdout?: boolean } = {}): RunningCli {
  const env: Record<string, string | undefined> = { PATH: process.env.PATH, K8SUP_PROGRESS: 'plain', ...opts.env };
  const child = spawn(process.execPath, [K8SUP, ...args], { cwd: opts.cwd ?? REPO, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  // Closing our end at once makes the child's first write to stdout fail with EPIPE, like `k8sup … | true`.
  if (opts.closeStdout) child.stdout!.destroy();
  else child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // A process killed by a signal has no exit code: -1, and the signal says what happened.
      resolve({ code: code ?? -1, stdout, stderr, ...(signal ? { signal } : {}) });
    });
  });
  return { child, stderr: () => stderr, done };
}

/** A fingerprint of every file (path, mode, content) under a folder: to assert "nothing was written". */
export function treeDigest(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      const st = statSync(p);
      h.update(`${relative(dir, p)}:${st.mode}\n`);
      if (st.isDirectory()) walk(p);
      else h.update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}
