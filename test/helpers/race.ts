// Starts N processes and releases them at the same instant, then collects their exit codes and output. Reusable by
// any race test (the state-store racers below, or `k8sup replace -f` from the CLI tests).
//
// With `readyLine`, each child must print that line on stdout once it is warmed up (modules loaded, connections open)
// and then wait for "go\n" on stdin; the runner sends "go" to all children only when every one is ready. Without it,
// the children are simply spawned back to back.

import { spawn } from 'node:child_process';

export interface RaceProcess {
  command: string;
  args: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
}

export interface RaceResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RaceOptions {
  readyLine?: string;
  /** Bound on waiting for every child to be ready (default 30 s). */
  readyTimeoutMs?: number;
  /** Bound on the whole race after "go" (default 60 s); stragglers are killed and reported with code null. */
  runTimeoutMs?: number;
}

export async function runAtOnce(procs: RaceProcess[], opts: RaceOptions = {}): Promise<RaceResult[]> {
  const children = procs.map((p) =>
    spawn(p.command, p.args, { cwd: p.cwd, env: p.env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] }),
  );
  const results: RaceResult[] = children.map(() => ({ code: null, stdout: '', stderr: '' }));
  const exited = children.map(
    (child, i) =>
      new Promise<void>((resolve) => {
        child.stdout.on('data', (d) => (results[i].stdout += d));
        child.stderr.on('data', (d) => (results[i].stderr += d));
        child.on('close', (code) => {
          results[i].code = code;
          resolve();
        });
        child.on('error', (e) => {
          results[i].stderr += String(e);
          resolve();
        });
      }),
  );
  const killAll = () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
  try {
    if (opts.readyLine) {
      const line = opts.readyLine;
      const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
      while (!results.every((r) => r.stdout.includes(line))) {
        const dead = results.findIndex((r, i) => children[i].exitCode !== null && !r.stdout.includes(line));
        if (dead >= 0) throw new Error(`racer ${dead} exited before it was ready: ${results[dead].stderr}`);
        if (Date.now() > deadline) throw new Error('racers were not all ready in time');
        await new Promise((r) => setTimeout(r, 10));
      }
      for (const child of children) child.stdin.end('go\n');
    } else {
      for (const child of children) child.stdin.end();
    }
    const timer = setTimeout(killAll, opts.runTimeoutMs ?? 60_000);
    await Promise.all(exited);
    clearTimeout(timer);
    return results;
  } catch (e) {
    killAll();
    await Promise.all(exited);
    throw e;
  }
}

/**
 * Long-lived racers for many rounds without paying process start-up each round. Each child prints `readyLine` once
 * warmed up, then answers every line it reads on stdin with exactly one line on stdout. `round` hands every child its
 * line in one tight loop (the children are all idle on a read, so they start together) and collects one answer each.
 */
export class RacerPool {
  private readonly buffers: string[];
  private readonly stderrs: string[];

  private constructor(private readonly children: import('node:child_process').ChildProcessWithoutNullStreams[]) {
    this.buffers = children.map(() => '');
    this.stderrs = children.map(() => '');
    children.forEach((c, i) => {
      c.stdout.on('data', (d) => (this.buffers[i] += d));
      c.stderr.on('data', (d) => (this.stderrs[i] = (this.stderrs[i] + d).slice(-4000)));
    });
  }

  static async start(procs: RaceProcess[], readyLine: string, readyTimeoutMs = 60_000): Promise<RacerPool> {
    const pool = new RacerPool(
      procs.map((p) => spawn(p.command, p.args, { cwd: p.cwd, env: p.env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] })),
    );
    try {
      await pool.collect(() => readyLine, readyTimeoutMs);
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** Sends `inputs[i]` to child i, all at once; resolves to each child's one-line answer. */
  async round(inputs: string[], timeoutMs = 60_000): Promise<string[]> {
    for (let i = 0; i < this.children.length; i++) this.children[i].stdin.write(`${inputs[i]}\n`);
    return this.collect(undefined, timeoutMs);
  }

  async close(): Promise<void> {
    await Promise.all(
      this.children.map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const exited = new Promise((r) => c.once('close', r));
        c.stdin.end();
        const t = setTimeout(() => c.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }),
    );
  }

  /** Waits for one line from every child (optionally a specific one) and removes it from the buffers. */
  private async collect(expected: (() => string) | undefined, timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (!this.buffers.every((b) => b.includes('\n'))) {
      const dead = this.children.findIndex((c, i) => c.exitCode !== null && !this.buffers[i].includes('\n'));
      if (dead >= 0) throw new Error(`racer ${dead} exited early (code ${this.children[dead].exitCode}): ${this.stderrs[dead]}`);
      if (Date.now() > deadline) throw new Error(`racers did not answer within ${timeoutMs} ms: ${this.stderrs.join(' | ')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.buffers.map((b, i) => {
      const line = b.slice(0, b.indexOf('\n'));
      this.buffers[i] = b.slice(b.indexOf('\n') + 1);
      if (expected && line !== expected()) throw new Error(`racer ${i} said ${JSON.stringify(line)}, expected ${expected()}`);
      return line;
    });
  }
}
