// `restore cluster --yes` on an HA control plane (controlPlane.count 3) on AWS, end to end with real components: the
// built CLI drives the control folder in S3 on moto; three control planes — three real etcd members (Debian's, TLS
// from k8sup's etcd CA, run from their static pod manifests, test/helpers/etcd-ha-nodes.ts) — each run the rendered
// k8sup-etcd-control on a timer with their own instance identity (one IMDSv2 fake each, so each has its own node name)
// and carry out restore-seed and rejoin with the rendered k8sup-etcd-restore. Both sides reach S3 through the throttle
// proxy, which loses chosen replies after S3 applied the write. Also: a command's backup and a timer backup taken in
// the same second on two control planes (distinct ids), and a poller from before HA restores (a clear exit).

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { renderEtcdBackupScript, renderEtcdControlScript, renderEtcdRestoreScript } from '../../src/bootstrap/index.js';
import type { BlobStore } from '../../src/state/blob.js';
import { openBlobStore } from '../../src/state/open.js';
import { storeAppliedBundle } from '../helpers/applied-bundle.js';
import { testInput } from '../helpers/bootstrap-fixtures.js';
import { k8sup, startK8sup, tempHome } from '../helpers/cli.js';
import { etcdctl, waitHealthy } from '../helpers/etcd.js';
import { commandWatcher, startControlResponder } from '../helpers/etcd-control-responder.js';
import { clusterId, fixedSecondDate, type ScriptRun, installScripts, localKeys, memberList, runScript, startHaEtcd, stopHaEtcd, timers, type HaNode, type Timers } from '../helpers/etcd-ha-nodes.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { waitFor } from '../helpers/net.js';
import { startThrottleProxy, type ThrottleProxy } from '../helpers/throttle-proxy.js';
import { startFakeImds, type FakeImds } from '../fakes/ec2-imds.js';

const BUCKET = 'k8sup-state';
const NAME = 'demo.k8s.local';
const STATE = `s3://${BUCKET}/team-a`;
/** Keys as the CLI's store sees them (under the store's team-a/ prefix). */
const PREFIX = `${NAME}/backups/etcd/`;
const CONTROL = `${PREFIX}control/`;
const NAMES = ['cp-a', 'cp-b', 'cp-c'];
const dir = mkdtempSync(join(tmpdir(), 'k8sup-etcd-ha-control-'));
let moto: Moto;
let proxy: ThrottleProxy;
let imds: FakeImds[] = [];
let nodes: HaNode[] = [];
let env: Record<string, string>;
let store: BlobStore;
let running: Timers | undefined;
const ORIGINAL = { '/registry/configmaps/kube-system/kubeadm-config': 'ClusterConfiguration', '/registry/deployments/default/web': 'replicas=3', '/registry/secrets/default/db': 's3cr3t' };
const LATER = { '/registry/pods/default/written-after-the-backup': 'x' };

const input = () => {
  const i = testInput('aws', 'control-plane-init');
  i.cluster.spec.controlPlane.count = 3;
  i.cluster.spec.etcd = { backups: { schedule: 'hourly', retain: 5 } };
  return i;
};

/** The rendered script, pointed at this node's metadata service and at S3 through the proxy (path-style, plain HTTP). */
function localized(script: string, i: number): string {
  const out = script
    .replace(/^IMDS=http:\/\/169\.254\.169\.254\/latest$/m, `IMDS=${imds[i].url}`)
    .replace(/^S3_HOST=.*$/m, `S3_HOST='${new URL(proxy.endpoint).host}'`)
    .replace(/^S3_BUCKET_PATH=.*$/m, `S3_BUCKET_PATH='/${BUCKET}'`)
    .replaceAll('https://${S3_HOST}', 'http://${S3_HOST}');
  assert.doesNotMatch(out, /169\.254\.169\.254|amazonaws\.com/);
  return out;
}

const text = async (key: string) => (await store.get(key))?.data.toString('utf8');
const json = async (key: string) => JSON.parse((await text(key))!);
const backupIds = async () => [...new Set((await store.list(PREFIX)).map((k) => k.slice(PREFIX.length).split('/')[0]).filter((k) => /^\d{8}T\d{6}Z(-[0-9a-f]{8})?$/.test(k)))].sort();
const commands = commandWatcher(() => text(`${CONTROL}command.json`));

before(async () => {
  moto = await startMoto();
  proxy = await startThrottleProxy(moto.endpoint, { throttleRate: 0, resetRate: 0 });
  await moto.createBucket(BUCKET);
  const home = tempHome();
  env = { HOME: home, ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, K8SUP_STATE_STORE: STATE };
  const created = await k8sup(['create', 'cluster', NAME, '--zones', 'us-east-2a,us-east-2b,us-east-2c', '--control-plane-count', '3'], { env, timeoutMs: 120_000 });
  assert.equal(created.code, 0, created.stderr);
  await storeAppliedBundle(STATE, { ...env, AWS_ENDPOINT_URL: moto.endpoint }, NAME, input());
  store = await openBlobStore(STATE, { ...moto.env, AWS_ENDPOINT_URL: moto.endpoint }, home);

  imds = await Promise.all(NAMES.map((n, i) => startFakeImds({ role: 'k8sup-control-plane', credentials: { accessKeyId: 'ASIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake/secret', token: 'FAKEsessionTOKEN' }, instanceId: `i-0000000000000000${i}`, localHostname: `${n}.us-east-2.compute.internal` })));
  nodes = await startHaEtcd(dir, NAMES);
  nodes.forEach((n, i) => installScripts(n, { backup: localized(renderEtcdBackupScript(input()), i), restore: localized(renderEtcdRestoreScript(input()), i), control: localized(renderEtcdControlScript(input()), i) }));
  for (const [k, v] of Object.entries(ORIGINAL)) assert.equal(etcdctl(nodes[0].root, nodes[0].member, ['put', k, v]).status, 0);
});

after(async () => {
  await running?.stop();
  await stopHaEtcd(nodes);
  for (const i of imds) await i.stop();
  await proxy?.stop();
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let backupId = '';
/** The node the restore test took as its seed. */
let firstSeed: HaNode | undefined;

test('a command backup and the timer backup of another control plane in the same second get distinct ids; the CLI takes its own', { timeout: 240_000 }, async () => {
  const cli = startK8sup(['backup', 'cluster', NAME, '-o', 'json', '--wait', '3m'], { env, timeoutMs: 200_000 });
  const command = await commands.next();
  // Every node's timer backup (only the leader uploads) and every node's poller (one claims), all in one second.
  const second = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const sameSecond = fixedSecondDate(dir, second);
  // The pollers first (one claims the command), then — while the claimer snapshots — the timers: had the timer's
  // backup landed before the claim, the CLI could take it as the answer instead (docs/backups.md, "The control folder").
  const polls = nodes.map((n) => runScript(n, 'k8sup-etcd-control', [], { pathPrefix: sameSecond }));
  await waitFor(async () => (await text(`${CONTROL}${command.id}/claim.json`)) !== undefined, { timeoutMs: 30_000, intervalMs: 50, what: 'a poller to claim the command' });
  const runs = await Promise.all([...polls, ...nodes.map((n) => runScript(n, 'k8sup-etcd-backup', [], { pathPrefix: sameSecond }))]);
  for (const r of runs) assert.equal(r.status, 0, r.stderr);
  const r = await cli.done;
  assert.equal(r.code, 0, r.stderr);
  const { backup } = JSON.parse(r.stdout);
  assert.equal(backup.id, `${second}-${command.id.slice(-8)}`);
  assert.equal(backup.command, command.id);
  // Both backups are there, complete, each with its own manifest: the timer's did not overwrite the command's.
  assert.deepEqual(await backupIds(), [second, backup.id]);
  assert.equal((await json(`${PREFIX}${second}/manifest.json`)).trigger, 'schedule');
  assert.equal((await json(`${PREFIX}${backup.id}/manifest.json`)).command, command.id);
  const listed = await k8sup(['get', 'backups', NAME, '-o', 'json'], { env });
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout).backups.map((b: { id: string; complete: boolean }) => [b.id, b.complete]), [[second, true], [backup.id, true]]);
  backupId = backup.id;
  for (const [k, v] of Object.entries(LATER)) assert.equal(etcdctl(nodes[1].root, nodes[1].member, ['put', k, v]).status, 0);
});

test('control planes whose poller predates HA restores: the CLI stops with the manual steps, nothing changed', { timeout: 180_000 }, async () => {
  assert.ok(backupId, 'the backup test ran first');
  // A k8sup-etcd-control from before HA restores claims any command and answers what it does not know as failed.
  const old = startControlResponder(store, NAME, { node: 'cp-old.us-east-2.compute.internal' });
  try {
    const r = await k8sup(['restore', 'cluster', NAME, '--backup', backupId, '--yes', '--wait', '1m'], { env, timeoutMs: 120_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /control plane cp-old\.us-east-2\.compute\.internal runs a k8sup-etcd-control without HA restore \(it answered: unknown command action restore-seed\); nothing was changed/);
    assert.match(r.stderr, /Restoring an HA control plane by hand/);
    assert.equal(old.answered.length, 1);
  } finally {
    await old.stop();
  }
  for (const n of nodes) assert.deepEqual(localKeys(n), { ...ORIGINAL, ...LATER });
});

test('restore cluster --yes on three AWS control planes: seed, then two rejoins; a lost claim reply and kill -9 of the CLI mid-way, the re-run finishes', { timeout: 600_000 }, async () => {
  assert.ok(backupId, 'the backup test ran first');
  const preview = await k8sup(['restore', 'cluster', NAME, '--backup', backupId, '-o', 'json'], { env });
  assert.equal(preview.code, 0, preview.stderr);
  const steps = JSON.parse(preview.stdout).steps.map((s: { host: string; step: string }) => `${s.host}: ${s.step}`).join('\n');
  assert.match(steps, /seed.*restore-seed command/);
  assert.equal((steps.match(/rejoin command/g) ?? []).length, 2);

  const before = nodes.map((n) => readdirSync(n.member.dataDir).filter((f) => f.startsWith('k8sup-before-restore-')).length);
  // The first claim's reply is lost after S3 applied it: the poller must recognise its own claim.
  const lost = proxy.stats.resetAfter;
  proxy.dropReplyOnce((req) => req.method === 'PUT' && req.path.includes(`/team-a/${CONTROL}`) && req.path.endsWith('/claim.json'));
  running = timers(nodes, { pauseMs: 1000, fastSeconds: 15 });
  const first = startK8sup(['restore', 'cluster', NAME, '--backup', backupId, '--yes', '--wait', '5m', '--progress', 'ndjson'], { env, timeoutMs: 400_000 });
  // kill -9 once the seed answered (the CLI then writes the record and asks the first rejoin).
  let exited = false;
  void first.done.then(() => (exited = true));
  await waitFor(async () => /etcd\.restore\.seeded/.test(first.stderr()) || exited, { timeoutMs: 300_000, intervalMs: 200, what: 'the seed step' }).catch((e) => {
    throw new Error(`${e.message}\nCLI: ${first.stderr()}\nnodes: ${[...running!.logs.values()].join('\n---\n')}`);
  });
  assert.equal(exited, false, first.stderr());
  first.child.kill('SIGKILL');
  await first.done;
  assert.equal(proxy.stats.resetAfter - lost, 1, 'the claim reply was lost');
  const record = await json(`${CONTROL}restore.json`);
  assert.equal(record.done, false);
  assert.ok(record.seed, 'the seed is recorded');

  const rerun = await k8sup(['restore', 'cluster', NAME, '--backup', backupId, '--yes', '--wait', '5m', '--lock-timeout', '2m', '--progress', 'ndjson'], { env, timeoutMs: 400_000 });
  assert.equal(rerun.code, 0, rerun.stderr + [...running.logs.values()].join('\n---\n'));
  assert.match(rerun.stderr, /etcd\.restore\.resumed/);
  assert.match(rerun.stderr, new RegExp(`Restored etcd of ${NAME.replaceAll('.', '\\.')} from backup ${backupId}`));
  await running.stop();
  running = undefined;

  const done = await json(`${CONTROL}restore.json`);
  assert.equal(done.done, true);
  assert.equal(done.joined.length, 2);
  assert.deepEqual([done.seed.node, ...done.joined].sort(), NAMES.map((n) => `${n}.us-east-2.compute.internal`));
  firstSeed = nodes.find((n) => done.seed.node === `${n.name}.us-east-2.compute.internal`);
  for (const n of nodes) {
    await waitHealthy(n.root, n.member, 60_000);
    assert.deepEqual(localKeys(n), ORIGINAL, `${n.name}'s own data: the backup's keys, not the later ones`);
    assert.deepEqual(memberList(n), nodes.map((m) => `started ${m.name} ${m.member.peerUrl}`).sort(), `${n.name} sees all three members`);
  }
  assert.equal(new Set(nodes.map(clusterId)).size, 1, 'one cluster, not three');
  // Each member's old data was moved aside exactly once: the seed was not restored twice, no member rejoined twice.
  nodes.forEach((n, i) => assert.equal(readdirSync(n.member.dataDir).filter((f) => f.startsWith('k8sup-before-restore-')).length, before[i] + 1, n.name));
  // And it replicates.
  assert.equal(etcdctl(nodes[2].root, nodes[2].member, ['put', '/registry/pods/default/after-restore', 'y']).status, 0);
  for (const n of nodes) await waitFor(async () => localKeys(n)['/registry/pods/default/after-restore'] === 'y', { timeoutMs: 10_000, intervalMs: 100, what: `the write on ${n.name}` });

  // Finished: the next timer runs leave etcd alone.
  const stops = nodes.map((n) => n.kubelet.stops);
  for (const n of nodes) assert.equal((await runScript(n, 'k8sup-etcd-control', [], { env: { K8SUP_CONTROL_FAST_SECONDS: '0' } })).status, 0);
  assert.deepEqual(nodes.map((n) => n.kubelet.stops), stops);
});

test('the node side of a rejoin killed (SIGKILL) right after it added itself at the seed: run again, it reuses that membership and joins once', { timeout: 300_000 }, async () => {
  assert.ok(backupId && firstSeed, 'the restore test ran first');
  const rid = '20261201T230000Z-0c0ffee0';
  // The same seed as the restore before: restored from the same snapshot on the same host, the new cluster must not
  // take the ids of the one it replaces, which the other two members still run until they rejoin.
  const seed = firstSeed;
  const [killed, last] = nodes.filter((n) => n !== seed);
  const moved = (n: HaNode) => readdirSync(n.member.dataDir).filter((f) => f.startsWith('k8sup-before-restore-')).length;
  const before = nodes.map(moved);
  const replaced = clusterId(killed);
  // The seed of a new restore, as its poller runs it.
  const fetched = await runScript(seed, 'k8sup-etcd-restore', ['fetch', backupId]);
  assert.equal(fetched.status, 0, fetched.stderr);
  const snapshot = /^snapshot=(.*)$/m.exec(fetched.stdout)![1];
  const sha = /^sha256=(\S+)$/m.exec(fetched.stdout)![1];
  const seeded = await runScript(seed, 'k8sup-etcd-restore', ['seed', snapshot, sha, rid], { timeoutMs: 60_000 });
  assert.equal(seeded.status, 0, seeded.stderr + seed.kubelet.log);
  const client = /^client=(\S+)$/m.exec(seeded.stdout)![1];
  assert.equal(client, seed.member.clientUrl);
  assert.notEqual(clusterId(seed), replaced, 'the restored cluster has ids of its own');
  // Until they rejoin, the two members on the old data are two of the old cluster's three: had they stayed members,
  // they would still be its quorum and serve (and take writes for) the old data beside the restored seed, each with
  // its own API server. The seed removed them from the old cluster first, so neither serves a quorum read.
  for (const n of [killed, last]) {
    const read = etcdctl(n.root, n.member, ['--command-timeout=5s', '--dial-timeout=3s', 'get', '/registry/secrets/default/db']);
    assert.notEqual(read.status, 0, `${n.name} still serves the old cluster's data beside the restored seed: ${read.stdout}`);
  }
  assert.match(seeded.stderr, new RegExp(`removed member ${killed.name} \\(${killed.member.peerUrl.replaceAll('.', '\\.')}\\) from the old cluster`));

  // A rejoin killed once `member add` has answered (its log line), then the same rejoin again.
  const ctl = new AbortController();
  const first = runScript(killed, 'k8sup-etcd-restore', ['rejoin', client, rid], { signal: ctl.signal, timeoutMs: 120_000 });
  let ended: ScriptRun | undefined;
  void first.then((r) => (ended = r));
  await waitFor(async () => ended !== undefined || memberList(seed).some((m) => m.includes(killed.member.peerUrl)), { timeoutMs: 120_000, intervalMs: 20, what: 'the rejoin to add itself at the seed' });
  assert.equal(ended, undefined, `the rejoin ended before it was killed: ${ended?.stderr}`);
  ctl.abort();
  await first;
  const again = await runScript(killed, 'k8sup-etcd-restore', ['rejoin', client, rid], { timeoutMs: 60_000 });
  assert.equal(again.status, 0, again.stderr + killed.kubelet.log);
  const joined = await runScript(last, 'k8sup-etcd-restore', ['rejoin', client, rid], { timeoutMs: 60_000 });
  assert.equal(joined.status, 0, joined.stderr + last.kubelet.log);
  // And a rejoin repeated on a member that joined changes nothing.
  const stops = killed.kubelet.stops;
  assert.equal((await runScript(killed, 'k8sup-etcd-restore', ['rejoin', client, rid])).status, 0);
  assert.equal(killed.kubelet.stops, stops);

  for (const n of nodes) {
    await waitHealthy(n.root, n.member, 60_000);
    assert.deepEqual(localKeys(n), ORIGINAL, `${n.name}'s own data`);
    assert.deepEqual(memberList(n), nodes.map((m) => `started ${m.name} ${m.member.peerUrl}`).sort(), `${n.name} sees three started members`);
  }
  assert.equal(new Set(nodes.map(clusterId)).size, 1, 'one cluster');
  nodes.forEach((n, i) => assert.equal(moved(n), before[i] + 1, `${n.name}'s data was moved aside once`));
});
