// Removing hosts from a bare-metal cluster and deleting it while a host is down, through the CLI's run() (in
// process), against real sshd instances on 127.0.0.1 with stub commands on the remote PATH (every call recorded in
// <root>/calls.log) and a temporary root per host. This machine is not changed.
//
// 1 control plane + 2 workers are applied; w2 is removed from the spec (replace -f): the plan deletes w2's steps only,
// apply drains/deletes its Node through cp1 and resets w2; a control plane removed from the spec is refused (exit 2)
// before any host is contacted; delete with w1's sshd stopped fails naming w1, and succeeds once w1 is back.

import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { metalCli } from '../helpers/metal-cli.js';
import { makeKeyPair, startSshd, writeBootstrapStubs, type KeyPair, type Sshd } from '../helpers/sshd.js';

const dir = mkdtempSync(join(tmpdir(), 'k8sup-metal-remove-'));
const home = join(dir, 'home');
const key = makeKeyPair(dir, 'client');
const NAME = 'lab.k8s.local';
const HOSTS = ['cp1', 'w1', 'w2'] as const;
type Host = (typeof HOSTS)[number];
const servers = {} as Record<Host, Sshd>;
const hostKeys = {} as Record<Host, KeyPair>;
const rootOf = (h: string) => join(dir, 'roots', h);
const calls = (h: string) => (existsSync(join(rootOf(h), 'calls.log')) ? readFileSync(join(rootOf(h), 'calls.log'), 'utf8') : '');
const allCalls = () => HOSTS.map((h) => `${h}:\n${calls(h)}`).join('\n');
const inventoryFile = join(dir, 'state', NAME, 'metal-hosts.json');

after(async () => {
  for (const s of Object.values(servers)) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

before(async () => {
  writeBootstrapStubs(join(dir, 'bin'));
  for (const h of HOSTS) {
    // Host keys live outside sshd's own folder, so a restarted sshd keeps its identity (known_hosts still matches).
    hostKeys[h] = makeKeyPair(dir, `host-key-${h}`);
    servers[h] = await startSshd({ authorizedKeys: [key.publicKey], hostKeys: [hostKeys[h]] });
  }
  const line = (h: Host) =>
    `  - {name: ${h}, address: 127.0.0.1, port: ${servers[h].port}, user: ${servers[h].user}, role: ${h === 'cp1' ? 'control-plane' : 'worker'}, sshKey: ${key.privateKeyPath}}`;
  writeFileSync(join(dir, 'hosts.yaml'), ['hosts:', ...HOSTS.map(line), ''].join('\n'));
});

const k8sup = metalCli(home, dir);

const ok = (r: Awaited<ReturnType<typeof k8sup>>) => assert.equal(r.code, 0, `${r.stderr}\n${r.error?.message ?? ''} ${r.error?.hint ?? ''}`);

/** The current spec with `edit` applied to its hosts, stored as the next revision with replace -f. */
async function replaceHosts(file: string, edit: (hosts: Record<string, unknown>[]) => Record<string, unknown>[]): Promise<void> {
  const got = await k8sup(['get', 'cluster', NAME, '-o', 'yaml']);
  ok(got);
  const doc = parse(got.stdout) as { spec: { hosts: Record<string, unknown>[] } };
  doc.spec.hosts = edit(doc.spec.hosts);
  writeFileSync(join(dir, file), stringify(doc));
  ok(await k8sup(['replace', '-f', join(dir, file)]));
}

async function planActions(): Promise<Record<string, string>> {
  const r = await k8sup(['update', 'cluster', NAME, '-o', 'json']);
  ok(r);
  const plan = JSON.parse(r.stdout) as { steps: { id: string; action: string }[] };
  return Object.fromEntries(plan.steps.map((s) => [s.id, s.action]));
}

const inventory = () => Object.keys((JSON.parse(readFileSync(inventoryFile, 'utf8')) as { hosts: object }).hosts).sort();

test('apply 1 control plane + 2 workers; the state store remembers the three hosts', async () => {
  ok(await k8sup(['create', 'cluster', NAME, '--cloud', 'metal', '--hosts', join(dir, 'hosts.yaml'), '--networking', 'cilium', '--kubernetes-version', '1.34.4']));
  ok(await k8sup(['update', 'cluster', NAME, '--yes', '--ssh-accept-new']));
  assert.equal(calls('w2').match(/^kubeadm join/gm)?.length, 1);
  assert.deepEqual(inventory(), ['cp1', 'w1', 'w2']);
});

test('a worker removed from the spec: the plan deletes its steps only; apply drains it via cp1 and resets it; the next plan is empty', async () => {
  await replaceHosts('without-w2.yaml', (hosts) => hosts.filter((h) => h.name !== 'w2'));
  // The file kept nodeGroups[0] at 2 nodes: the size follows the hosts, so validate expects the one worker left.
  const spec = JSON.parse((await k8sup(['get', 'cluster', NAME, '-o', 'json'])).stdout) as { spec: { nodeGroups: { minSize: number; maxSize: number }[] } };
  assert.deepEqual([spec.spec.nodeGroups[0].minSize, spec.spec.nodeGroups[0].maxSize], [1, 1]);
  const before = { cp1: calls('cp1'), w1: calls('w1'), w2: calls('w2') };
  const actions = await planActions();
  assert.deepEqual(
    Object.entries(actions).filter(([, a]) => a !== 'noop').sort(),
    [
      ['host/w2/joined', 'delete'],
      ['host/w2/prepared', 'delete'],
    ].sort(),
    JSON.stringify(actions),
  );
  assert.equal(calls('w2'), before.w2, 'planning ran nothing on w2');

  const applied = await k8sup(['update', 'cluster', NAME, '--yes']);
  ok(applied);
  // cp1 drained and deleted the node through the API, with its admin.conf; nothing else ran there
  const cpNew = calls('cp1').slice(before.cp1.length);
  const adminConf = join(rootOf('cp1'), 'etc/kubernetes/admin.conf');
  assert.deepEqual(
    cpNew.trim().split('\n'),
    [`kubectl --kubeconfig ${adminConf} drain w2 --ignore-daemonsets --delete-emptydir-data --timeout=120s`, `kubectl --kubeconfig ${adminConf} delete node w2 --ignore-not-found --timeout=60s`],
  );
  // w2 was reset exactly once (both of its steps asked for it) and k8sup's files are gone
  assert.equal(calls('w2').slice(before.w2.length).match(/^kubeadm reset -f/gm)?.length, 1, calls('w2'));
  for (const p of ['var/lib/k8sup', 'etc/kubernetes', 'etc/k8sup']) assert.equal(existsSync(join(rootOf('w2'), p)), false, p);
  assert.equal(calls('w1'), before.w1, 'w1 untouched');
  // drained before reset: the progress lines come in that order
  const drain = applied.stderr.indexOf('w2: drain and delete node (on cp1)');
  const reset = applied.stderr.indexOf('w2: kubeadm reset (removed host)');
  assert.ok(drain >= 0 && reset > drain, applied.stderr);
  assert.deepEqual(inventory(), ['cp1', 'w1'], 'w2 is forgotten once reset');

  const again = await planActions();
  assert.deepEqual(new Set(Object.values(again)), new Set(['noop']), JSON.stringify(again));
  assert.ok(!Object.keys(again).some((id) => id.includes('w2')));
});

test('a control plane removed from the spec is exit 2, naming it, before any host is contacted', async () => {
  const keep = readFileSync(join(dir, 'without-w2.yaml'), 'utf8');
  // cp1 replaced by another control plane (never contacted: port 1)
  await replaceHosts('without-cp1.yaml', (hosts) => [{ name: 'cp9', address: '127.0.0.9', port: 1, user: servers.cp1.user, role: 'control-plane' }, ...hosts.filter((h) => h.name !== 'cp1')]);
  const before = allCalls();
  for (const args of [['update', 'cluster', NAME, '--yes'], ['update', 'cluster', NAME]]) {
    const r = await k8sup(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.error?.message}`);
    assert.match(r.error?.message ?? '', new RegExp(`control plane cp1 \\(127\\.0\\.0\\.1:${servers.cp1.port}\\) was removed`));
    assert.match(r.error?.hint ?? '', /rollback cluster/);
  }
  assert.equal(allCalls(), before, 'nothing ran on any host');
  assert.deepEqual(inventory(), ['cp1', 'w1']);
  writeFileSync(join(dir, 'restore.yaml'), keep);
  // A deliberate return to an older document: --force (it is based on revision 1 by design).
  ok(await k8sup(['replace', '-f', join(dir, 'restore.yaml'), '--force']));
  assert.deepEqual(new Set(Object.values(await planActions())), new Set(['noop']));
});

test('delete with w1 down fails naming w1 and resets nothing; after w1 is back, delete resets every host', async () => {
  const port = servers.w1.port;
  await servers.w1.stop();
  const before = allCalls();
  const cp1Before = calls('cp1').length;
  const failed = await k8sup(['delete', 'cluster', NAME, '--yes']);
  assert.equal(failed.code, 1, failed.error?.message);
  assert.match(failed.error?.message ?? '', new RegExp(`host w1 \\(127\\.0\\.0\\.1:${port}\\) is unreachable`));
  assert.doesNotMatch(failed.error?.message ?? '', /host cp1/, 'the reachable host is not blamed');
  assert.equal(allCalls(), before, 'no host was reset');
  ok(await k8sup(['get', 'cluster', NAME]));

  servers.w1 = await startSshd({ port, authorizedKeys: [key.publicKey], hostKeys: [hostKeys.w1] });
  const deleted = await k8sup(['delete', 'cluster', NAME, '--yes']);
  ok(deleted);
  assert.match(calls('cp1').slice(cp1Before), /^kubeadm reset -f/m);
  for (const h of ['cp1', 'w1'] as const) {
    assert.match(calls(h), /^kubeadm reset -f/m, h);
    assert.equal(existsSync(join(rootOf(h), 'var/lib/k8sup')), false, h);
  }
  assert.equal(existsSync(inventoryFile), false, 'the state (inventory included) is gone');
  assert.equal((await k8sup(['get', 'cluster', NAME])).code, 2, 'the cluster is gone: naming it is invalid input');
});
