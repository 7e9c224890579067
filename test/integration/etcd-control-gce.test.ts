// On-demand etcd backup and restore on GCE through the state store's control folder: the GCS side of
// test/integration/etcd-control.test.ts. The built CLI writes its command into the GCS fake (test/fakes/gcs.ts: the
// JSON API with generation preconditions); the rendered GCE k8sup-etcd-control reads it with the instance's OAuth
// token from a metadata-server fake, claims it with ifGenerationMatch=0, runs the rendered backup / restore scripts
// against a real etcd (Debian's, TLS from k8sup's etcd CA) and writes the result. The fake loses chosen replies after
// it applied the write. Only addresses are substituted: metadata server and storage.googleapis.com become the test's.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { renderEtcdBackupScript, renderEtcdControlScript, renderEtcdRestoreScript } from '../../src/bootstrap/index.js';
import { FakeCompute } from '../fakes/gce-compute.js';
import { startFakeGceMetadata, type FakeGceMetadata } from '../fakes/gce-metadata.js';
import { FakeGcs } from '../fakes/gcs.js';
import { storeAppliedBundle } from '../helpers/applied-bundle.js';
import { testInput } from '../helpers/bootstrap-fixtures.js';
import { k8sup, startK8sup, tempHome } from '../helpers/cli.js';
import { etcdctl, etcdKeys, newMember, StaticPodKubelet, waitHealthy, writeEtcdManifest, writeEtcdPki, type EtcdMember } from '../helpers/etcd.js';
import { commandWatcher } from '../helpers/etcd-control-responder.js';

const BUCKET = 'k8sup-state';
const NAME = 'demo.k8s.local';
const PROJECT = 'k8sup-test';
const PREFIX = `${NAME}/backups/etcd/`;
const CONTROL = `${PREFIX}control/`;
const dir = mkdtempSync(join(tmpdir(), 'k8sup-etcd-control-gce-'));
const root = join(dir, 'cp1');
const gcs = new FakeGcs();
const compute = new FakeCompute({ project: PROJECT });
let metadata: FakeGceMetadata;
let member: EtcdMember;
let kubelet: StaticPodKubelet;
let env: Record<string, string>;
const ORIGINAL = { '/registry/pods/default/web': 'v1', '/registry/secrets/default/token': 's3cr3t' };

const input = () => {
  const i = testInput('gce', 'control-plane-init');
  i.cluster.spec.controlPlane.count = 1;
  i.cluster.spec.etcd = { backups: { schedule: 'off', retain: 24 } };
  return i;
};

function localized(script: string): string {
  const out = script
    .replace(/^METADATA=http:\/\/metadata\.google\.internal\/computeMetadata\/v1$/m, `METADATA=${metadata.url}`)
    .replaceAll('https://storage.googleapis.com', gcs.url);
  assert.doesNotMatch(out, /metadata\.google\.internal|googleapis\.com/);
  return out;
}

function poll(): Promise<{ status: number | null; stderr: string }> {
  const child = spawn('bash', [join(root, 'usr/local/sbin/k8sup-etcd-control')], { env: { PATH: '/usr/bin:/bin', K8SUP_ROOT: root }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  return new Promise((resolve) =>
    child.on('close', (status) => {
      clearTimeout(killer);
      resolve({ status, stderr });
    }),
  );
}

const object = (key: string) => gcs.objects(BUCKET).get(key)?.data;
const text = (key: string) => object(key)?.toString('utf8');
const backupIds = () => [...new Set([...gcs.objects(BUCKET).keys()].filter((k) => k.startsWith(PREFIX)).map((k) => k.slice(PREFIX.length).split('/')[0]).filter((k) => /^\d{8}T\d{6}Z(-[0-9a-f]{8})?$/.test(k)))];

const commands = commandWatcher(async () => text(`${CONTROL}command.json`));
const nextCommand = () => commands.next();

before(async () => {
  await gcs.start();
  await compute.start();
  gcs.createBucket(BUCKET, { uniformBucketLevelAccess: true });
  metadata = await startFakeGceMetadata({ instanceName: 'demo-cp-us-central1-b-x1', accessToken: 'ya29.FAKEtokenFROMmetadata' });
  env = { HOME: tempHome(), K8SUP_GCE_ENDPOINT: compute.endpoint, STORAGE_EMULATOR_HOST: gcs.url, K8SUP_STATE_STORE: `gs://${BUCKET}` };
  const created = await k8sup(['create', 'cluster', NAME, '--zones', 'us-central1-b', '--project', PROJECT], { env, timeoutMs: 120_000 });
  assert.equal(created.code, 0, created.stderr);
  await storeAppliedBundle(env.K8SUP_STATE_STORE, env, NAME, input());

  await writeEtcdPki(root);
  member = await newMember('cp1', join(dir, 'var-lib-etcd'));
  writeEtcdManifest(root, member);
  kubelet = new StaticPodKubelet(root);
  kubelet.start();
  await waitHealthy(root, member);
  for (const [k, v] of Object.entries(ORIGINAL)) assert.equal(etcdctl(root, member, ['put', k, v]).status, 0);
  const sbin = join(root, 'usr/local/sbin');
  mkdirSync(sbin, { recursive: true });
  writeFileSync(join(sbin, 'k8sup-etcd-backup'), localized(renderEtcdBackupScript(input())), { mode: 0o755 });
  writeFileSync(join(sbin, 'k8sup-etcd-restore'), localized(renderEtcdRestoreScript(input())), { mode: 0o755 });
  writeFileSync(join(sbin, 'k8sup-etcd-control'), localized(renderEtcdControlScript(input())), { mode: 0o755 });
});

after(async () => {
  await kubelet?.stop();
  await metadata?.stop();
  await compute.stop();
  await gcs.stop();
  rmSync(dir, { recursive: true, force: true });
});

let backupId = '';

test('backup cluster on GCE: two control planes poll, the claim and the result lose their replies; one snapshot of the real etcd, the right answer', { timeout: 240_000 }, async () => {
  const idle = await poll();
  assert.equal(idle.status, 0, idle.stderr);
  const cli = startK8sup(['backup', 'cluster', NAME, '-o', 'json', '--wait', '3m'], { env, timeoutMs: 200_000 });
  const command = await nextCommand();
  const upload = (suffix: string) => (method: string, path: string, query: URLSearchParams) => method === 'POST' && path.startsWith('/upload/') && (query.get('name') ?? '').endsWith(suffix);
  const lost = gcs.droppedReplies;
  gcs.dropReplyOnce(upload(`${command.id}/claim.json`));
  gcs.dropReplyOnce(upload(`${command.id}/result.json`));
  const [a, b] = await Promise.all([poll(), poll()]);
  for (const p of [a, b]) assert.equal(p.status, 0, p.stderr);
  assert.equal(gcs.droppedReplies - lost, 2, 'both chosen replies were lost');
  assert.equal([a, b].filter((p) => p.stderr.includes(`claimed command ${command.id} (backup)`)).length, 1, `${a.stderr}\n---\n${b.stderr}`);
  const r = await cli.done;
  assert.equal(r.code, 0, r.stderr);
  const { backup } = JSON.parse(r.stdout);
  assert.deepEqual(backupIds(), [backup.id]);
  assert.equal(backup.command, command.id);
  assert.equal(backup.member, 'cp1');
  assert.equal(createHash('sha256').update(object(`${PREFIX}${backup.id}/snapshot.db`)!).digest('hex'), backup.sha256);
  assert.equal(JSON.parse(text(`${CONTROL}${command.id}/result.json`)!).backup, backup.id);
  const again = await poll();
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(backupIds(), [backup.id]);
  assert.equal(metadata.refused, 0);
  backupId = backup.id;
});

test('restore cluster --yes on a single GCE control plane: a fresh, empty etcd comes back with the backup\'s keys', { timeout: 420_000 }, async () => {
  assert.ok(backupId, 'the backup test ran first');
  await kubelet.stop();
  rmSync(member.dataDir, { recursive: true, force: true });
  kubelet = new StaticPodKubelet(root);
  kubelet.start();
  await waitHealthy(root, member, 60_000);
  assert.deepEqual(etcdKeys(root, member, '/registry/'), {});

  const cli = startK8sup(['restore', 'cluster', NAME, '--backup', backupId, '--yes', '--wait', '5m'], { env, timeoutMs: 360_000 });
  const command = await nextCommand();
  assert.equal(command.action, 'restore');
  const polled = await poll();
  assert.equal(polled.status, 0, polled.stderr + kubelet.log);
  const r = await cli.done;
  assert.equal(r.code, 0, r.stderr);
  await waitHealthy(root, member, 60_000);
  assert.deepEqual(etcdKeys(root, member, '/registry/'), ORIGINAL);
  const stops = kubelet.stops;
  const again = await poll();
  assert.equal(again.status, 0, again.stderr);
  assert.equal(kubelet.stops, stops, 'the answered restore ran again');
});
