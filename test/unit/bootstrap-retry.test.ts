// The bootstrap on first boot, where things are not ready yet: a held dpkg lock, IAM that has not propagated, an API
// server that refuses the CNI, a kubeadm run that fails half-way. Each runs the rendered script under the stub harness
// (test/helpers/stub-root.ts) and checks that it waits, retries within bounds, recovers, and reports what it does.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { renderBootstrapScript } from '../../src/bootstrap/index.js';
import { testInput } from '../helpers/bootstrap-fixtures.js';
import { createStubRoot, FAKE_BOOTSTRAP_TOKEN, type StubRoot, type StubRun } from '../helpers/stub-root.js';

const PUBLISHED_TOKEN = `token=${FAKE_BOOTSTRAP_TOKEN}\nexpires=2030-01-01T00:00:00Z\nissuer=ip-10-0-0-9\n`;
const REPORT_KEY = 'nodes/status/i-0123456789abcdef0.json';

let stub: StubRoot | undefined;
afterEach(() => {
  stub?.cleanup();
  stub = undefined;
});

function succeeded(run: StubRun): void {
  assert.equal(run.status, 0, `script failed (${run.status}):\n${run.stderr}`);
}
const count = (run: StubRun, pattern: RegExp) => run.calls.filter((c) => pattern.test(c)).length;
const sleeps = (run: StubRun) => run.calls.filter((c) => c.startsWith('sleep ')).map((c) => Number(c.split(' ')[1]));
function report(s: StubRoot, key = REPORT_KEY): Record<string, unknown> {
  const text = s.storeObject(key);
  assert.ok(text, `no progress report at ${key}`);
  return JSON.parse(text);
}

describe('first boot: what the bootstrap waits for', () => {
  test('a dpkg lock held by unattended-upgrades for 2 minutes: every apt-get waits for it (bounded) instead of failing', () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    stub.holdDpkgLock(120);
    const run = stub.run(renderBootstrapScript(testInput('aws', 'worker')));
    succeeded(run);
    const aptCalls = run.calls.filter((c) => c.startsWith('apt-get '));
    assert.ok(aptCalls.length >= 3, aptCalls.join('\n'));
    for (const call of aptCalls) assert.match(call, /^apt-get -o DPkg::Lock::Timeout=600 /, call);
    assert.ok(count(run, /^kubeadm join /) === 1);
  });

  test('a dpkg lock held longer than the timeout: apt-get is retried a bounded number of times, then the node reports it', () => {
    stub = createStubRoot();
    stub.holdDpkgLock(3600);
    const run = stub.run(renderBootstrapScript(testInput('aws', 'worker')));
    assert.notEqual(run.status, 0);
    assert.equal(count(run, /^apt-get .* update/), 10, 'ten tries of the first apt-get update (its lists lock is never waited for)');
    assert.ok(!run.calls.some((c) => c.startsWith('kubeadm')));
    const r = report(stub);
    assert.equal(r.state, 'failed');
    assert.equal(r.step, 'packages');
    assert.match(String(r.error), /apt-get update failed 10 times/);
  });

  test('IAM propagation: the PKI fetch is denied (403) three times, then succeeds; kubeadm init runs after it', () => {
    stub = createStubRoot();
    stub.failNext('store-pki_ca.key', 3);
    const run = stub.run(renderBootstrapScript(testInput('aws', 'control-plane-init')));
    succeeded(run);
    assert.equal(count(run, /^curl .*\/pki\/ca\.key$/), 4, 'three denied tries and one that worked');
    assert.deepEqual(sleeps(run).slice(0, 3), [5, 10, 20], 'backs off between tries');
    const initAt = run.calls.findIndex((c) => c.startsWith('kubeadm init '));
    const lastFetch = run.calls.findLastIndex((c) => /\/pki\/ca\.key$/.test(c));
    assert.ok(lastFetch < initAt);
    assert.ok(existsSync(join(stub.root, 'etc/kubernetes/pki/ca.key')));
  });

  test('IAM that never works: the PKI fetch gives up after 10 tries, kubeadm never runs, the report says why', () => {
    stub = createStubRoot();
    stub.failNext('store-pki_ca.crt', 1000);
    const run = stub.run(renderBootstrapScript(testInput('aws', 'control-plane-join')));
    assert.notEqual(run.status, 0);
    assert.equal(count(run, /^curl .*\/pki\/ca\.crt$/), 10);
    assert.ok(!run.calls.some((c) => c.startsWith('kubeadm join') || c.startsWith('kubeadm init')));
    const r = report(stub);
    assert.equal(r.state, 'failed');
    assert.equal(r.step, 'pki');
    assert.equal(r.role, 'control-plane-join');
    assert.equal(r.group, 'control-plane');
    assert.match(String(r.error), /cannot fetch pki\/ca\.crt from the state store/);
  });

  test('the CNI apply is retried while the API server refuses it', () => {
    stub = createStubRoot();
    stub.failNext('kubectl-apply', 2);
    const run = stub.run(renderBootstrapScript(testInput('gce', 'control-plane-init', { cni: 'flannel' })));
    succeeded(run);
    assert.equal(count(run, /^kubectl apply --server-side --force-conflicts -f \S+flannel-0\.26\.4\.yaml$/), 3);
  });

  test('cilium install is retried; a retry after a partial install upgrades the release it left', () => {
    stub = createStubRoot();
    stub.failNext('cilium-install', 1);
    stub.failNext('cilium-upgrade', 1);
    const run = stub.run(renderBootstrapScript(testInput('aws', 'control-plane-init', { cni: 'cilium' })));
    succeeded(run);
    assert.equal(count(run, /^cilium install --version 1\.17\.3 /), 2);
    assert.equal(count(run, /^cilium upgrade --version 1\.17\.3 --set ipam\.mode=kubernetes$/), 2);
  });

  test('the bootstrap token is private (0600) while the join runs', () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    succeeded(stub.run(renderBootstrapScript(testInput('gce', 'worker'))));
    assert.equal(stub.tokenModeAtJoin(), '600');
  });
});

describe("kubeadm's real outcome decides, never kubelet.conf", () => {
  test('a failed kubeadm init, then a rerun: reset, init again, and only then the marker and the token', () => {
    stub = createStubRoot();
    stub.failNext('kubeadm-init', 1);
    const script = renderBootstrapScript(testInput('aws', 'control-plane-init'));
    const first = stub.run(script);
    assert.notEqual(first.status, 0);
    assert.ok(existsSync(join(stub.root, 'etc/kubernetes/kubelet.conf')), 'the failed init left kubelet.conf behind (as kubeadm does)');
    assert.equal(stub.storeObject('bootstrap/initialized'), undefined, 'marker published after a failed init');
    assert.equal(stub.storeObject('bootstrap/token'), undefined, 'token published after a failed init');
    assert.ok(!first.calls.some((c) => c.startsWith('kubeadm token create')));
    let r = report(stub);
    assert.equal(r.state, 'failed');
    assert.equal(r.step, 'kubeadm');
    assert.equal(r.attempt, 1);
    assert.match(String(r.error), /kubeadm init .* exited with status 1/);

    const second = stub.run(script);
    succeeded(second);
    assert.doesNotMatch(second.stderr, /already part of the cluster/);
    const resetAt = second.calls.indexOf('kubeadm reset -f');
    const initAt = second.calls.findIndex((c) => c.startsWith('kubeadm init '));
    assert.ok(resetAt >= 0 && resetAt < initAt, `reset before init:\n${second.calls.filter((c) => c.startsWith('kubeadm')).join('\n')}`);
    assert.equal(sleeps(second)[0], 10, 'the rerun backs off after one failed run');
    // The cluster's PKI survived the reset (kubeadm reset empties /etc/kubernetes/pki) and was not fetched again.
    assert.equal(readFileSync(join(stub.root, 'etc/kubernetes/pki/ca.key'), 'utf8').startsWith('stub download'), true);
    assert.ok(!second.calls.some((c) => /\/pki\/ca\.key$/.test(c)), 'the PKI was fetched again');
    assert.match(stub.storeObject('bootstrap/initialized') ?? '', /^initialized=true$/m);
    assert.match(stub.storeObject('bootstrap/token') ?? '', /^token=/m);
    assert.ok(second.calls.findIndex((c) => /-X PUT .*bootstrap\/initialized$/.test(c)) > initAt);
    r = report(stub);
    assert.equal(r.state, 'done');
    assert.equal(r.attempt, 2);
    assert.ok(!existsSync(join(stub.root, 'var/lib/k8sup/bootstrap-failures')));
  });

  test('a failed worker join, then a rerun: reset and join again', () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    stub.failNext('kubeadm-join', 1);
    const script = renderBootstrapScript(testInput('gce', 'worker'));
    assert.notEqual(stub.run(script).status, 0);
    const second = stub.run(script);
    succeeded(second);
    const kubeadm = second.calls.filter((c) => /^kubeadm (reset|join)/.test(c));
    assert.deepEqual(kubeadm.map((c) => c.split(' ').slice(0, 2).join(' ')), ['kubeadm reset', 'kubeadm join']);
    assert.equal(report(stub, 'nodes/status/node-gce-1.json').state, 'done');
  });

  test('a node reset by hand (or by k8sup delete on metal) after a successful join: the next run joins again', () => {
    stub = createStubRoot();
    stub.writeFile('etc/k8sup/bootstrap-token', `token=${FAKE_BOOTSTRAP_TOKEN}\n`);
    const script = renderBootstrapScript(testInput('metal', 'worker'));
    succeeded(stub.run(script));
    // What `kubeadm reset` leaves: no kubelet.conf. k8sup's stamps stay behind and must not be believed.
    rmSync(join(stub.root, 'etc/kubernetes/kubelet.conf'));
    stub.writeFile('etc/k8sup/bootstrap-token', `token=${FAKE_BOOTSTRAP_TOKEN}\n`);
    const again = stub.run(script);
    succeeded(again);
    assert.equal(count(again, /^kubeadm join /), 1);
    assert.ok(existsSync(join(stub.root, 'etc/kubernetes/kubelet.conf')));
  });

  test('a node set up by an older k8sup (kubelet.conf, no record of kubeadm) is left alone', () => {
    stub = createStubRoot();
    stub.writeFile('etc/kubernetes/kubelet.conf', 'apiVersion: v1\n');
    stub.writeFile('etc/k8sup/bootstrap-token', `token=${FAKE_BOOTSTRAP_TOKEN}\n`);
    const run = stub.run(renderBootstrapScript(testInput('metal', 'worker')));
    succeeded(run);
    assert.ok(!run.calls.some((c) => c.startsWith('kubeadm reset') || c.startsWith('kubeadm join')));
    assert.match(run.stderr, /set up by an earlier k8sup/);
  });
});

describe('progress reports and supported images', () => {
  test('a worker reports each step with its own identity and ends with done; a finished node reports nothing again', () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    const script = renderBootstrapScript(testInput('aws', 'worker'));
    const run = stub.run(script);
    succeeded(run);
    const puts = run.calls.filter((c) => /-X PUT .*\/team-a\/demo\.k8s\.local\/nodes\/status\/i-0123456789abcdef0\.json$/.test(c));
    assert.ok(puts.length >= 5, `one report per step, got ${puts.length}`);
    const r = report(stub);
    assert.deepEqual(Object.keys(r), ['v', 'instance', 'cluster', 'role', 'group', 'step', 'state', 'attempt', 'error', 'time']);
    assert.equal(r.instance, 'i-0123456789abcdef0');
    assert.equal(r.cluster, 'demo.k8s.local');
    assert.equal(r.group, 'nodes');
    assert.equal(r.state, 'done');
    assert.equal(r.error, '');
    assert.match(String(r.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const again = stub.run(script);
    succeeded(again);
    assert.ok(!again.calls.some((c) => c.includes('nodes/status')), 'a rerun of a finished node reported');
  });

  test('an unsupported image is refused before anything is installed, with the reason in the report', () => {
    stub = createStubRoot();
    stub.writeFile('etc/os-release', 'NAME="Ubuntu"\nVERSION_ID="20.04"\nID=ubuntu\n', 0o644);
    const run = stub.run(renderBootstrapScript(testInput('gce', 'worker')));
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /unsupported image ubuntu 20\.04: k8sup nodes need Ubuntu 22\.04 or later, or Debian 12 or later/);
    assert.ok(!run.calls.some((c) => /^(apt-get|tar|kubeadm|swapoff) /.test(c)));
    const r = report(stub, 'nodes/status/node-gce-1.json');
    assert.equal(r.step, 'image');
    assert.equal(r.state, 'failed');
    assert.match(String(r.error), /unsupported image ubuntu 20\.04/);
  });

  test('Ubuntu 22.04 (curl 7.81) and Debian 12 are accepted', () => {
    for (const release of ['ID=ubuntu\nVERSION_ID="22.04"\n', 'ID=debian\nVERSION_ID="12"\n']) {
      stub = createStubRoot();
      stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
      stub.writeFile('etc/os-release', release, 0o644);
      succeeded(stub.run(renderBootstrapScript(testInput('aws', 'worker'))));
      stub.cleanup();
    }
    stub = undefined;
  });
});

describe('the state bucket in its own region', () => {
  test('a dotted bucket in another region: path-style URLs, signed for the bucket region', () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    const input = { ...testInput('aws', 'worker'), stateStoreUrl: 's3://state.k8s.example.com/team-a', stateStoreRegion: 'eu-west-1' };
    const run = stub.run(renderBootstrapScript(input));
    succeeded(run);
    const storeCalls = run.calls.filter((c) => c.startsWith('curl ') && /amazonaws\.com/.test(c));
    assert.ok(storeCalls.length > 0);
    for (const call of storeCalls) assert.match(call, / https:\/\/s3\.eu-west-1\.amazonaws\.com\/state\.k8s\.example\.com\/team-a\/demo\.k8s\.local\//, call);
    assert.match(stub.curlStdin(), /Credential=ASIAFAKEFAKEFAKEFAKE\/\d{8}\/eu-west-1\/s3\/aws4_request/);
    assert.doesNotMatch(stub.curlStdin(), /us-east-2\/s3/);
  });
});
