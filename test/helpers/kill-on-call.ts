// Runs the built CLI and kills it with SIGKILL the moment the fault proxy sees a given cloud call (kill -9 at a chosen
// phase). The proxy forwards that call after its hook ran, so the cloud does the work and the client never hears of it.

import { spawn } from 'node:child_process';
import { K8SUP } from './cli.js';

export interface KilledRun {
  /** Whether the call was seen (and the process killed there). */
  killed: boolean;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * `setHook` installs the proxy's per-call hook (undefined removes it). The run is bounded: killed after `timeoutMs`
 * whether or not the call came.
 */
export async function runKilledOnCall(args: string[], env: Record<string, string>, call: string, setHook: (hook: ((key: string) => void) | undefined) => void, timeoutMs = 300_000): Promise<KilledRun> {
  const child = spawn(process.execPath, [K8SUP, ...args], { env: { PATH: process.env.PATH, K8SUP_PROGRESS: 'plain', ...env } as NodeJS.ProcessEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
  let killed = false;
  setHook((key) => {
    if (key === call && !killed) {
      killed = true;
      child.kill('SIGKILL');
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const signal = await exited;
    return { killed, signal, stderr };
  } finally {
    clearTimeout(timer);
    setHook(undefined);
  }
}
