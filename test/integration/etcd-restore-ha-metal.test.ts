// `restore cluster --yes` of a bare-metal cluster with three control planes, through the CLI (in process) over a real
// sshd on 127.0.0.1, against three real etcd members (one "host" root each, K8SUP_METAL_REMOTE_ROOT=<dir>/roots/{host})
// with TLS from k8sup's etcd CA: `backup cluster` snapshots the first control plane into the file store, the data is
// changed, and the restore asks each host for its member, stops and swaps all three with the same initial cluster,
// starts them and waits for quorum. One cluster again, three members, the backup's keys in every member's own data.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { etcdctl, newMember, StaticPodKubelet, waitHealthy, writeEtcdManifest, writeEtcdPki, type EtcdMember } from '../helpers/etcd.js';
import { metalCli } from '../helpers/metal-cli.js';
import { makeKeyPair, startSshd, type Sshd } from '../helpers/sshd.js';

const dir = mkdtempSync(join(tmpdir(), 'k8sup-etcd-ha-metal-'));
const home = join(dir, 'home');
const key = makeKeyPair(dir, 'client');
const NAME = 'ha-restore.k8s.local';
const HOSTS = ['cp-a', 'cp-b', 'cp-c'];
const roots = HOSTS.map((h) => join(dir, 'roots', h));
const k8sup = metalCli(home, dir);
// One sshd per host: a host is an address and a port, and the tests use 127.0.0.1 only.
let sshds: Sshd[] = [];
let members: EtcdMember[] = [];
const kubelets: StaticPodKubelet[] = [];
const KEYS = { '/registry/deployments/default/web': 'replicas=3', '/registry/secrets/kube-system/bootstrap': 'token' };

function localKeys(i: number): Record<string, string> {
  const r = etcdctl(roots[i], members[i], ['get', '--prefix', '/registry/', '--consistency=s']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  const out: Record<string, string> = {};
  for (let k = 0; k + 1 < lines.length; k += 2) out[lines[k]] = lines[k + 1];
  return out;
}

before(async () => {
  sshds = await Promise.all(HOSTS.map(() => startSshd({ authorizedKeys: [key.publicKey] })));
  const hosts = join(dir, 'hosts.yaml');
  writeFileSync(hosts, `hosts:\n${HOSTS.map((h, i) => `  - {name: ${h}, address: 127.0.0.1, port: ${sshds[i].port}, user: ${sshds[i].user}, role: control-plane, sshKey: ${key.privateKeyPath}}\n`).join('')}api: {vip: 10.0.0.100}\n`);
  const created = await k8sup(['create', 'cluster', NAME, '--cloud', 'metal', '--hosts', hosts]);
  assert.equal(created.code, 0, `${created.stderr} ${created.error?.message ?? ''}`);
  await writeEtcdPki(roots[0]);
  for (const root of roots.slice(1)) {
    for (const f of ['ca.crt', 'ca.key', 'server.crt', 'server.key', 'healthcheck-client.crt', 'healthcheck-client.key']) {
      assert.equal(spawnSync('install', ['-D', '-m', '0600', join(roots[0], 'etc/kubernetes/pki/etcd', f), join(root, 'etc/kubernetes/pki/etcd', f)]).status, 0);
    }
  }
  members = await Promise.all(HOSTS.map((h) => newMember(h, join(dir, `${h}-data`))));
  const initial = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  roots.forEach((root, i) => writeEtcdManifest(root, members[i], initial));
  for (const root of roots) {
    const k = new StaticPodKubelet(root);
    kubelets.push(k);
    k.start();
  }
  for (let i = 0; i < 3; i++) await waitHealthy(roots[i], members[i], 60_000);
  for (const [k, v] of Object.entries(KEYS)) assert.equal(etcdctl(roots[0], members[0], ['put', k, v]).status, 0);
});

after(async () => {
  for (const k of kubelets) await k.stop();
  for (const s of sshds) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('backup, change, restore --yes: three members back as one cluster with the backup on each', { timeout: 300_000 }, async () => {
  const backup = await k8sup(['backup', 'cluster', NAME, '--ssh-accept-new', '-o', 'json']);
  assert.equal(backup.code, 0, `${backup.stderr} ${backup.error?.message ?? ''}`);
  const id = JSON.parse(backup.stdout).backup.id;

  etcdctl(roots[1], members[1], ['del', '/registry/secrets/kube-system/bootstrap']);
  etcdctl(roots[2], members[2], ['put', '/registry/pods/default/intruder', 'x']);

  const preview = await k8sup(['restore', 'cluster', NAME, '--backup', id, '-o', 'json']);
  assert.equal(preview.code, 0, preview.error?.message);
  assert.deepEqual([...new Set(JSON.parse(preview.stdout).steps.map((s: any) => s.host))], HOSTS);

  const stops = kubelets.map((k) => k.stops);
  const r = await k8sup(['restore', 'cluster', NAME, '--backup', id, '--yes']);
  assert.equal(r.code, 0, `${r.stderr} ${r.error?.message ?? ''}\n${kubelets.map((k) => k.log).join('\n')}`);
  assert.deepEqual(kubelets.map((k) => k.stops), stops.map((n) => n + 1), 'every member was stopped once');

  const ids = new Set<string>();
  for (let i = 0; i < 3; i++) {
    await waitHealthy(roots[i], members[i], 60_000);
    assert.deepEqual(localKeys(i), KEYS, `${HOSTS[i]}'s own data`);
    const list = etcdctl(roots[i], members[i], ['member', 'list', '-w', 'simple']).stdout.trim().split('\n');
    assert.deepEqual(list.map((l) => l.split(', ')[2]).sort(), HOSTS);
    ids.add(String(JSON.parse(etcdctl(roots[i], members[i], ['endpoint', 'status', '-w', 'json']).stdout)[0].Status.header.cluster_id));
  }
  assert.equal(ids.size, 1, 'one cluster');
});
