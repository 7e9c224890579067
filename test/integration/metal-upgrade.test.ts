// `upgrade cluster` on bare metal through the CLI (in process), against real sshd instances on 127.0.0.1 with the
// recording stub commands (one control plane, two workers): kubeadm's procedure in its exact order per host, an interrupted upgrade that leaves the
// spec alone and resumes after its last finished step, and a re-run that does nothing.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { treeDigest } from '../helpers/cli.js';
import { metalCli } from '../helpers/metal-cli.js';
import { makeKeyPair, startSshd, writeBootstrapStubs, type Sshd } from '../helpers/sshd.js';

const dir = mkdtempSync(join(tmpdir(), 'k8sup-metal-upgrade-'));
const home = join(dir, 'home');
const key = makeKeyPair(dir, 'client');
const servers: Sshd[] = [];
const NAME = 'lab.k8s.local';
const HOSTS = ['cp1', 'w1', 'w2'];
const rootOf = (h: string) => join(dir, 'roots', h);
const calls = (h: string) => (existsSync(join(rootOf(h), 'calls.log')) ? readFileSync(join(rootOf(h), 'calls.log'), 'utf8') : '');
const k8sup = metalCli(home, dir);
const progressFile = join(dir, 'state', NAME, 'upgrade', 'progress.json');

after(async () => {
  for (const s of servers) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The upgrade-relevant commands a host ran since `offset` (a length of its calls.log), as short names. */
function upgradeCalls(host: string, offset: number): string[] {
  const names: [RegExp, (m: RegExpMatchArray) => string][] = [
    [/^k8sup-etcd-backup/, () => 'etcd snapshot'],
    [/^apt-get .*install .*--allow-change-held-packages kubeadm=1\.35\.1-1\.1$/, () => 'install kubeadm'],
    [/^kubeadm upgrade plan v1\.35\.1 /, () => 'kubeadm upgrade plan'],
    [/^kubeadm upgrade apply v1\.35\.1 --yes /, () => 'kubeadm upgrade apply'],
    [/^kubeadm upgrade node$/, () => 'kubeadm upgrade node'],
    [/^kubectl --kubeconfig \S+admin\.conf drain (\S+) --ignore-daemonsets/, (m) => `drain ${m[1]}`],
    [/^apt-get .*install .*--allow-change-held-packages kubelet=1\.35\.1-1\.1 kubectl=1\.35\.1-1\.1$/, () => 'install kubelet'],
    [/^systemctl restart kubelet$/, () => 'restart kubelet'],
    [/^kubectl --kubeconfig \S+admin\.conf uncordon (\S+)$/, (m) => `uncordon ${m[1]}`],
    [/^kubectl --kubeconfig \S+admin\.conf wait --for=condition=Ready node\/(\S+) /, (m) => `ready ${m[1]}`],
  ];
  return calls(host)
    .slice(offset)
    .split('\n')
    .flatMap((line) => {
      for (const [re, name] of names) {
        const m = line.match(re);
        if (m) return [name(m)];
      }
      return [];
    });
}

/** The upgrade.step events of a run (--progress ndjson) with the given phase, as step ids. */
const stepsWith = (stderr: string, phase: string) =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l))
    .filter((e) => e.code === 'upgrade.step' && e.phase === phase)
    .map((e) => e.step as string);

const specVersion = async () => JSON.parse((await k8sup(['get', 'cluster', NAME, '-o', 'json'])).stdout).spec.kubernetesVersion;

const PER_HOST = (h: string, first: boolean) => [
  'install kubeadm',
  ...(first ? ['kubeadm upgrade plan', 'kubeadm upgrade apply'] : ['kubeadm upgrade node']),
  'install kubelet',
  'restart kubelet',
];
const FROM_FIRST = (h: string) => [`drain ${h}`, `uncordon ${h}`, `ready ${h}`];

let installed: Record<string, number>;
before(async () => {
  writeBootstrapStubs(join(dir, 'bin'));
  for (let i = 0; i < HOSTS.length; i++) servers.push(await startSshd({ authorizedKeys: [key.publicKey] }));
  const hostsFile = join(dir, 'hosts.yaml');
  writeFileSync(
    hostsFile,
    [
      'hosts:',
      ...HOSTS.map((h, i) => `  - {name: ${h}, address: 127.0.0.1, port: ${servers[i].port}, user: ${servers[i].user}, role: ${h.startsWith('cp') ? 'control-plane' : 'worker'}, sshKey: ${key.privateKeyPath}}`),
      '',
    ].join('\n'),
  );
  const created = await k8sup(['create', 'cluster', NAME, '--cloud', 'metal', '--hosts', hostsFile, '--networking', 'cilium', '--kubernetes-version', '1.34.4', '--yes', '--ssh-accept-new']);
  assert.equal(created.code, 0, `${created.stderr} ${created.error?.message ?? ''}`);
  installed = Object.fromEntries(HOSTS.map((h) => [h, calls(h).length]));
});

test('without --yes: the plan of steps in kubeadm order, and nothing is written or run anywhere', async () => {
  const digest = treeDigest(dir);
  const r = await k8sup(['upgrade', 'cluster', NAME, '--kubernetes-version', '1.35.1', '-o', 'json']);
  assert.equal(r.code, 0, `${r.stderr} ${r.error?.message ?? ''}`);
  const plan = JSON.parse(r.stdout);
  assert.equal(plan.from, '1.34.4');
  assert.equal(plan.to, '1.35.1');
  const perHost = (h: string, first: boolean) => ['kubeadm', first ? 'upgrade-apply' : 'upgrade-node', 'drain', 'kubelet', 'uncordon', 'validate'].map((a) => `host/${h}/${a}`);
  assert.deepEqual(plan.steps.map((s: any) => s.id), ['etcd-snapshot', ...perHost('cp1', true), ...perHost('w1', false), ...perHost('w2', false)]);
  assert.ok(plan.steps.every((s: any) => s.done === false));
  assert.equal(treeDigest(dir), digest, 'the preview wrote something (state store or a host)');
});

test('skipping a minor or going down is refused before anything is contacted', async () => {
  for (const version of ['1.36.0', '1.33.8']) {
    const r = await k8sup(['upgrade', 'cluster', NAME, '--kubernetes-version', version, '--yes']);
    assert.equal(r.code, 2, r.stderr);
  }
  assert.deepEqual(HOSTS.map((h) => calls(h).length), HOSTS.map((h) => installed[h]));
});

test('an interrupted upgrade keeps the old spec and records its progress; the same command resumes after the last finished step', async () => {
  writeFileSync(join(rootOf('w1'), 'FAIL_ONCE_upgrade'), '');
  const failed = await k8sup(['upgrade', 'cluster', NAME, '--kubernetes-version', '1.35.1', '--yes', '--progress', 'ndjson']);
  assert.equal(failed.code, 1, failed.stderr);
  assert.deepEqual(stepsWith(failed.stderr, 'failed'), ['host/w1/upgrade-node']);
  // The bug this fixes: the spec used to keep the new version after a failed upgrade, so every later update failed.
  assert.equal(await specVersion(), '1.34.4');
  const progress = JSON.parse(readFileSync(progressFile, 'utf8'));
  assert.deepEqual(progress.done, ['etcd-snapshot', ...['kubeadm', 'upgrade-apply', 'drain', 'kubelet', 'uncordon', 'validate'].map((a) => `host/cp1/${a}`), 'host/w1/kubeadm']);
  // A different version while this one is unfinished is refused (exit 2).
  const other = await k8sup(['upgrade', 'cluster', NAME, '--kubernetes-version', '1.35.0', '--yes']);
  assert.equal(other.code, 2);
  assert.match(other.error?.message ?? '', /has not finished/);

  const resumed = await k8sup(['upgrade', 'cluster', NAME, '--kubernetes-version', '1.35.1', '--yes', '--progress', 'ndjson']);
  assert.equal(resumed.code, 0, `${resumed.stderr} ${resumed.error?.message ?? ''}`);
  assert.deepEqual(stepsWith(resumed.stderr, 'skipped'), progress.done, 'the finished steps were not run again');
  assert.equal(await specVersion(), '1.35.1');
  assert.equal(existsSync(progressFile), false, 'the progress record outlived the upgrade');

  // Exact command order per host over both runs: the failed `kubeadm upgrade node` is in w1's log once, then again.
  assert.deepEqual(upgradeCalls('cp1', installed.cp1), [
    'etcd snapshot',
    ...PER_HOST('cp1', true).slice(0, 3),
    'drain cp1',
    ...PER_HOST('cp1', true).slice(3),
    ...FROM_FIRST('cp1').slice(1),
    ...FROM_FIRST('w1'),
    ...FROM_FIRST('w2'),
  ]);
  assert.deepEqual(upgradeCalls('w1', installed.w1), ['install kubeadm', 'kubeadm upgrade node', 'kubeadm upgrade node', 'install kubelet', 'restart kubelet']);
  assert.deepEqual(upgradeCalls('w2', installed.w2), ['install kubeadm', 'kubeadm upgrade node', 'install kubelet', 'restart kubelet']);
  // Drain → packages → uncordon per node, one node at a time: the global order of the finished steps.
  const order = stepsWith(resumed.stderr, 'done');
  for (const h of ['w1', 'w2']) {
    const at = (a: string) => order.indexOf(`host/${h}/${a}`);
    assert.ok(at('upgrade-node') < at('drain') && at('drain') < at('kubelet') && at('kubelet') < at('uncordon') && at('uncordon') < at('validate'), order.join(' '));
  }
  assert.ok(order.indexOf('host/w1/validate') < order.indexOf('host/w2/kubeadm'), 'one node at a time: w2 started before w1 was validated');
});

test('after the upgrade: a re-run does nothing, and update plans no change', async () => {
  const before = HOSTS.map(calls);
  const again = await k8sup(['upgrade', 'cluster', NAME, '--kubernetes-version', '1.35.1', '--yes']);
  assert.equal(again.code, 0, `${again.stderr} ${again.error?.message ?? ''}`);
  assert.match(again.stdout, /runs Kubernetes 1\.35\.1: nothing to upgrade/);
  const update = await k8sup(['update', 'cluster', NAME, '--detailed-exitcode']);
  assert.equal(update.code, 0, `${update.stdout} ${update.stderr} ${update.error?.message ?? ''}`);
  assert.deepEqual(HOSTS.map(calls), before, 'a host ran something');
});
