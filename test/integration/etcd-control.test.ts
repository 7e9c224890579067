// On-demand etcd backup and restore on AWS through the state store's control folder (docs/backups.md, "The control
// folder"), end to end with real components: the built CLI (`backup cluster`, `restore cluster --yes`) writes a
// command into S3 on moto; the rendered k8sup-etcd-control — what the control plane's timer runs every minute — reads
// it with the instance identity (an IMDSv2 fake), claims it, runs the rendered k8sup-etcd-backup / k8sup-etcd-restore
// against a real etcd (Debian's, TLS from k8sup's etcd CA, run from its static pod manifest by a small "kubelet",
// test/helpers/etcd.ts) and writes the result; the CLI prints the backup it answers with. Both sides reach S3 through
// test/helpers/throttle-proxy.ts, which loses chosen replies after S3 applied the write. Only addresses are
// substituted in the scripts: the metadata service and S3 endpoint become the test's, https becomes http.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { renderEtcdBackupScript, renderEtcdControlScript, renderEtcdRestoreScript } from '../../src/bootstrap/index.js';
import { storeAppliedBundle } from '../helpers/applied-bundle.js';
import { testInput } from '../helpers/bootstrap-fixtures.js';
import { k8sup, startK8sup, tempHome } from '../helpers/cli.js';
import { etcdctl, etcdKeys, newMember, StaticPodKubelet, waitHealthy, writeEtcdManifest, writeEtcdPki, type EtcdMember } from '../helpers/etcd.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { waitFor } from '../helpers/net.js';
import { commandWatcher } from '../helpers/etcd-control-responder.js';
import { startThrottleProxy, type ThrottleProxy } from '../helpers/throttle-proxy.js';
import { startFakeImds, type FakeImds } from '../fakes/ec2-imds.js';

const BUCKET = 'k8sup-state';
const NAME = 'demo.k8s.local';
const STATE = `s3://${BUCKET}/team-a`;
const PREFIX = `team-a/${NAME}/backups/etcd/`;
const CONTROL = `${PREFIX}control/`;
const dir = mkdtempSync(join(tmpdir(), 'k8sup-etcd-control-'));
const root = join(dir, 'cp1');
let moto: Moto;
let proxy: ThrottleProxy;
let imds: FakeImds;
let s3: import('@aws-sdk/client-s3').S3Client;
let member: EtcdMember;
let kubelet: StaticPodKubelet;
let env: Record<string, string>;
const ORIGINAL = { '/registry/pods/default/web': 'v1', '/registry/secrets/default/token': 's3cr3t', '/registry/configmaps/kube-system/k8sup': 'hello' };

/** The control plane's scripts: one control plane, scheduled backups off — on-demand ones must work all the same. */
const input = () => {
  const i = testInput('aws', 'control-plane-init');
  i.cluster.spec.controlPlane.count = 1;
  i.cluster.spec.etcd = { backups: { schedule: 'off', retain: 24 } };
  return i;
};

/** The rendered script, pointed at the test's metadata service and at S3 through the proxy (path-style, plain HTTP). */
function localized(script: string): string {
  const out = script
    .replace(/^IMDS=http:\/\/169\.254\.169\.254\/latest$/m, `IMDS=${imds.url}`)
    .replace(/^S3_HOST=.*$/m, `S3_HOST='${new URL(proxy.endpoint).host}'`)
    .replace(/^S3_BUCKET_PATH=.*$/m, `S3_BUCKET_PATH='/${BUCKET}'`)
    .replaceAll('https://${S3_HOST}', 'http://${S3_HOST}');
  assert.doesNotMatch(out, /169\.254\.169\.254|amazonaws\.com/);
  return out;
}

/** Installs the three scripts where the bootstrap puts them (under the test's root: k8sup-etcd-control calls the others there). */
function installScripts(): void {
  const sbin = join(root, 'usr/local/sbin');
  mkdirSync(sbin, { recursive: true });
  writeFileSync(join(sbin, 'k8sup-etcd-backup'), localized(renderEtcdBackupScript(input())), { mode: 0o755 });
  writeFileSync(join(sbin, 'k8sup-etcd-restore'), localized(renderEtcdRestoreScript(input())), { mode: 0o755 });
  writeFileSync(join(sbin, 'k8sup-etcd-control'), localized(renderEtcdControlScript(input())), { mode: 0o755 });
}

/** One run of k8sup-etcd-control, as k8sup-etcd-control.service runs it, without blocking this process (the kubelet and fakes live here). */
function poll(): Promise<{ status: number | null; stdout: string; stderr: string }> {
  // No crictl on this PATH: the scripts use the host's etcdctl, as on a host without a running etcd container.
  const child = spawn('bash', [join(root, 'usr/local/sbin/k8sup-etcd-control')], { env: { PATH: '/usr/bin:/bin', K8SUP_ROOT: root }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  return new Promise((resolve) =>
    child.on('close', (status) => {
      clearTimeout(killer);
      resolve({ status, stdout, stderr });
    }),
  );
}

async function keys(prefix = PREFIX): Promise<string[]> {
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const r = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key!.slice(prefix.length)).sort();
}

async function objectText(key: string): Promise<string | undefined> {
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  try {
    const r = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return Buffer.from(await r.Body!.transformToByteArray()).toString('utf8');
  } catch (e) {
    if ((e as { name?: string }).name === 'NoSuchKey') return undefined;
    throw e;
  }
}

const backupIds = async () => [...new Set((await keys()).map((k) => k.split('/')[0]).filter((k) => /^\d{8}T\d{6}Z(-[0-9a-f]{8})?$/.test(k)))];

const commands = commandWatcher(() => objectText(`${CONTROL}command.json`));
const nextCommand = () => commands.next();

before(async () => {
  moto = await startMoto();
  proxy = await startThrottleProxy(moto.endpoint, { throttleRate: 0, resetRate: 0 });
  imds = await startFakeImds({ role: 'k8sup-control-plane', credentials: { accessKeyId: 'ASIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake/secret', token: 'FAKEsessionTOKEN' } });
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
  env = { HOME: tempHome(), ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, K8SUP_STATE_STORE: STATE };
  // The cluster's spec and PKI in the store (create without --yes), as after `create cluster`.
  const created = await k8sup(['create', 'cluster', NAME, '--zones', 'us-east-2a'], { env, timeoutMs: 120_000 });
  assert.equal(created.code, 0, created.stderr);
  await storeAppliedBundle(STATE, { ...env, AWS_ENDPOINT_URL: moto.endpoint }, NAME, input());

  await writeEtcdPki(root);
  member = await newMember('cp1', join(dir, 'var-lib-etcd'));
  writeEtcdManifest(root, member);
  kubelet = new StaticPodKubelet(root);
  kubelet.start();
  await waitHealthy(root, member);
  for (const [k, v] of Object.entries(ORIGINAL)) assert.equal(etcdctl(root, member, ['put', k, v]).status, 0);
  installScripts();
});

after(async () => {
  await kubelet?.stop();
  s3?.destroy();
  await imds?.stop();
  await proxy?.stop();
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let firstBackup = '';

test('backup cluster on AWS: the CLI leaves a command, the control plane takes the snapshot of the real etcd, the CLI prints it', { timeout: 240_000 }, async () => {
  // Nothing asked yet: the poller reads the control folder and does nothing.
  const idle = await poll();
  assert.equal(idle.status, 0, idle.stderr);
  assert.deepEqual(await backupIds(), []);

  const cli = startK8sup(['backup', 'cluster', NAME, '-o', 'json', '--wait', '3m'], { env, timeoutMs: 200_000 });
  const command = await nextCommand();
  assert.equal(command.action, 'backup');
  assert.match(command.id, /^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
  const polled = await poll();
  assert.equal(polled.status, 0, polled.stderr);
  assert.match(polled.stderr, new RegExp(`claimed command ${command.id} \\(backup\\)`));
  const r = await cli.done;
  assert.equal(r.code, 0, r.stderr);
  const { backup } = JSON.parse(r.stdout);

  // The backup the CLI printed is the one in the store, taken for this command, of this etcd.
  assert.deepEqual(await backupIds(), [backup.id]);
  const manifest = JSON.parse((await objectText(`${PREFIX}${backup.id}/manifest.json`))!);
  const { v: _v, ...described } = manifest;
  assert.deepEqual(backup, described);
  assert.equal(manifest.command, command.id);
  assert.equal(manifest.trigger, 'manual');
  assert.equal(manifest.member, 'cp1');
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  const snap = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}${backup.id}/snapshot.db` }))).Body!.transformToByteArray());
  assert.equal(createHash('sha256').update(snap).digest('hex'), manifest.sha256);
  assert.ok(manifest.revision >= Object.keys(ORIGINAL).length + 1);
  // On-demand backups stay out of the timer's index (the CLI keeps `retain` manual backups itself).
  assert.ok(!(await keys()).includes('index'));
  const result = JSON.parse((await objectText(`${CONTROL}${command.id}/result.json`))!);
  assert.equal(result.status, 'done');
  assert.equal(result.backup, backup.id);

  // The next minute's run finds the command answered: it is never carried out twice.
  const again = await poll();
  assert.equal(again.status, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /claimed/);
  assert.deepEqual(await backupIds(), [backup.id]);
  assert.equal(imds.refused, 0);
  firstBackup = backup.id;
});

test('two control planes poll at once, and the claim, the snapshot and the result lose their replies: one backup, the right answer', { timeout: 240_000 }, async () => {
  const before = await backupIds();
  const cli = startK8sup(['backup', 'cluster', NAME, '-o', 'json', '--wait', '3m'], { env, timeoutMs: 200_000 });
  const command = await nextCommand();
  // S3 applies these writes, then the connection is reset: what a naive client takes for a failure and repeats.
  const put = (suffix: string) => (req: { method: string; path: string }) => req.method === 'PUT' && req.path.includes(`/${PREFIX}`) && req.path.endsWith(suffix);
  const lostBefore = proxy.stats.resetAfter;
  proxy.dropReplyOnce(put(`${command.id}/claim.json`));
  proxy.dropReplyOnce(put('/snapshot.db'));
  proxy.dropReplyOnce(put(`${command.id}/result.json`));
  await new Promise((r) => setTimeout(r, 1100)); // backup ids are per second: a second backup would have its own
  const [a, b] = await Promise.all([poll(), poll()]);
  for (const p of [a, b]) assert.equal(p.status, 0, p.stderr);
  const claimedBy = [a, b].filter((p) => new RegExp(`claimed command ${command.id}`).test(p.stderr));
  assert.equal(claimedBy.length, 1, `${a.stderr}\n---\n${b.stderr}`);
  assert.match([a, b].find((p) => !claimedBy.includes(p))!.stderr, new RegExp(`command ${command.id} is claimed by`));
  assert.equal(proxy.stats.resetAfter - lostBefore, 3, 'every chosen reply was lost');
  const r = await cli.done;
  assert.equal(r.code, 0, r.stderr);
  const { backup } = JSON.parse(r.stdout);
  const added = (await backupIds()).filter((id) => !before.includes(id));
  assert.deepEqual(added, [backup.id]);
  assert.equal(backup.command, command.id);
  assert.equal(JSON.parse((await objectText(`${CONTROL}${command.id}/result.json`))!).backup, backup.id);
});

test('Ctrl-C before a control plane took the command cancels it; a killed run is picked up by the re-run, which asks for no second backup', { timeout: 240_000 }, async () => {
  const before = await backupIds();
  const interrupted = startK8sup(['backup', 'cluster', NAME, '--wait', '3m'], { env, timeoutMs: 60_000 });
  const cancelled = await nextCommand();
  interrupted.child.kill('SIGINT');
  const ir = await interrupted.done;
  assert.notEqual(ir.code, 0);
  const claim = JSON.parse((await objectText(`${CONTROL}${cancelled.id}/claim.json`))!);
  assert.equal(claim.cancelled, true);
  const skipped = await poll();
  assert.equal(skipped.status, 0, skipped.stderr);
  assert.match(skipped.stderr, /was cancelled/);
  assert.deepEqual(await backupIds(), before);

  // Killed outright (no chance to cancel): the command stays open, and the next run waits for it.
  const killed = startK8sup(['backup', 'cluster', NAME, '--wait', '3m'], { env, timeoutMs: 60_000 });
  const open = await nextCommand();
  killed.child.kill('SIGKILL');
  await killed.done;
  const rerun = startK8sup(['backup', 'cluster', NAME, '-o', 'json', '--wait', '3m', '--lock-timeout', '2m', '--progress', 'ndjson'], { env, timeoutMs: 200_000 });
  await waitFor(async () => /etcd\.control\.adopted/.test(rerun.stderr()), { timeoutMs: 150_000, intervalMs: 200, what: 'the re-run to wait for the open command' });
  assert.equal(JSON.parse((await objectText(`${CONTROL}command.json`))!).id, open.id, 'the re-run wrote a second command');
  await new Promise((r) => setTimeout(r, 1100));
  const polled = await poll();
  assert.equal(polled.status, 0, polled.stderr);
  const r = await rerun.done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).backup.command, open.id);
  assert.equal((await backupIds()).length, before.length + 1);
});

test('no control plane answers within --wait: exit 1, and the command is cancelled so a later poll never runs it', { timeout: 120_000 }, async () => {
  const before = await backupIds();
  const r = await k8sup(['backup', 'cluster', NAME, '--wait', '3s'], { env, timeoutMs: 60_000 });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /no control plane of demo\.k8s\.local answered etcd backup command \S+ within 3s; it is cancelled/);
  assert.match(r.stderr, /k8sup-etcd-control\.timer/);
  const { id } = JSON.parse((await objectText(`${CONTROL}command.json`))!);
  commands.seen(id);
  assert.equal(JSON.parse((await objectText(`${CONTROL}${id}/claim.json`))!).cancelled, true);
  const late = await poll();
  assert.equal(late.status, 0, late.stderr);
  // Cancelled — or, on a loaded machine, already past its notAfter (the CLI gives up at that very second): not run.
  assert.doesNotMatch(late.stderr, /claimed command/);
  assert.match(late.stderr, /^$|was cancelled/);
  assert.equal(await objectText(`${CONTROL}${id}/result.json`), undefined);
  assert.deepEqual(await backupIds(), before);

  const bad = await k8sup(['backup', 'cluster', NAME, '--wait', 'soon'], { env });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--wait/);
});

test('a control plane without the poller (an older k8sup launched it): `k8sup-etcd-backup --force` run there while the CLI waits answers it', { timeout: 240_000 }, async () => {
  const before = await backupIds();
  const cli = startK8sup(['backup', 'cluster', NAME, '-o', 'json', '--wait', '3m'], { env, timeoutMs: 200_000 });
  const command = await nextCommand();
  // What the hint says to do on such a control plane: the backup script itself, no poller involved.
  const child = spawn('bash', [join(root, 'usr/local/sbin/k8sup-etcd-backup'), '--force'], { env: { PATH: '/usr/bin:/bin', K8SUP_ROOT: root }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  assert.equal(await new Promise((resolve) => child.on('close', resolve)), 0);
  const byHand = /^backup=(\S+)$/m.exec(stdout)![1];
  const r = await cli.done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).backup.id, byHand);
  assert.match(r.stderr, new RegExp(`Using etcd backup ${byHand}, taken on .* after command ${command.id} was asked`));
  // The command is cancelled: a poller that appears later does not take a second snapshot for it.
  const late = await poll();
  assert.equal(late.status, 0, late.stderr);
  assert.match(late.stderr, /was cancelled/);
  assert.deepEqual((await backupIds()).filter((id) => !before.includes(id)), [byHand]);
});

test('restore cluster --yes on a single AWS control plane: a fresh, empty etcd comes back with the backup\'s keys; the command runs once', { timeout: 420_000 }, async () => {
  assert.ok(firstBackup, 'the backup test ran first');
  // Everything since the backup is lost: the member's data dir is gone and etcd starts empty.
  await kubelet.stop();
  rmSync(member.dataDir, { recursive: true, force: true });
  kubelet = new StaticPodKubelet(root);
  kubelet.start();
  await waitHealthy(root, member, 60_000);
  assert.deepEqual(etcdKeys(root, member, '/registry/'), {});
  etcdctl(root, member, ['put', '/registry/pods/default/intruder', 'x']);

  const preview = await k8sup(['restore', 'cluster', NAME, '--backup', firstBackup, '-o', 'json'], { env });
  assert.equal(preview.code, 0, preview.stderr);
  assert.match(JSON.parse(preview.stdout).steps.map((s: any) => s.step).join('\n'), /k8sup-etcd-restore fetch/);
  assert.equal(await objectText(`${CONTROL}command.json`).then((t) => JSON.parse(t!).action), 'backup', 'the preview wrote a command');

  const cli = startK8sup(['restore', 'cluster', NAME, '--backup', firstBackup, '--yes', '--wait', '5m'], { env, timeoutMs: 360_000 });
  const command = await nextCommand();
  assert.equal(command.action, 'restore');
  assert.equal(command.backup, firstBackup);
  const manifest = JSON.parse((await objectText(`${PREFIX}${firstBackup}/manifest.json`))!);
  assert.equal(command.sha256, manifest.sha256);
  const stops = kubelet.stops;
  const polled = await poll();
  assert.equal(polled.status, 0, polled.stderr + kubelet.log);
  assert.equal(kubelet.stops, stops + 1, 'etcd was not stopped while its data dir was swapped');
  const r = await cli.done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`Restored etcd of ${NAME.replaceAll('.', '\\.')} from backup ${firstBackup}`));
  await waitHealthy(root, member, 60_000);
  assert.deepEqual(etcdKeys(root, member, '/registry/'), ORIGINAL);

  // Answered: the next poll leaves etcd alone (a restore carried out twice would throw away what was written since).
  etcdctl(root, member, ['put', '/registry/pods/default/after', 'y']);
  const again = await poll();
  assert.equal(again.status, 0, again.stderr);
  assert.equal(kubelet.stops, stops + 1);
  assert.equal(etcdKeys(root, member, '/registry/')['/registry/pods/default/after'], 'y');
});
