// `npm run soak`: the fault soak of issue #11. N create → no-op update → delete cycles through the real CLI on moto,
// every service (S3 state included) behind a proxy that throttles a share of calls and drops replies after moto
// executed the request. Counts, independently of k8sup (raw API calls on moto, not through the proxy):
//   wedged      a cluster whose create did not converge with at most one extra `update --yes`
//   selfLocks   any run that exited 3 (a run locking itself out, or a conflict on its own write)
//   duplicates  a kind with more objects after create than one clean create makes
//   leaked      anything still carrying the cluster's tag after delete (or a lock/state left in the store)
//   unlocks     `unlock` calls the cycle needed (the goal is none: there is no code path here that calls it)
// Not part of `npm test`: it takes minutes. Prints a JSON report; docs/benchmarks.md keeps the figures.

import { K8SUP, k8sup, tempHome } from '../test/helpers/cli.js';
import { startMoto } from '../test/helpers/moto.js';
import { startSerialWritesProxy } from '../test/helpers/serial-writes-proxy.js';
import { startThrottleProxy } from '../test/helpers/throttle-proxy.js';
import { taggedResources } from '../test/integration/aws-helpers.js';

const cycles = Number(process.env.SOAK_CYCLES ?? 20);
const throttleRate = Number(process.env.SOAK_THROTTLE ?? 0.2);
// The proxy splits resetRate evenly between resets before the request reaches moto and drops after moto ran it.
const dropAfterRate = Number(process.env.SOAK_DROP_AFTER ?? 0.03);
const BUCKET = 'k8sup-soak';

const moto = await startMoto();
// moto checks If-Match / If-None-Match and stores in two steps; serialising writes gives it S3's per-key atomicity.
const serial = await startSerialWritesProxy(moto.endpoint);
const proxy = await startThrottleProxy(serial.endpoint, { throttleRate, resetRate: 2 * dropAfterRate, seed: Number(process.env.SOAK_SEED ?? 7) });
const home = tempHome();
const env = { HOME: home, ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, K8SUP_STATE_STORE: `s3://${BUCKET}/soak` };
const { S3Client, CreateBucketCommand, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));

// SOAK_VERBOSE=1 runs every command with -v and keeps the whole stderr of failed runs (stack traces included).
const verbose = process.env.SOAK_VERBOSE === '1';
const run = (...args: string[]) => k8sup(verbose ? ['-v', ...args] : args, { env, timeoutMs: 600_000 });
const counts = (r: Record<string, string[]>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.length]));

interface Cycle {
  cluster: string;
  createExit: number;
  extraUpdates: number;
  noopExit: number;
  deleteExit: number;
  extraDeletes: number;
  exit3: number;
  /** The error and hint of each failed run (the last two stderr lines). */
  errors: string[];
  duplicates: string[];
  leaked: Record<string, number>;
  stateLeft: number;
  ms: number;
}

let baseline: Record<string, number> | undefined;
const results: Cycle[] = [];
const started = Date.now();
try {
  for (let i = 1; i <= cycles; i++) {
    const cluster = `soak-${i}.k8s.local`;
    const t0 = Date.now();
    const c: Cycle = { cluster, createExit: -1, extraUpdates: 0, noopExit: -1, deleteExit: -1, extraDeletes: 0, exit3: 0, errors: [], duplicates: [], leaked: {}, stateLeft: 0, ms: 0 };
    const note = (r: { code: number; stderr: string }) => {
      if (r.code === 3) c.exit3++;
      if (r.code !== 0) c.errors.push(verbose ? r.stderr : r.stderr.trim().split('\n').slice(-2).join(' | '));
      return r.code;
    };
    c.createExit = note(await run('create', 'cluster', cluster, '--zones', 'us-east-2a', '--yes'));
    let converged = c.createExit === 0;
    if (!converged) {
      c.extraUpdates++;
      converged = note(await run('update', 'cluster', cluster, '--yes')) === 0;
    }
    if (converged) {
      const live = counts(await taggedResources(moto.env, cluster));
      // One cluster's kinds and counts are the same every cycle; the first clean create is the yardstick.
      baseline ??= live;
      c.duplicates = Object.keys(live).filter((k) => live[k] > (baseline![k] ?? 0));
      const noop = await run('update', 'cluster', cluster, '--detailed-exitcode');
      c.noopExit = note(noop);
      // A non-empty plan is the finding: keep what it planned.
      if (noop.code === 2) c.errors.push(`no-op plan: ${noop.stdout.trim().split('\n').filter((l) => /^\s*[-+~]|to (create|update|delete)/.test(l)).join(' | ')}`);
    }
    c.deleteExit = note(await run('delete', 'cluster', cluster, '--yes'));
    if (c.deleteExit !== 0) {
      c.extraDeletes++;
      note(await run('delete', 'cluster', cluster, '--yes'));
    }
    c.leaked = Object.fromEntries(Object.entries(counts(await taggedResources(moto.env, cluster))).filter(([, n]) => n > 0));
    c.stateLeft = (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `soak/${cluster}/` }))).KeyCount ?? 0;
    c.ms = Date.now() - t0;
    results.push(c);
    process.stderr.write(`${cluster}: create ${c.createExit}${c.extraUpdates ? ` +update` : ''}, noop ${c.noopExit}, delete ${c.deleteExit}${c.extraDeletes ? ' +delete' : ''}, ${(c.ms / 1000).toFixed(1)} s\n`);
  }
} finally {
  await proxy.stop();
  await serial.stop();
  await moto.stop();
}

const report = {
  k8sup: K8SUP,
  cycles,
  faults: { throttleRate, dropAfterRate, resetBeforeRate: dropAfterRate, throttled: proxy.stats.throttled, resetBefore: proxy.stats.resetBefore, resetAfter: proxy.stats.resetAfter },
  wedged: results.filter((c) => c.createExit !== 0 && c.extraUpdates > 0 && c.noopExit === -1).length,
  createsNeedingExtraUpdate: results.filter((c) => c.extraUpdates > 0).length,
  nonEmptyNoopPlans: results.filter((c) => c.noopExit !== 0).length,
  selfLocks: results.reduce((n, c) => n + c.exit3, 0),
  duplicates: results.filter((c) => c.duplicates.length > 0).length,
  leaked: results.filter((c) => Object.keys(c.leaked).length > 0 || c.stateLeft > 0).length,
  deletesNeedingRerun: results.filter((c) => c.extraDeletes > 0).length,
  unlocks: 0,
  minutes: +((Date.now() - started) / 60_000).toFixed(1),
  failures: results.filter((c) => c.createExit !== 0 || c.noopExit !== 0 || c.deleteExit !== 0 || c.duplicates.length || Object.keys(c.leaked).length || c.stateLeft),
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
