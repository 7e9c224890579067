// What real clouds and real first boots do that emulators do not, run against the real rendered bootstrap under the
// stub harness (test/helpers/stub-root.ts): IMDS answers of VPCs with custom DHCP options, apt's locks at first boot,
// runs that stop half-way (a reboot, a kill) and the run after them.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { renderBootstrapScript } from '../../src/bootstrap/index.js';
import { testInput } from '../helpers/bootstrap-fixtures.js';
import { createStubRoot, FAKE_BOOTSTRAP_TOKEN, type StubRoot, type StubRun } from '../helpers/stub-root.js';

const PUBLISHED_TOKEN = `token=${FAKE_BOOTSTRAP_TOKEN}\nexpires=2030-01-01T00:00:00Z\nissuer=ip-10-0-0-9\n`;
/** The token a control plane's refresh publishes (valid 24h from now). */
const REFRESHED_TOKEN = 'fresh1.0123456789abcdef';
const refreshed = () => `token=${REFRESHED_TOKEN}\nexpires=${new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z')}\nissuer=ip-10-0-0-9\n`;

let stub: StubRoot | undefined;
afterEach(() => {
  stub?.cleanup();
  stub = undefined;
});

// Runs go through runAsync (60 s bound) rather than run (20 s): a control plane's script on a loaded 2-core machine
// can take longer than 20 s under the stubs.
function assertSucceeded(run: StubRun): void {
  assert.equal(run.status, 0, `script failed (${run.status}):\n${run.stderr}`);
}

/** A file in the stub's own folder ($STUB_DIR), where the stubs read what the fake world answers. */
function stubFile(s: StubRoot, name: string, content: string): void {
  writeFileSync(join(dirname(s.bin), name), content);
}

describe('bootstrap on real clouds', () => {
  test('aws: a DHCP options set with several domain names: the node name is the first name IMDS gives', async () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    // What IMDS answers in such a VPC (seen on EC2: the private DNS name, then the other domains of the option).
    stubFile(stub, 'local-hostname', 'ip-10-0-0-5.us-east-2.compute.internal corp.example lab.corp.example\n');
    const run = await stub.runAsync(renderBootstrapScript(testInput('aws', 'worker')));
    assertSucceeded(run);
    const config = readFileSync(join(stub.root, 'etc/k8sup/kubeadm.yaml'), 'utf8');
    assert.match(config, /^ {2}name: "ip-10-0-0-5\.us-east-2\.compute\.internal"$/m);
  });

  test('a DHCP options set with one custom domain: IMDS names the node in it; the node is named so, with a warning pointing at docs/aws.md', async () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    stubFile(stub, 'local-hostname', 'ip-10-0-0-5.corp.example\n');
    const run = await stub.runAsync(renderBootstrapScript(testInput('aws', 'worker')));
    assertSucceeded(run);
    assert.match(run.stderr, /warning: node name ip-10-0-0-5\.corp\.example is not in us-east-2\.compute\.internal: .*docs\/aws\.md, "Node names"/);
    assert.match(readFileSync(join(stub.root, 'etc/k8sup/kubeadm.yaml'), 'utf8'), /^ {2}name: "ip-10-0-0-5\.corp\.example"$/m);
    // In the region's own domain: no warning.
    stub.cleanup();
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    const plain = await stub.runAsync(renderBootstrapScript(testInput('aws', 'worker')));
    assertSucceeded(plain);
    assert.doesNotMatch(plain.stderr, /is not in .*compute\.internal/);
  });
});

describe('a run that stopped half-way, then the next run', () => {
  test('containerd not restarted after its configuration was written: the next run restarts (and enables) it', async () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    const script = renderBootstrapScript(testInput('aws', 'worker'));
    stub.failNext('systemctl-restart-containerd', 1);
    const first = await stub.runAsync(script);
    assert.notEqual(first.status, 0, 'the first run must stop where containerd did not restart');
    assert.ok(!first.calls.some((c) => c.startsWith('kubeadm join')), first.calls.join('\n'));
    // The files are all in place now; only the restart is owed.
    const again = await stub.runAsync(script);
    assertSucceeded(again);
    const enable = again.calls.indexOf('systemctl enable containerd');
    const restart = again.calls.indexOf('systemctl restart containerd');
    const join = again.calls.findIndex((c) => c.startsWith('kubeadm join'));
    assert.ok(enable >= 0 && restart > enable && join > restart, `enable, restart, then join expected:\n${again.calls.join('\n')}`);
    // Paid once: a third run leaves containerd alone.
    const third = await stub.runAsync(script);
    assertSucceeded(third);
    assert.ok(!third.calls.some((c) => c.startsWith('systemctl')), third.calls.join('\n'));
  });
});

describe('a run that stopped half-way: the sysctls', () => {
  test('sysctl --system failed after the file was written: the next run applies it again', async () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    const script = renderBootstrapScript(testInput('gce', 'worker'));
    stub.failNext('sysctl-system', 1);
    const first = await stub.runAsync(script);
    assert.notEqual(first.status, 0);
    const again = await stub.runAsync(script);
    assertSucceeded(again);
    const apply = again.calls.indexOf('sysctl --system');
    assert.ok(apply >= 0 && apply < again.calls.findIndex((c) => c.startsWith('kubeadm join')), again.calls.join('\n'));
    const third = await stub.runAsync(script);
    assert.ok(!third.calls.includes('sysctl --system'), third.calls.join('\n'));
  });
});

describe('a run that stopped half-way: the token refresh timer', () => {
  test('its files written, the enable not done: the next run enables it, so nodes can join after the first 24 h', async () => {
    stub = createStubRoot();
    const script = renderBootstrapScript(testInput('aws', 'control-plane-init'));
    stub.failNext('systemctl-enable-k8sup-token-refresh.timer', 1);
    const first = await stub.runAsync(script);
    assert.notEqual(first.status, 0);
    const again = await stub.runAsync(script);
    assertSucceeded(again);
    assert.ok(again.calls.includes('systemctl enable --now k8sup-token-refresh.timer'), again.calls.join('\n'));
    const third = await stub.runAsync(script);
    assertSucceeded(third);
    assert.ok(!third.calls.some((c) => c.includes('k8sup-token-refresh.timer')), third.calls.join('\n'));
  });
});

describe('a run that stopped half-way: the etcd units of a control plane', () => {
  for (const unit of ['k8sup-etcd-leave.service', 'k8sup-etcd-backup.timer', 'k8sup-etcd-control.timer']) {
    test(`${unit}: its files written, the enable not done: the next run enables it`, async () => {
      stub = createStubRoot();
      const input = testInput('aws', 'control-plane-init');
      input.cluster.spec.etcd = { ...input.cluster.spec.etcd, backups: { schedule: '0 * * * *', retain: 24 } } as typeof input.cluster.spec.etcd;
      const script = renderBootstrapScript(input);
      stub.failNext(`systemctl-enable-${unit}`, 1);
      const first = await stub.runAsync(script);
      assert.notEqual(first.status, 0, 'the enable was not tried');
      const again = await stub.runAsync(script);
      assertSucceeded(again);
      assert.ok(again.calls.includes(`systemctl enable --now ${unit}`), `the next run did not enable ${unit}:\n${again.calls.join('\n')}`);
      const third = await stub.runAsync(script);
      assertSucceeded(third);
      assert.ok(!third.calls.some((c) => c.includes(unit)), third.calls.join('\n'));
    });
  }
});

describe('a version bump of containerd', () => {
  test('new binaries with an unchanged configuration: containerd is restarted onto them', async () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    const script = renderBootstrapScript(testInput('aws', 'worker'));
    assertSucceeded(await stub.runAsync(script));
    // A node installed by an earlier bundle that pinned other containerd/runc releases: same files, other stamp.
    const stamp = readdirSync(join(stub.root, 'var/lib/k8sup/done')).find((f) => f.startsWith('containerd-'));
    assert.ok(stamp, 'the install leaves a version-named stamp');
    rmSync(join(stub.root, 'var/lib/k8sup/done', stamp));
    const again = await stub.runAsync(script);
    assertSucceeded(again);
    const extract = again.calls.findIndex((c) => /^tar .*containerd\.tar\.gz/.test(c));
    const restart = again.calls.indexOf('systemctl restart containerd');
    assert.ok(extract >= 0 && restart > extract, `the new binaries, then a restart expected:\n${again.calls.join('\n')}`);
  });
});

describe('the clock at first boot', () => {
  test('not synchronised yet: the script waits (bounded, logged) before the first download or signed request', async () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    stub.failNext('clock-unsynchronised', 3);
    const run = await stub.runAsync(renderBootstrapScript(testInput('aws', 'worker')));
    assertSucceeded(run);
    assert.match(run.stderr, /waiting for the clock to be synchronised \(3\/24\)/);
    const synced = run.calls.lastIndexOf('timedatectl show -p NTPSynchronized --value');
    const firstDownload = run.calls.findIndex((c) => /^curl .*github\.com/.test(c));
    assert.ok(synced >= 0 && firstDownload > synced, run.calls.join('\n'));
  });

  test('never synchronised (no NTP server in reach): a warning after 2 minutes, and the bootstrap goes on', async () => {
    stub = createStubRoot();
    // A metal worker: k8sup copied its token over SSH.
    stub.writeFile('etc/k8sup/bootstrap-token', `token=${FAKE_BOOTSTRAP_TOKEN}\n`);
    stub.failNext('clock-unsynchronised', 1000);
    const run = await stub.runAsync(renderBootstrapScript(testInput('metal', 'worker')));
    assertSucceeded(run);
    assert.match(run.stderr, /warning: the clock is still not synchronised after 2 minutes/);
    assert.equal(run.calls.filter((c) => c === 'timedatectl show -p NTPSynchronized --value').length, 25);
    assert.ok(run.calls.some((c) => c.startsWith('kubeadm join')), run.calls.join('\n'));
  });
});

describe('apt at first boot', () => {
  test('apt-daily holds the lists lock through five `apt-get update`s: waited out, bounded, each retry logged', async () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    stub.failNext('apt-get-update', 5);
    const run = await stub.runAsync(renderBootstrapScript(testInput('aws', 'worker')));
    assertSucceeded(run);
    assert.match(run.stderr, /apt-get update failed \(attempt 5\/10\), again in 60s/);
    assert.ok(run.calls.some((c) => c.startsWith('kubeadm join')), run.calls.join('\n'));
  });

  test('a lists lock that never goes: the run stops after 10 attempts and says why', async () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    stub.failNext('apt-get-update', 1000);
    const run = await stub.runAsync(renderBootstrapScript(testInput('aws', 'worker')));
    assert.notEqual(run.status, 0);
    assert.equal(run.calls.filter((c) => / update -q$/.test(c)).length, 10);
    assert.ok(!run.calls.some((c) => c.startsWith('kubeadm')), run.calls.join('\n'));
    assert.match(stub.storeObject(`nodes/status/i-0123456789abcdef0.json`) ?? '', /"step":"packages","state":"failed".*"error":"apt-get update failed 10 times"/);
  });
});

describe('the API server behind a load balancer that does not answer yet', () => {
  test('each /readyz probe is bounded, logged, and the pod network and addons follow once it answers', async () => {
    stub = createStubRoot();
    stub.failNext('kubectl-readyz-hang', 3);
    const run = await stub.runAsync(renderBootstrapScript(testInput('aws', 'control-plane-init')));
    assertSucceeded(run);
    assert.match(run.stderr, /waiting for the API server to be ready \(3\/60\)/);
    const probes = run.calls.filter((c) => c.startsWith('kubectl get --raw=/readyz'));
    assert.ok(probes.length >= 4 && probes.every((c) => / --request-timeout=10s\b/.test(c)), probes.join('\n'));
    assert.ok(run.calls.some((c) => /^kubectl apply --server-side .*calico/.test(c)), run.calls.join('\n'));
  });
});

describe('a run the unit kills', () => {
  test('SIGTERM mid-step (TimeoutStartSec): counted and reported as a failed run, so the backoff and validate see it', async () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    stub.failNext('kubeadm-join-killed', 1);
    const script = renderBootstrapScript(testInput('aws', 'worker'));
    const run = await stub.runAsync(script);
    assert.notEqual(run.status, 0);
    const report = JSON.parse(stub.storeObject('nodes/status/i-0123456789abcdef0.json') ?? '{}');
    assert.equal(report.state, 'failed', JSON.stringify(report));
    assert.equal(report.step, 'kubeadm');
    assert.match(report.error, /SIGTERM/);
    assert.equal(readFileSync(join(stub.root, 'var/lib/k8sup/bootstrap-failures'), 'utf8').trim(), '1');
    // The next run backs off, then joins.
    const again = await stub.runAsync(script);
    assertSucceeded(again);
    assert.match(again.stderr, /attempt 2: 1 earlier run\(s\) failed/);
  });
});

describe('a node that joins long after the cluster was made', () => {
  test('the published token has expired (no control plane refreshed it): the node waits, bounded, and never joins with it', async () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', `token=${FAKE_BOOTSTRAP_TOKEN}\nexpires=2020-01-01T00:00:00Z\nissuer=ip-10-0-0-9\n`);
    const run = await stub.runAsync(renderBootstrapScript(testInput('aws', 'worker')));
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /the bootstrap token in the state store expired at 2020-01-01T00:00:00Z/);
    assert.match(run.stderr, /no unexpired bootstrap token in the state store after 15 minutes/);
    assert.equal(run.calls.filter((c) => c === 'sleep 10').length, 89);
    assert.ok(!run.calls.some((c) => c.startsWith('kubeadm join')), run.calls.join('\n'));
  });

  // A replacement control plane started after the token expired: it reads the cluster's version (kubeadm's skew rule)
  // with the token before it installs packages. The API refuses an expired token, so that read must wait for the
  // refresh too, and the join then uses the refreshed token.
  for (const upgradeFrom of [undefined, '1.34.4']) {
    test(`aws control plane${upgradeFrom ? ' rendered for an upgrade' : ''}: an expired token is waited out before the cluster's version is read, and the refreshed one joins`, async () => {
      stub = createStubRoot();
      stub.putStoreObject('bootstrap/token', `token=${FAKE_BOOTSTRAP_TOKEN}\nexpires=2020-01-01T00:00:00Z\nissuer=ip-10-0-0-9\n`);
      stub.putStoreObjectAfterSleeps(3, 'bootstrap/token', refreshed());
      const run = await stub.runAsync(renderBootstrapScript({ ...testInput('aws', 'control-plane-join', { version: '1.35.1' }), upgradeFrom }));
      assertSucceeded(run);
      assert.match(run.stderr, /the bootstrap token in the state store expired at 2020-01-01T00:00:00Z/);
      const versionReads = run.calls.filter((c) => /kube-system\/configmaps\/kubeadm-config$/.test(c));
      assert.equal(versionReads.length, 1, run.calls.join('\n'));
      // The version was read after the wait (no 401 retries against the API with the expired token).
      assert.equal(run.calls.filter((c) => c === 'sleep 10').length, 3);
      assert.match(readFileSync(join(stub.root, 'etc/k8sup/kubeadm.yaml'), 'utf8'), new RegExp(REFRESHED_TOKEN.replace('.', '\\.')));
    });
  }

  test('a token without an expiry (an older control plane published it) is used as before', async () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', `token=${FAKE_BOOTSTRAP_TOKEN}\n`);
    const run = await stub.runAsync(renderBootstrapScript(testInput('gce', 'worker')));
    assertSucceeded(run);
    assert.ok(run.calls.some((c) => c.startsWith('kubeadm join')), run.calls.join('\n'));
  });
});

// `upgrade cluster` writes the node groups' new bundles before it replaces the control planes: a worker launched in
// between (cluster-autoscaler, a health replacement) must not join control planes still on the old version with a
// newer kubelet and kubeadm (Kubernetes' version skew policy; kubeadm's skew rule).
describe('a worker of an upgraded revision launched while the control planes are upgraded', () => {
  const worker = () => renderBootstrapScript({ ...testInput('aws', 'worker', { version: '1.35.1' }), upgradeFrom: '1.34.4' });
  const installsPackages = (run: StubRun) => run.calls.some((c) => /^apt-get .* install .*kubelet=1\.35\.1/.test(c));

  test('bootstrap/upgrade without control-planes=1.35.1: it waits, installing nothing, until the CLI says every control plane runs 1.35.1', async () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    stub.putStoreObject('bootstrap/upgrade', 'from=1.34.4\nto=1.35.1\n');
    stub.putStoreObjectAfterSleeps(3, 'bootstrap/upgrade', 'from=1.34.4\nto=1.35.1\ncontrol-planes=1.35.1\n');
    const run = await stub.runAsync(worker());
    assertSucceeded(run);
    assert.match(run.stderr, /waiting for the control planes' upgrade from 1\.34\.4 to 1\.35\.1: a kubelet must not be newer than kube-apiserver \(3\/120\)/);
    assert.match(run.stderr, /every control plane runs 1\.35\.1 \(bootstrap\/upgrade\): joining/);
    const lastWait = run.calls.lastIndexOf('sleep 30');
    assert.equal(run.calls.filter((c) => c === 'sleep 30').length, 3);
    const install = run.calls.findIndex((c) => /^apt-get .* install .*kubelet=1\.35\.1/.test(c));
    assert.ok(install > lastWait, `packages were installed before the control planes were upgraded:\n${run.calls.join('\n')}`);
  });

  test('once the CLI says every control plane runs 1.35.1, or the upgrade is over (no bootstrap/upgrade), it joins', async () => {
    for (const marker of ['from=1.34.4\nto=1.35.1\ncontrol-planes=1.35.1\n', undefined]) {
      stub?.cleanup();
      stub = createStubRoot();
      stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
      if (marker) stub.putStoreObject('bootstrap/upgrade', marker);
      const run = await stub.runAsync(worker());
      assertSucceeded(run);
      assert.ok(installsPackages(run) && run.calls.some((c) => c.startsWith('kubeadm join')), run.calls.join('\n'));
      assert.ok(!run.calls.includes('sleep 30'));
    }
  });

  test('bootstrap/upgrade names another version: it refuses at once', async () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    stub.putStoreObject('bootstrap/upgrade', 'from=1.35.1\nto=1.36.0\n');
    const run = await stub.runAsync(worker());
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /not joining a cluster upgraded to another version/);
    assert.ok(!installsPackages(run), run.calls.join('\n'));
  });
});
