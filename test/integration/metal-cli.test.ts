// `k8sup create/update/delete cluster --cloud metal` through the CLI's run() (in process), against real sshd
// instances on 127.0.0.1 with stub commands on the remote PATH and a temporary root per host.

import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metalCli } from '../helpers/metal-cli.js';
import { makeKeyPair, sshKeygenFingerprint, startSshd, writeBootstrapStubs, type Sshd } from '../helpers/sshd.js';

const dir = mkdtempSync(join(tmpdir(), 'k8sup-metal-cli-'));
const home = join(dir, 'home');
const key = makeKeyPair(dir, 'client');
const servers: Sshd[] = [];
const NAME = 'lab.k8s.local';
const rootOf = (h: string) => join(dir, 'roots', h);
const calls = (h: string) => (existsSync(join(rootOf(h), 'calls.log')) ? readFileSync(join(rootOf(h), 'calls.log'), 'utf8') : '');

after(async () => {
  for (const s of servers) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

let hostsFile: string;
before(async () => {
  writeBootstrapStubs(join(dir, 'bin'));
  for (let i = 0; i < 2; i++) servers.push(await startSshd({ authorizedKeys: [key.publicKey] }));
  hostsFile = join(dir, 'hosts.yaml');
  writeFileSync(
    hostsFile,
    [
      'hosts:',
      `  - {name: cp1, address: 127.0.0.1, port: ${servers[0].port}, user: ${servers[0].user}, role: control-plane, sshKey: ${key.privateKeyPath}}`,
      `  - {name: w1, address: 127.0.0.1, port: ${servers[1].port}, user: ${servers[1].user}, role: worker, sshKey: ${key.privateKeyPath}}`,
      '',
    ].join('\n'),
  );
});

const k8sup = metalCli(home, dir);

test('create without --yes stores the spec and prints the per-host plan; no host is contacted', async () => {
  const r = await k8sup(['create', 'cluster', NAME, '--cloud', 'metal', '--hosts', hostsFile, '--networking', 'cilium', '--kubernetes-version', '1.34.4']);
  assert.equal(r.code, 0, `${r.stderr} ${r.error?.message ?? ''}`);
  for (const id of ['host/cp1/prepared', 'host/w1/prepared', 'host/cp1/kubeadm-init', 'host/w1/joined']) assert.ok(r.stdout.includes(id), r.stdout);
  assert.equal(existsSync(join(home, '.ssh', 'known_hosts')), false, 'no SSH connection was made');
  assert.equal(calls('cp1') + calls('w1'), '');
});

test('create -v shows the exact script each host will run, and still contacts no host', async () => {
  const r = await k8sup(['create', 'cluster', 'verbose.k8s.local', '--cloud', 'metal', '--hosts', hostsFile, '--networking', 'cilium', '--kubernetes-version', '1.34.4', '-v']);
  assert.equal(r.code, 0, `${r.stderr} ${r.error?.message ?? ''}`);
  const init = r.stdout.indexOf('--- host/cp1/kubeadm-init: the script it runs ---');
  const join_ = r.stdout.indexOf('--- host/w1/joined: the script it runs ---');
  assert.ok(init > 0 && join_ > init, r.stdout.slice(0, 2000));
  assert.match(r.stdout.slice(init, join_), /kubeadm init/);
  assert.match(r.stdout.slice(join_), /kubeadm join/);
  assert.doesNotMatch(r.stdout, /PRIVATE KEY/);
  assert.equal(calls('cp1') + calls('w1'), '');
});

test('a bad hosts file is exit 2 naming the field', async () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'hosts:\n  - {address: 127.0.0.1, role: control-plane}\n  - {address: 127.0.0.2, role: boss}\n');
  const r = await k8sup(['create', 'cluster', 'bad.k8s.local', '--cloud', 'metal', '--hosts', bad]);
  assert.equal(r.code, 2);
  assert.match(r.error?.message ?? '', /hosts\[1\]\.role/);
});

test('update --yes refuses unknown host keys (exit 1, fingerprint named) and applies with --ssh-accept-new; a second update changes nothing', async () => {
  const refused = await k8sup(['update', 'cluster', NAME, '--yes']);
  assert.equal(refused.code, 1);
  const fps = servers.map((s) => sshKeygenFingerprint(s.hostPublicKeyPaths[0]));
  assert.ok(fps.some((fp) => (refused.error?.message ?? '').includes(fp)), refused.error?.message);
  assert.equal(calls('cp1'), '');

  const applied = await k8sup(['update', 'cluster', NAME, '--yes', '--ssh-accept-new']);
  assert.equal(applied.code, 0, `${applied.stderr} ${applied.error?.message ?? ''}`);
  assert.equal(calls('cp1').match(/^kubeadm init/gm)?.length, 1);
  assert.equal(calls('w1').match(/^kubeadm join/gm)?.length, 1);

  const before = calls('cp1') + calls('w1');
  const again = await k8sup(['update', 'cluster', NAME, '--yes']);
  assert.equal(again.code, 0, again.error?.message);
  assert.equal(calls('cp1') + calls('w1'), before, 'the second run ran nothing on the hosts');
});

test('delete --yes resets every host', async () => {
  const r = await k8sup(['delete', 'cluster', NAME, '--yes']);
  assert.equal(r.code, 0, `${r.stderr} ${r.error?.message ?? ''}`);
  assert.match(calls('cp1'), /^kubeadm reset -f/m);
  assert.match(calls('w1'), /^kubeadm reset -f/m);
  assert.equal(existsSync(join(rootOf('cp1'), 'etc/kubernetes/pki/ca.key')), false);
});
