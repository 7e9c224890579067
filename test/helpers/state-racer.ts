// A racer process for the state-store concurrency tests. Two ways to run it:
//   node --import tsx test/helpers/state-racer.ts '<json RacerTask>'
//       one task; prints "ready", waits for "go" on stdin (see runAtOnce), prints one JSON line, exits with the k8sup
//       exit code of what happened: 0 success, 3 conflict, 1 anything else.
//   node --import tsx test/helpers/state-racer.ts --pool <stateUrl>
//       prints "ready", then answers each JSON RacerTask line on stdin with one JSON RacerOutcome line (see RacerPool).
// Store credentials (AWS_*) come from the environment.

import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { ConflictError, K8supError } from '../../src/core/errors.js';
import type { BlobStore } from '../../src/state/blob.js';
import { casUpdate } from '../../src/state/cas.js';
import { ClusterStore } from '../../src/state/cluster-store.js';
import { openBlobStore } from '../../src/state/open.js';

export interface RacerTask {
  /** 'revision': lock + write a revision; 'revision-nolock': write a revision on CAS alone; 'increment': CAS counter. */
  mode: 'revision' | 'revision-nolock' | 'increment';
  stateUrl: string;
  cluster: string;
  racer: string;
  /** revision modes: keep retrying conflicts until this long has passed (0: one attempt). */
  retryForMs?: number;
  /** revision modes: base every write on this revision instead of reading the latest (all racers share one base). */
  baseRevision?: number;
  /** increment mode: how many increments, and of which key. */
  increments?: number;
  key?: string;
}

export interface RacerOutcome {
  racer: string;
  /** The exit code a k8sup command would have: 0 success, 3 conflict, 1 failure. */
  code: number;
  revision?: number;
  attempts?: number;
  increments?: number;
  error?: string;
}

export const READY = 'ready';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function writeOneRevision(cluster: ClusterStore, task: RacerTask, attempt: number): Promise<number> {
  const lease =
    task.mode === 'revision'
      ? await cluster.acquireLock({ owner: task.racer, host: 'racer-host', pid: process.pid, command: 'state-racer', ttlMs: 30_000 })
      : undefined;
  try {
    const base = task.baseRevision ?? (await cluster.latest())?.revision ?? 0;
    const yaml = `# written by ${task.racer}, attempt ${attempt}\nkind: Cluster\nmetadata: {name: ${task.cluster}}\nspec:\n  racer: ${task.racer}\n`;
    return await cluster.writeRevision(yaml, { expectedRevision: base, author: task.racer, lease });
  } finally {
    await lease?.release();
  }
}

async function perform(task: RacerTask, store: BlobStore): Promise<Omit<RacerOutcome, 'racer' | 'code'>> {
  if (task.mode === 'increment') {
    const key = task.key ?? `${task.cluster}/counter`;
    for (let i = 0; i < (task.increments ?? 1); i++) {
      await casUpdate(store, key, (cur) => String(Number(cur?.toString() ?? '0') + 1), { maxAttempts: 500, backoffMs: 20 });
    }
    return { increments: task.increments ?? 1 };
  }
  const cluster = new ClusterStore(store, task.cluster);
  const deadline = Date.now() + (task.retryForMs ?? 0);
  for (let attempt = 1; ; attempt++) {
    try {
      return { revision: await writeOneRevision(cluster, task, attempt), attempts: attempt };
    } catch (e) {
      if (!(e instanceof ConflictError) || Date.now() >= deadline) throw e;
      await sleep(10 + Math.random() * 60); // spread retries out so the holder is not slowed by a stampede
    }
  }
}

export async function runTask(task: RacerTask, store: BlobStore): Promise<RacerOutcome> {
  try {
    return { racer: task.racer, code: 0, ...(await perform(task, store)) };
  } catch (e) {
    const code = e instanceof K8supError ? e.exitCode : 1;
    return { racer: task.racer, code, error: code === 1 ? (e as Error).stack : (e as Error).message };
  }
}

async function warmStore(stateUrl: string, cluster: string): Promise<BlobStore> {
  const store = await openBlobStore(stateUrl, process.env, '/nonexistent-home');
  await store.list(`${cluster}/`); // load the SDK and open the connection before the start signal
  return store;
}

async function main(): Promise<number> {
  const lines = createInterface({ input: process.stdin });
  const input = lines[Symbol.asyncIterator]();
  if (process.argv[2] === '--pool') {
    const store = await warmStore(process.argv[3], 'warm-up');
    process.stdout.write(`${READY}\n`);
    for (let next = await input.next(); !next.done; next = await input.next()) {
      process.stdout.write(`${JSON.stringify(await runTask(JSON.parse(next.value) as RacerTask, store))}\n`);
    }
    return 0;
  }
  const task = JSON.parse(process.argv[2]) as RacerTask;
  const store = await warmStore(task.stateUrl, task.cluster);
  process.stdout.write(`${READY}\n`);
  await input.next();
  lines.close();
  const outcome = await runTask(task, store);
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
  return outcome.code;
}

// Run only as a script, so tests can import the types and runTask from here.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`${(e as Error).stack}\n`);
      process.exit(1);
    },
  );
}
