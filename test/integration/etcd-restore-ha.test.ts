// A three-member etcd restored from one backup, against real etcd (Debian's /usr/bin/etcd) on 127.0.0.1: three
// control-plane roots, each with kubeadm's etcd PKI from k8sup's etcd CA and an etcd static pod manifest run by a
// small "kubelet" (test/helpers/etcd.ts). The rendered AWS backup script snapshots the cluster into the state store
// on moto (S3) with the instance identity — only the leader uploads on schedule; the data is then lost (every data
// dir wiped, the members come back as an empty cluster), and the rendered restore script runs on each member the
// way `restore cluster` and docs/backups.md run it: fetch (checked against the manifest), member, stop with the
// initial cluster of all three (same snapshot on each), start, health. All three are one cluster again, healthy,
// with the backup's keys on every member (read from each member's own data, not through the leader).

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { renderEtcdBackupScript, renderEtcdRestoreScript } from '../../src/bootstrap/index.js';
import { testInput } from '../helpers/bootstrap-fixtures.js';
import { etcdctl, newMember, StaticPodKubelet, waitHealthy, writeEtcdManifest, writeEtcdPki, type EtcdMember } from '../helpers/etcd.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { waitFor } from '../helpers/net.js';
import { startFakeImds, type FakeImds } from '../fakes/ec2-imds.js';

const BUCKET = 'k8sup-state';
const NAMES = ['cp-a', 'cp-b', 'cp-c'];
const dir = mkdtempSync(join(tmpdir(), 'k8sup-etcd-ha-'));
const roots = NAMES.map((n) => join(dir, n));
let moto: Moto;
let imds: FakeImds;
let members: EtcdMember[] = [];
let kubelets: StaticPodKubelet[] = [];
const ORIGINAL = {
  '/registry/configmaps/kube-system/kubeadm-config': 'ClusterConfiguration',
  '/registry/deployments/default/web': 'replicas=3',
  '/registry/secrets/default/db': 's3cr3t',
};

const input = () => {
  const i = testInput('aws', 'control-plane-init');
  i.cluster.spec.controlPlane.count = 3;
  i.cluster.spec.etcd = { backups: { schedule: 'hourly', retain: 5 } };
  return i;
};

/** The rendered script, pointed at the test's metadata service and S3 (path-style, plain HTTP). */
function localized(script: string): string {
  const out = script
    .replace(/^IMDS=http:\/\/169\.254\.169\.254\/latest$/m, `IMDS=${imds.url}`)
    .replace(/^S3_HOST=.*$/m, `S3_HOST='${new URL(moto.endpoint).host}'`)
    .replace(/^S3_BUCKET_PATH=.*$/m, `S3_BUCKET_PATH='/${BUCKET}'`)
    .replaceAll('https://${S3_HOST}', 'http://${S3_HOST}');
  assert.doesNotMatch(out, /169\.254\.169\.254|amazonaws\.com/);
  return out;
}

/** Runs a script as root of one control plane, without blocking this process (the kubelets and fakes live here). */
function runScript(script: string, args: string[], root: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const path = join(dir, `script-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(path, script, { mode: 0o700 });
  const child = spawn('bash', [path, ...args], { env: { PATH: '/usr/bin:/bin', K8SUP_ROOT: root }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  return new Promise((resolve) =>
    child.on('close', (status) => {
      clearTimeout(killer);
      rmSync(path, { force: true });
      resolve({ status, stdout, stderr });
    }),
  );
}

/** Every key under /registry/ as this member's own data has it (a serializable read: no detour through the leader). */
function localKeys(i: number): Record<string, string> {
  const r = etcdctl(roots[i], members[i], ['get', '--prefix', '/registry/', '--consistency=s']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  const out: Record<string, string> = {};
  for (let k = 0; k + 1 < lines.length; k += 2) out[lines[k]] = lines[k + 1];
  return out;
}

function memberList(i: number): string[] {
  const r = etcdctl(roots[i], members[i], ['member', 'list', '-w', 'simple']);
  assert.equal(r.status, 0, r.stderr);
  // id, status, name, peer URLs, client URLs, is learner
  return r.stdout.trim().split('\n').map((l) => l.split(', ').slice(1, 4).join(' ')).sort();
}

function clusterId(i: number): string {
  const r = etcdctl(roots[i], members[i], ['endpoint', 'status', '-w', 'json']);
  assert.equal(r.status, 0, r.stderr);
  return String(JSON.parse(r.stdout)[0].Status.header.cluster_id);
}

async function startAll(): Promise<void> {
  kubelets = roots.map((r) => new StaticPodKubelet(r));
  for (const k of kubelets) k.start();
  for (let i = 0; i < 3; i++) await waitHealthy(roots[i], members[i], 60_000);
}

async function stopAll(): Promise<void> {
  for (const k of kubelets) await k.stop();
}

before(async () => {
  moto = await startMoto();
  imds = await startFakeImds({ role: 'k8sup-control-plane', credentials: { accessKeyId: 'ASIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake/secret', token: 'FAKEsessionTOKEN' } });
  await moto.createBucket(BUCKET);
  // One etcd CA (the PKI lives in the state store): every control plane gets kubeadm's certificates from it.
  await writeEtcdPki(roots[0]);
  for (const root of roots.slice(1)) {
    for (const f of ['ca.crt', 'ca.key', 'server.crt', 'server.key', 'healthcheck-client.crt', 'healthcheck-client.key']) {
      const copied = spawnSync('install', ['-D', '-m', '0600', join(roots[0], 'etc/kubernetes/pki/etcd', f), join(root, 'etc/kubernetes/pki/etcd', f)]);
      assert.equal(copied.status, 0);
    }
  }
  members = await Promise.all(NAMES.map((n) => newMember(n, join(dir, `${n}-data`))));
  const initial = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  roots.forEach((root, i) => writeEtcdManifest(root, members[i], initial));
  await startAll();
  assert.equal(memberList(0).length, 3);
  for (const [k, v] of Object.entries(ORIGINAL)) assert.equal(etcdctl(roots[0], members[0], ['put', k, v]).status, 0);
});

after(async () => {
  await stopAll();
  await imds?.stop();
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let backupId = '';

test('the scheduled backup of a three-member cluster: only the leader uploads', { timeout: 180_000 }, async () => {
  const script = localized(renderEtcdBackupScript(input()));
  const runs = await Promise.all(roots.map((root) => runScript(script, [], root)));
  for (const r of runs) assert.equal(r.status, 0, r.stderr);
  const uploaded = runs.map((r) => /^backup=(\d{8}T\d{6}Z)$/m.exec(r.stdout)?.[1]).filter((id): id is string => id !== undefined);
  assert.equal(uploaded.length, 1, runs.map((r) => r.stderr).join('\n'));
  assert.equal(runs.filter((r) => /is not the etcd leader/.test(r.stderr)).length, 2);
  backupId = uploaded[0];
});

test('every data dir lost: the restore brings all three members back as one cluster with the same keys on each', { timeout: 420_000 }, async () => {
  assert.ok(backupId, 'the backup test ran first');
  // The disaster: the data of every member is gone; kubelet restarts the members as a new, empty cluster.
  await stopAll();
  for (const m of members) rmSync(m.dataDir, { recursive: true, force: true });
  await startAll();
  assert.deepEqual(localKeys(0), {});
  assert.equal(etcdctl(roots[1], members[1], ['put', '/registry/pods/default/after-the-loss', 'x']).status, 0);

  const restore = localized(renderEtcdRestoreScript(input()));
  // 1. On every control plane: the backup from the store, checked against its manifest's sha256.
  const fetched = await Promise.all(roots.map((root) => runScript(restore, ['fetch', backupId], root)));
  const snapshots = fetched.map((r) => {
    assert.equal(r.status, 0, r.stderr);
    return { path: /^snapshot=(.*)$/m.exec(r.stdout)![1], sha256: /^sha256=([0-9a-f]{64})$/m.exec(r.stdout)![1] };
  });
  assert.equal(new Set(snapshots.map((s) => s.sha256)).size, 1, 'the same snapshot on each');
  // 2. Every member as its manifest names it, joined into one initial cluster (what `restore cluster` passes).
  const named = await Promise.all(roots.map((root) => runScript(restore, ['member'], root)));
  const initial = named.map((r) => /^member=(\S+)$/m.exec(r.stdout)![1]).join(',');
  assert.equal(initial, members.map((m) => `${m.name}=${m.peerUrl}`).join(','));
  // 3. stop on all of them (one after the other, as over SSH), before any start.
  for (let i = 0; i < 3; i++) {
    const stops = kubelets[i].stops;
    const r = await runScript(restore, ['stop', snapshots[i].path, snapshots[i].sha256, initial], roots[i]);
    assert.equal(r.status, 0, r.stderr + kubelets[i].log);
    assert.equal(kubelets[i].stops, stops + 1, `${NAMES[i]} was not stopped while its data dir was swapped`);
    assert.equal(kubelets[i].running, false);
    assert.ok(!existsSync(join(roots[i], 'etc/kubernetes/manifests/etcd.yaml')));
    assert.equal(readdirSync(members[i].dataDir).filter((f) => f.startsWith('k8sup-before-restore-')).length, 1, 'the data it had is kept');
  }
  // 4. start on all, 5. health through quorum on one.
  for (const root of roots) assert.equal((await runScript(restore, ['start'], root)).status, 0);
  const healthy = await runScript(restore, ['health', '90'], roots[0]);
  assert.equal(healthy.status, 0, healthy.stderr + kubelets.map((k) => k.log).join('\n'));

  for (let i = 0; i < 3; i++) {
    await waitHealthy(roots[i], members[i], 60_000);
    assert.deepEqual(localKeys(i), ORIGINAL, `${NAMES[i]}'s own data`);
    assert.deepEqual(memberList(i), members.map((m) => `started ${m.name} ${m.peerUrl}`).sort(), `${NAMES[i]} sees all three members`);
  }
  assert.equal(new Set([0, 1, 2].map(clusterId)).size, 1, 'one cluster, not three single-member ones');
  // And it replicates: a write through one member reaches the others' own data.
  assert.equal(etcdctl(roots[2], members[2], ['put', '/registry/pods/default/after-restore', 'y']).status, 0);
  for (let i = 0; i < 3; i++) {
    await waitFor(async () => localKeys(i)['/registry/pods/default/after-restore'] === 'y', { timeoutMs: 10_000, intervalMs: 100, what: `the write on ${NAMES[i]}` });
  }
});

test('a member whose etcd is down is never restored alone when the cluster has three control planes', { timeout: 180_000 }, async () => {
  const restore = localized(renderEtcdRestoreScript(input()));
  const fetched = await runScript(restore, ['fetch', backupId], roots[2]);
  assert.equal(fetched.status, 0, fetched.stderr);
  const snapshot = /^snapshot=(.*)$/m.exec(fetched.stdout)![1];
  const sha = /^sha256=(.*)$/m.exec(fetched.stdout)![1];
  // cp-c's etcd is down (its kubelet stopped): nobody can tell it the member list, and no INITIAL_CLUSTER is given.
  await kubelets[2].stop();
  const before = readdirSync(members[2].dataDir).sort();
  const r = await runScript(restore, ['stop', snapshot, sha], roots[2]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /cannot read etcd's member list here .* the cluster has 3 control planes: pass INITIAL_CLUSTER/);
  // Nothing changed: the manifests are in place and the data dir is as it was.
  assert.ok(existsSync(join(roots[2], 'etc/kubernetes/manifests/etcd.yaml')));
  assert.deepEqual(readdirSync(members[2].dataDir).filter((f) => f !== 'k8sup-restore.db').sort(), before.filter((f) => f !== 'k8sup-restore.db'));
  kubelets[2].start();
  await waitHealthy(roots[2], members[2], 60_000);
  assert.deepEqual(localKeys(2)['/registry/secrets/default/db'], 's3cr3t');
});
