// Stopping a run part-way: SIGTERM (a cancelled CI job, `timeout`), SIGHUP (the terminal went away), SIGINT
// (Ctrl-C) and a closed output pipe each stop the apply after the calls in flight, release the cluster's lock, and
// exit 128+n; the next `update --yes` resumes with nothing duplicated. Through the real CLI against moto, behind a
// proxy that adds latency so the apply is still running when the signal comes.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startK8sup, k8sup, type RunningCli } from '../helpers/cli.js';
import { tempHome } from '../helpers/cli.js';
import { waitFor } from '../helpers/net.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { startThrottleProxy, type ThrottleProxy } from '../helpers/throttle-proxy.js';
import { taggedResources, total } from './aws-helpers.js';

const BUCKET = 'k8sup-interrupts';
const PREFIX = 'clusters';

let moto: Moto;
let proxy: ThrottleProxy;
let env: Record<string, string>;
let s3: import('@aws-sdk/client-s3').S3Client;

before(async () => {
  moto = await startMoto();
  proxy = await startThrottleProxy(moto.endpoint, { throttleRate: 0, resetRate: 0, latencyMs: 50 });
  env = { HOME: tempHome(), ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, K8SUP_STATE_STORE: `s3://${BUCKET}/${PREFIX}`, K8SUP_PROGRESS: 'ndjson' };
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
});
after(async () => {
  await proxy?.stop();
  await moto?.stop();
});

const run = (...args: string[]) => k8sup(args, { env, timeoutMs: 180_000 });

async function lockHeld(name: string): Promise<boolean> {
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${PREFIX}/${name}/lock.json` }));
  return (listed.Contents ?? []).length > 0;
}

// Finished creates, not any finished task: an update's first tasks may be in-place updates that create nothing, and
// with the journal's group commit they finish before the creates in flight, so "progress" would not show in the cloud.
const finishedTasks = (r: RunningCli | { stderr: string }) =>
  (typeof r.stderr === 'function' ? r.stderr() : r.stderr).split('\n').filter((l) => l.includes('"code":"task.done"') && l.includes('"action":"create"')).length;

/** Starts `args`, sends `signal` once `after` more resources are created (mid-apply, the lock held), and waits for the end. */
async function interrupt(args: string[], signal: NodeJS.Signals, after: number) {
  const cli = startK8sup(args, { env, timeoutMs: 180_000 });
  await waitFor(async () => finishedTasks(cli) >= after || cli.child.exitCode !== null, { timeoutMs: 120_000, what: `${after} finished tasks` });
  assert.equal(cli.child.exitCode, null, `the run ended before it could be interrupted:\n${cli.stderr()}`);
  cli.child.kill(signal);
  const r = await cli.done;
  assert.equal(r.signal, undefined, `k8sup died of ${r.signal} instead of stopping cleanly:\n${r.stderr}`);
  return r;
}

test('SIGTERM, SIGHUP and SIGINT mid-apply: tasks in flight finish, the lock is released, exit 128+n, update --yes resumes', { timeout: 600_000 }, async () => {
  // SIGTERM stops a create and SIGHUP the update that resumes it; SIGINT stops the create of a second cluster. Each
  // signal then comes with most of a graph still to do: two interrupted runs of one cluster leave a third too little
  // (the creates in flight finish), and its signal could come after the apply.
  const first = 'signals.k8s.local';
  const second = 'signals-int.k8s.local';
  const cases: [NodeJS.Signals, number, string, string[]][] = [
    ['SIGTERM', 143, first, ['create', 'cluster', first, '--zones', 'us-east-2a', '--yes']],
    ['SIGHUP', 129, first, ['update', 'cluster', first, '--yes']],
    ['SIGINT', 130, second, ['create', 'cluster', second, '--zones', 'us-east-2a', '--yes']],
  ];
  const before = new Map<string, number>();
  for (const [signal, code, name, args] of cases) {
    // At the first finished create: the tasks in flight then still finish, and AWS lets many run at once (its clients
    // limit the calls), so later signals would otherwise come after the last create.
    const r = await interrupt(args, signal, 1);
    assert.equal(r.code, code, `${signal}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, new RegExp(`"code":"run.interrupted".*Interrupted \\(${signal}\\): finishing the tasks in flight`));
    // --progress ndjson: the interruption is said as a JSON event, not a plain line among them.
    assert.deepEqual(r.stderr.split('\n').filter((l) => !l.startsWith('{') && /Interrupted/.test(l)), []);
    assert.match(resultOf(r.stderr).error, new RegExp(`^interrupted by ${signal}: apply cancelled`));
    // Every task that started also ended (done or failed): none was abandoned mid-call.
    const events = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const startedTasks = new Set(events.filter((e) => e.code === 'task.start').map((e) => e.task));
    const endedTasks = new Set(events.filter((e) => ['task.done', 'task.failed', 'task.cancelled'].includes(e.code)).map((e) => e.task));
    assert.deepEqual([...startedTasks].filter((t) => !endedTasks.has(t)), [], `${signal}: tasks left in flight`);
    assert.equal(await lockHeld(name), false, `${signal}: lock.json was left behind`);
    const created = total(await taggedResources(moto.env, name));
    assert.ok(created > (before.get(name) ?? 0), `${signal}: the interrupted run made progress (${before.get(name) ?? 0} → ${created})`);
    before.set(name, created);
  }

  for (const name of [first, second]) {
    const resumed = await run('update', 'cluster', name, '--yes');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal((await run('update', 'cluster', name, '--detailed-exitcode')).code, 0, `${name}: nothing left to do`);
    const counts = Object.fromEntries(Object.entries(await taggedResources(moto.env, name)).map(([k, v]) => [k, v.length]));
    for (const kind of ['vpcs', 'subnets', 'internetGateways', 'routeTables']) assert.equal(counts[kind], 1, `${name} ${kind}: ${counts[kind]}`);
    // The public API load balancer and the internal one the nodes use, each with its target group.
    for (const kind of ['loadBalancers', 'targetGroups']) assert.equal(counts[kind], 2, `${name} ${kind}: ${counts[kind]}`);
    assert.equal(counts.autoScalingGroups, 2);
    assert.equal(counts.launchTemplates, 2);
    assert.equal((await run('delete', 'cluster', name, '--yes')).code, 0);
    assert.equal(total(await taggedResources(moto.env, name)), 0);
  }
});

test('a closed output pipe (create --yes -o json | true): the run stops, releases the lock and exits 141; update --yes finishes', { timeout: 300_000 }, async () => {
  const name = 'pipe.k8s.local';
  const cli = startK8sup(['create', 'cluster', name, '--zones', 'us-east-2b', '--yes', '-o', 'json'], { env, timeoutMs: 180_000, closeStdout: true });
  const r = await cli.done;
  assert.equal(r.code, 141, r.stderr);
  assert.match(resultOf(r.stderr).error, /^the output pipe was closed before all output was written \(EPIPE\)/);
  assert.equal(await lockHeld(name), false, 'lock.json was left behind');

  const resumed = await run('update', 'cluster', name, '--yes');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal((await run('update', 'cluster', name, '--detailed-exitcode')).code, 0);
  assert.equal((await run('delete', 'cluster', name, '--yes')).code, 0);
  assert.equal(total(await taggedResources(moto.env, name)), 0);
});

test('a read-only command whose reader has gone exits 141, not 0', { timeout: 120_000 }, async () => {
  const name = 'reader.k8s.local';
  assert.equal((await run('create', 'cluster', name, '--zones', 'us-east-2c')).code, 0);
  const r = await startK8sup(['get', 'cluster', name, '-o', 'json'], { env, closeStdout: true }).done;
  assert.equal(r.code, 141, r.stderr);
  const whole = await run('get', 'cluster', name, '-o', 'json');
  assert.equal(whole.code, 0, 'with its reader there, the same command succeeds');
});

/** The run's last NDJSON event, `result`: its error is what the plain mode prints after `error: `. */
function resultOf(stderr: string): { exitCode: number; error: string } {
  const last = JSON.parse(stderr.trim().split('\n').at(-1)!);
  assert.equal(last.code, 'result', stderr);
  return last;
}
