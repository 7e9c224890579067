// etcd backups against a real etcd: Debian's etcd runs on 127.0.0.1 with TLS certificates from k8sup's etcd CA,
// started from a kubeadm-style static pod manifest by a small "kubelet" (test/helpers/etcd.ts). The rendered AWS
// backup script snapshots it into the state store on moto (S3) with the instance identity (an IMDSv2 fake), keeps
// `retain` backups, and the rendered restore script brings the member — and a fresh one — back with the same keys.
// Only the addresses are substituted: the metadata service and S3 endpoint become the test's, https becomes http.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { renderEtcdBackupScript, renderEtcdRestoreScript } from '../../src/bootstrap/index.js';
import { testInput } from '../helpers/bootstrap-fixtures.js';
import { etcdctl, etcdKeys, newMember, StaticPodKubelet, waitHealthy, writeEtcdManifest, writeEtcdPki, type EtcdMember } from '../helpers/etcd.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { startFakeImds, type FakeImds } from '../fakes/ec2-imds.js';

const BUCKET = 'k8sup-state';
const PREFIX = 'team-a/demo.k8s.local/backups/etcd/';
const dir = mkdtempSync(join(tmpdir(), 'k8sup-etcd-backup-'));
const root = join(dir, 'cp1');
let moto: Moto;
let imds: FakeImds;
let s3: import('@aws-sdk/client-s3').S3Client;
let member: EtcdMember;
const kubelets: StaticPodKubelet[] = [];

const input = () => {
  const i = testInput('aws', 'control-plane-init');
  // One member, one control plane: the restore of a member alone is the single-control-plane case.
  i.cluster.spec.controlPlane.count = 1;
  i.cluster.spec.etcd = { backups: { schedule: 'hourly', retain: 2 } };
  return i;
};

/** The rendered script, pointed at the test's metadata service and S3 (path-style, plain HTTP). */
function localized(script: string): string {
  const motoHost = new URL(moto.endpoint).host;
  const out = script
    .replace(/^IMDS=http:\/\/169\.254\.169\.254\/latest$/m, `IMDS=${imds.url}`)
    .replace(/^S3_HOST=.*$/m, `S3_HOST='${motoHost}'`)
    .replace(/^S3_BUCKET_PATH=.*$/m, `S3_BUCKET_PATH='/${BUCKET}'`)
    .replaceAll('https://${S3_HOST}', 'http://${S3_HOST}');
  assert.notEqual(out, script);
  assert.doesNotMatch(out, /169\.254\.169\.254|amazonaws\.com/);
  return out;
}

/** Runs a script without blocking this process: the metadata service and the "kubelet" live in it. */
function runScript(script: string, args: string[], scriptRoot = root): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const path = join(dir, `script-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(path, script, { mode: 0o700 });
  // No crictl on this PATH: the scripts use the host's etcdctl, as on a host without a running etcd container.
  const child = spawn('bash', [path, ...args], { env: { PATH: '/usr/bin:/bin', K8SUP_ROOT: scriptRoot }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  return new Promise((resolve) =>
    child.on('close', (status) => {
      clearTimeout(killer);
      resolve({ status, stdout, stderr });
    }),
  );
}

async function objectKeys(): Promise<string[]> {
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const r = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: PREFIX }));
  return (r.Contents ?? []).map((o) => o.Key!.slice(PREFIX.length)).sort();
}

async function objectBytes(key: string): Promise<Buffer> {
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  const r = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: PREFIX + key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const ORIGINAL = { '/registry/pods/default/web': 'v1', '/registry/secrets/default/token': 's3cr3t', '/registry/configmaps/kube-system/k8sup': 'hello' };

before(async () => {
  moto = await startMoto();
  imds = await startFakeImds({ role: 'k8sup-control-plane', credentials: { accessKeyId: 'ASIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake/secret', token: 'FAKEsessionTOKEN' } });
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
  await writeEtcdPki(root);
  member = await newMember('cp1', join(dir, 'var-lib-etcd'));
  writeEtcdManifest(root, member);
  const kubelet = new StaticPodKubelet(root);
  kubelets.push(kubelet);
  kubelet.start();
  await waitHealthy(root, member);
  for (const [k, v] of Object.entries(ORIGINAL)) assert.equal(etcdctl(root, member, ['put', k, v]).status, 0);
});

after(async () => {
  for (const k of kubelets) await k.stop();
  s3?.destroy();
  await imds?.stop();
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let backupIds: string[] = [];

test('the timer script snapshots etcd into the state store with the instance identity: snapshot, sha256, manifest', { timeout: 120_000 }, async () => {
  const r = await runScript(localized(renderEtcdBackupScript(input())), []);
  assert.equal(r.status, 0, r.stderr);
  const id = /^backup=(\d{8}T\d{6}Z)$/m.exec(r.stdout)?.[1];
  assert.ok(id, r.stdout);
  backupIds.push(id);
  assert.deepEqual(await objectKeys(), [`${id}/manifest.json`, `${id}/snapshot.db`, 'index']);
  const snapshot = await objectBytes(`${id}/snapshot.db`);
  const manifest = JSON.parse((await objectBytes(`${id}/manifest.json`)).toString('utf8'));
  assert.equal(manifest.sha256, sha256(snapshot));
  assert.equal(manifest.size, snapshot.length);
  assert.equal(manifest.id, id);
  assert.equal(manifest.cluster, 'demo.k8s.local');
  assert.equal(manifest.member, 'cp1');
  assert.equal(manifest.trigger, 'schedule');
  assert.match(manifest.etcdVersion, /^3\.\d+\.\d+$/);
  // The revision is etcd's own: the snapshot holds every key written before it.
  const status = etcdctl(root, member, ['endpoint', 'status', '-w', 'json']);
  assert.ok(manifest.revision >= Object.keys(ORIGINAL).length + 1 && manifest.revision <= JSON.parse(status.stdout)[0].Status.header.revision);
  assert.equal((await objectBytes('index')).toString('utf8'), `${id}\n`);
  // Nothing is left behind in the data dir; the metadata service saw only authenticated requests.
  assert.deepEqual(readdirSync(member.dataDir), ['member']);
  assert.equal(imds.refused, 0);
});

test('retention keeps the newest `retain` backups and deletes the older ones', { timeout: 120_000 }, async () => {
  for (let i = 0; i < 2; i++) {
    await new Promise((r) => setTimeout(r, 1100)); // ids are per second
    const r = await runScript(localized(renderEtcdBackupScript(input())), []);
    assert.equal(r.status, 0, r.stderr);
    backupIds.push(/^backup=(\S+)$/m.exec(r.stdout)![1]);
    if (i === 1) assert.match(r.stderr, new RegExp(`deleted backup ${backupIds[0]} \\(retain 2\\)`));
  }
  const [oldest, ...kept] = backupIds;
  const keys = await objectKeys();
  assert.ok(!keys.some((k) => k.startsWith(oldest)), `the oldest backup is still there: ${keys.join(', ')}`);
  const ids = [...new Set(keys.filter((k) => k !== 'index').map((k) => k.split('/')[0]))];
  assert.equal(ids.length, 2, keys.join(', '));
  assert.deepEqual((await objectBytes('index')).toString('utf8').trim().split('\n'), ids);
  for (const id of ids) assert.ok(keys.includes(`${id}/manifest.json`) && keys.includes(`${id}/snapshot.db`));
  assert.deepEqual(ids, kept);
  backupIds = ids;
});

test('restore refuses a snapshot whose sha256 does not match, and changes nothing', { timeout: 60_000 }, async () => {
  const id = backupIds[backupIds.length - 1];
  const file = join(dir, 'snapshot.db');
  writeFileSync(file, await objectBytes(`${id}/snapshot.db`));
  const r = await runScript(localized(renderEtcdRestoreScript(input())), ['stop', file, '0'.repeat(64)]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /refusing to restore it/);
  assert.ok(existsSync(join(root, 'etc/kubernetes/manifests/etcd.yaml')));
  assert.equal(etcdctl(root, member, ['endpoint', 'health']).status, 0);
});

test('restore: the member is stopped, its data dir swapped for the snapshot, and it comes back with the same keys', { timeout: 180_000 }, async () => {
  // What happens after the backup is what the restore undoes.
  etcdctl(root, member, ['del', '/registry/secrets/default/token']);
  etcdctl(root, member, ['put', '/registry/pods/default/intruder', 'x']);
  assert.notDeepEqual(etcdKeys(root, member, '/registry/'), ORIGINAL);

  const id = backupIds[backupIds.length - 1];
  const file = join(dir, 'snapshot.db');
  const manifest = JSON.parse((await objectBytes(`${id}/manifest.json`)).toString('utf8'));
  writeFileSync(file, await objectBytes(`${id}/snapshot.db`));
  const kubelet = kubelets[0];
  const stops = kubelet.stops;
  const restore = localized(renderEtcdRestoreScript(input()));
  const stopped = await runScript(restore, ['stop', file, manifest.sha256]);
  assert.equal(stopped.status, 0, stopped.stderr);
  assert.equal(kubelet.stops, stops + 1, 'etcd was not stopped while its data dir was swapped');
  assert.ok(!existsSync(join(root, 'etc/kubernetes/manifests/etcd.yaml')));
  const kept = readdirSync(member.dataDir).filter((f) => f.startsWith('k8sup-before-restore-'));
  assert.equal(kept.length, 1, 'the data etcd had is kept');

  const started = await runScript(restore, ['start']);
  assert.equal(started.status, 0, started.stderr);
  const healthy = await runScript(restore, ['health', '60']);
  assert.equal(healthy.status, 0, healthy.stderr + kubelet.log);
  assert.deepEqual(etcdKeys(root, member, '/registry/'), ORIGINAL);
});

test('a fresh control plane fetches a backup from the store (checked against its manifest) and starts from it', { timeout: 180_000 }, async () => {
  const freshRoot = join(dir, 'cp-new');
  // The same etcd CA (the PKI lives in the state store), a new machine, a new member with an empty data dir.
  for (const f of ['ca.crt', 'ca.key', 'server.crt', 'server.key', 'healthcheck-client.crt', 'healthcheck-client.key']) {
    const src = join(root, 'etc/kubernetes/pki/etcd', f);
    const dst = join(freshRoot, 'etc/kubernetes/pki/etcd', f);
    spawnSync('install', ['-D', '-m', '0600', src, dst]);
  }
  const fresh = await newMember('cp-new', join(dir, 'fresh-etcd'));
  writeEtcdManifest(freshRoot, fresh);
  const restore = localized(renderEtcdRestoreScript(input()));
  const id = backupIds[0];
  const fetched = await runScript(restore, ['fetch', id], freshRoot);
  assert.equal(fetched.status, 0, fetched.stderr);
  const snapshot = /^snapshot=(.*)$/m.exec(fetched.stdout)![1];
  const sha = /^sha256=(.*)$/m.exec(fetched.stdout)![1];
  const stopped = await runScript(restore, ['stop', snapshot, sha], freshRoot);
  assert.equal(stopped.status, 0, stopped.stderr);
  assert.equal((await runScript(restore, ['start'], freshRoot)).status, 0);
  const kubelet = new StaticPodKubelet(freshRoot);
  kubelets.push(kubelet);
  kubelet.start();
  await waitHealthy(freshRoot, fresh, 60_000);
  assert.deepEqual(etcdKeys(freshRoot, fresh, '/registry/'), ORIGINAL);
  // It is its own one-member cluster under its own name, not a member of the old one.
  assert.match(etcdctl(freshRoot, fresh, ['member', 'list']).stdout, /, cp-new, /);

  const refused = await runScript(restore, ['fetch', '../../pki/ca.key'], freshRoot);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /not a backup id/);
});
