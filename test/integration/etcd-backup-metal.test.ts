// `backup cluster`, `get backups` and `restore cluster` on bare metal through the CLI (in process), over a real sshd
// on 127.0.0.1, against a real etcd: the host's root (K8SUP_METAL_REMOTE_ROOT) holds kubeadm's etcd PKI from k8sup's
// etcd CA and an etcd static pod manifest that a small "kubelet" runs (test/helpers/etcd.ts). The snapshot travels
// back over SSH into the file state store; the restore uploads it and swaps the member's data dir.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { etcdctl, etcdKeys, newMember, StaticPodKubelet, waitHealthy, writeEtcdManifest, writeEtcdPki, type EtcdMember } from '../helpers/etcd.js';
import { metalCli } from '../helpers/metal-cli.js';
import { makeKeyPair, startSshd, type Sshd } from '../helpers/sshd.js';

const dir = mkdtempSync(join(tmpdir(), 'k8sup-etcd-metal-'));
const home = join(dir, 'home');
const key = makeKeyPair(dir, 'client');
const NAME = 'backup.k8s.local';
const root = join(dir, 'roots', 'cp1');
const backupsDir = join(dir, 'state', NAME, 'backups', 'etcd');
const k8sup = metalCli(home, dir);
let sshd: Sshd;
let member: EtcdMember;
let kubelet: StaticPodKubelet;
const KEYS = { '/registry/deployments/default/web': 'replicas=3', '/registry/secrets/kube-system/bootstrap': 'token' };

before(async () => {
  sshd = await startSshd({ authorizedKeys: [key.publicKey] });
  const hosts = join(dir, 'hosts.yaml');
  writeFileSync(hosts, `hosts:\n  - {name: cp1, address: 127.0.0.1, port: ${sshd.port}, user: ${sshd.user}, role: control-plane, sshKey: ${key.privateKeyPath}}\n`);
  const created = await k8sup(['create', 'cluster', NAME, '--cloud', 'metal', '--hosts', hosts]);
  assert.equal(created.code, 0, `${created.stderr} ${created.error?.message ?? ''}`);
  await writeEtcdPki(root);
  member = await newMember('cp1', join(dir, 'etcd-data'));
  writeEtcdManifest(root, member);
  kubelet = new StaticPodKubelet(root);
  kubelet.start();
  await waitHealthy(root, member);
  for (const [k, v] of Object.entries(KEYS)) assert.equal(etcdctl(root, member, ['put', k, v]).status, 0);
});

after(async () => {
  await kubelet?.stop();
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let id = '';

test('create gives a new cluster a backup schedule', async () => {
  const r = await k8sup(['get', 'cluster', NAME, '-o', 'json']);
  assert.deepEqual(JSON.parse(r.stdout).spec.etcd, { backups: { schedule: 'hourly', retain: 24 } });
});

test('backup cluster snapshots etcd over SSH and writes it into the state store; get backups lists it', { timeout: 120_000 }, async () => {
  const none = await k8sup(['get', 'backups', NAME, '-o', 'json']);
  assert.equal(none.code, 0, none.stderr);
  assert.deepEqual(JSON.parse(none.stdout).backups, []);

  const r = await k8sup(['backup', 'cluster', NAME, '--ssh-accept-new', '-o', 'json']);
  assert.equal(r.code, 0, `${r.stderr} ${r.error?.message ?? ''}`);
  const backup = JSON.parse(r.stdout).backup;
  id = backup.id;
  assert.match(id, /^\d{8}T\d{6}Z$/);
  const snapshot = readFileSync(join(backupsDir, id, 'snapshot.db'));
  assert.equal(createHash('sha256').update(snapshot).digest('hex'), backup.sha256);
  assert.equal(snapshot.length, backup.size);
  assert.equal(backup.member, 'cp1');
  assert.equal(backup.trigger, 'manual');
  assert.deepEqual(JSON.parse(readFileSync(join(backupsDir, id, 'manifest.json'), 'utf8')), backup);
  // The store keeps secrets private; the host keeps its copy under /var/lib/k8sup/etcd-backups, also private.
  assert.equal(readdirSync(join(root, 'var/lib/k8sup/etcd-backups')).includes(id), true);

  const listed = await k8sup(['get', 'backups', NAME, '-o', 'json']);
  assert.deepEqual(JSON.parse(listed.stdout).backups.map((b: any) => [b.id, b.complete, b.sha256]), [[id, true, backup.sha256]]);
  const table = await k8sup(['get', 'backups', NAME]);
  assert.match(table.stdout, new RegExp(`^${id}\\s+\\S+\\s+\\S+\\s+manual\\s+3\\.`, 'm'));
});

test('restore without --yes checks the backup and changes nothing; a bad id is exit 2', { timeout: 60_000 }, async () => {
  etcdctl(root, member, ['put', '/registry/deployments/default/web', 'replicas=0']);
  const stops = kubelet.stops;
  const preview = await k8sup(['restore', 'cluster', NAME, '--backup', id, '-o', 'json']);
  assert.equal(preview.code, 0, `${preview.stderr} ${preview.error?.message ?? ''}`);
  const doc = JSON.parse(preview.stdout);
  assert.equal(doc.backup.id, id);
  assert.deepEqual([...new Set(doc.steps.map((s: any) => s.host))], ['cp1']);
  assert.equal(kubelet.stops, stops);
  assert.equal(etcdKeys(root, member, '/registry/')['/registry/deployments/default/web'], 'replicas=0');

  const bad = await k8sup(['restore', 'cluster', NAME, '--backup', '20990101T000000Z', '--yes']);
  assert.equal(bad.code, 2);
  assert.match(bad.error?.message ?? '', /does not exist or is incomplete/);
  const malformed = await k8sup(['restore', 'cluster', NAME, '--backup', '../pki', '--yes']);
  assert.equal(malformed.code, 2);
  assert.equal(kubelet.stops, stops);
});

test('restore refuses a damaged backup before touching a host', { timeout: 60_000 }, async () => {
  const file = join(backupsDir, id, 'snapshot.db');
  const good = readFileSync(file);
  writeFileSync(file, Buffer.concat([good, Buffer.from('x')]));
  const stops = kubelet.stops;
  const r = await k8sup(['restore', 'cluster', NAME, '--backup', id, '--yes']);
  writeFileSync(file, good);
  assert.equal(r.code, 1);
  assert.match(r.error?.message ?? '', /damaged/);
  assert.equal(kubelet.stops, stops);
});

test('restore --yes brings etcd back to the backup over SSH', { timeout: 180_000 }, async () => {
  const stops = kubelet.stops;
  const r = await k8sup(['restore', 'cluster', NAME, '--backup', id, '--yes']);
  assert.equal(r.code, 0, `${r.stderr} ${r.error?.message ?? ''}\n${kubelet.log}`);
  assert.equal(kubelet.stops, stops + 1);
  await waitHealthy(root, member);
  assert.deepEqual(etcdKeys(root, member, '/registry/'), KEYS);
});
