// The multi-process concurrency suite, shared by every backend that crosses process boundaries (file, s3, later gs).
// Many processes against one cluster at the same instant: nothing may be lost or torn. Every racer either succeeds or
// gets a conflict (exit 3), and the store ends up with exactly one new revision per success (or one counter step per
// increment).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { ClusterStore } from '../../src/state/cluster-store.js';
import { openBlobStore } from '../../src/state/open.js';
import { RacerPool, runAtOnce, type RaceResult } from './race.js';
import { READY, type RacerOutcome, type RacerTask } from './state-racer.js';

export const RACERS = 8;
const racerScript = join(import.meta.dirname, 'state-racer.ts');

export interface RaceBackend {
  name: string;
  /** Store URL; called when the tests run (after before() hooks started any server). */
  url: () => string;
  env: () => Record<string, string>;
  /** HOME for the racers. */
  home: string;
}

function racerEnv(backend: RaceBackend): Record<string, string | undefined> {
  return { PATH: process.env.PATH, HOME: backend.home, ...backend.env() };
}

/** One-shot racers: real processes whose exit code is the outcome (the shape a CLI race test has too). */
function raceProcesses(backend: RaceBackend, task: Omit<RacerTask, 'stateUrl' | 'racer'>): Promise<RaceResult[]> {
  const procs = Array.from({ length: RACERS }, (_, i) => ({
    command: process.execPath,
    args: ['--import', 'tsx', racerScript, JSON.stringify({ ...task, stateUrl: backend.url(), racer: `racer-${i}` })],
    env: racerEnv(backend),
  }));
  return runAtOnce(procs, { readyLine: READY, runTimeoutMs: 45_000 });
}

const outcomeOf = (r: RaceResult): RacerOutcome => ({
  ...(JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('{')) ?? '{}') as RacerOutcome),
  code: r.code ?? -1,
});

/** Every revision object parses, numbers are 1..n without gaps, and each racer's spec appears at most once. */
async function checkRevisions(cluster: ClusterStore): Promise<number[]> {
  const numbers = await cluster.revisionNumbers();
  assert.deepEqual(numbers, numbers.map((_, i) => i + 1));
  const racers: string[] = [];
  for (const n of numbers) {
    const rev = await cluster.revision(n);
    assert.equal(rev!.meta.revision, n);
    const doc = parseYaml(rev!.yaml);
    assert.equal(doc.kind, 'Cluster');
    if (doc.spec.racer) racers.push(doc.spec.racer);
  }
  assert.equal(new Set(racers).size, racers.length, 'one racer’s change was stored twice');
  return numbers;
}

/** Registers the race tests for one backend. */
export function concurrencySuite(backend: RaceBackend): void {
  describe(`concurrency: ${backend.name}`, () => {
    // Long-lived racers for most rounds: process start-up (tsx, SDK) costs seconds; the races themselves do not.
    let pool: RacerPool | undefined;
    before(async () => {
      const procs = Array.from({ length: RACERS }, () => ({
        command: process.execPath,
        args: ['--import', 'tsx', racerScript, '--pool', backend.url()],
        env: racerEnv(backend),
      }));
      pool = await RacerPool.start(procs, READY);
    });
    after(async () => {
      await pool?.close();
    });

    async function raceInPool(task: Omit<RacerTask, 'stateUrl' | 'racer'>): Promise<RacerOutcome[]> {
      const lines = Array.from({ length: RACERS }, (_, i) => JSON.stringify({ ...task, stateUrl: backend.url(), racer: `racer-${i}` }));
      return (await pool!.round(lines)).map((l) => JSON.parse(l) as RacerOutcome);
    }

    async function seeded(name: string): Promise<ClusterStore> {
      const cluster = new ClusterStore(await openBlobStore(backend.url(), backend.env(), backend.home), name);
      await cluster.writeRevision('kind: Cluster\nspec: {seed: true}\n', { expectedRevision: 0, author: 'seed' });
      return cluster;
    }

    async function checkLockedRace(cluster: ClusterStore, outcomes: RacerOutcome[]): Promise<void> {
      for (const o of outcomes) assert.ok(o.code === 0 || o.code === 3, `exit ${o.code}: ${o.error}`);
      const winners = outcomes.filter((o) => o.code === 0);
      assert.ok(winners.length >= 1, 'someone must win');
      for (const o of outcomes.filter((x) => x.code === 3)) {
        assert.match(o.error ?? '', /locked by racer-\d@racer-host \(pid \d+|changed under us/);
      }
      const numbers = await checkRevisions(cluster);
      assert.equal(numbers.length, 1 + winners.length);
      assert.deepEqual(winners.map((o) => o.revision).sort((a, b) => a! - b!), numbers.slice(1));
      assert.equal(await cluster.lockInfo(), null, 'the winners released their locks');
    }

    it(`${RACERS} processes lock + write a revision at once: each exits 0 or 3, revisions grow by the successes`, async () => {
      const cluster = await seeded('locked-race');
      const results = await raceProcesses(backend, { mode: 'revision', cluster: 'locked-race' });
      await checkLockedRace(cluster, results.map(outcomeOf));
    });

    it(`the same race 3 more times (long-lived racers): never a lost or torn revision`, async () => {
      for (let round = 0; round < 3; round++) {
        const cluster = await seeded(`locked-race-${round}`);
        await checkLockedRace(cluster, await raceInPool({ mode: 'revision', cluster: `locked-race-${round}` }));
      }
    });

    it(`${RACERS} racers retrying through lock conflicts: all succeed, exactly ${RACERS} new revisions`, async () => {
      const cluster = await seeded('retry-race');
      const outcomes = await raceInPool({ mode: 'revision', cluster: 'retry-race', retryForMs: 30_000 });
      for (const o of outcomes) assert.equal(o.code, 0, o.error);
      const numbers = await checkRevisions(cluster);
      assert.equal(numbers.length, 1 + RACERS);
      assert.deepEqual(outcomes.map((o) => o.revision).sort((a, b) => a! - b!), numbers.slice(1));
      assert.equal(await cluster.lockInfo(), null);
    });

    it(`${RACERS} racers writing revision 2 without the lock: create-only lets exactly one win`, async () => {
      for (let round = 0; round < 3; round++) {
        const cluster = await seeded(`cas-race-${round}`);
        const outcomes = await raceInPool({ mode: 'revision-nolock', cluster: `cas-race-${round}`, baseRevision: 1 });
        for (const o of outcomes) assert.ok(o.code === 0 || o.code === 3, `exit ${o.code}: ${o.error}`);
        assert.equal(outcomes.filter((o) => o.code === 0).length, 1);
        assert.deepEqual(await checkRevisions(cluster), [1, 2]);
      }
    });

    it(`${RACERS} racers doing CAS increments of one key: no lost update`, async () => {
      const increments = 5;
      const outcomes = await raceInPool({ mode: 'increment', cluster: 'counter', increments });
      for (const o of outcomes) assert.equal(o.code, 0, o.error);
      const store = await openBlobStore(backend.url(), backend.env(), backend.home);
      assert.equal((await store.get('counter/counter'))!.data.toString(), String(RACERS * increments));
    });
  });
}
