// Runs rendered bootstrap scripts for real (bash) against a temporary root with stub commands on PATH: checks the
// order of the steps that matter, what reaches command lines, and that a second run changes nothing.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { renderBootstrapScript } from '../../src/bootstrap/index.js';
import { testInput } from '../helpers/bootstrap-fixtures.js';
import { createStubRoot, FAKE_AWS_SECRET, FAKE_BOOTSTRAP_TOKEN, FAKE_GCE_TOKEN, type StubRoot, type StubRun } from '../helpers/stub-root.js';

let stub: StubRoot | undefined;
afterEach(() => {
  stub?.cleanup();
  stub = undefined;
});

/** Index of the first call matching `pattern`; fails the test when there is none. */
function indexOf(run: StubRun, pattern: RegExp): number {
  const i = run.calls.findIndex((c) => pattern.test(c));
  assert.ok(i >= 0, `no call matches ${pattern}; calls:\n${run.calls.join('\n')}`);
  return i;
}

function assertOrder(run: StubRun, patterns: RegExp[]): void {
  const positions = patterns.map((p) => indexOf(run, p));
  for (let i = 1; i < positions.length; i++) {
    assert.ok(positions[i - 1] < positions[i], `${patterns[i - 1]} (call ${positions[i - 1]}) must come before ${patterns[i]} (call ${positions[i]})`);
  }
}

function assertSucceeded(run: StubRun): void {
  assert.equal(run.status, 0, `script failed (${run.status}):\n${run.stderr}`);
}

/** A second run may only re-assert runtime state (swap off, modules loaded): no installs, no kubeadm, no writes. */
function assertSecondRunIsNoOp(s: StubRoot, script: string): void {
  const before = s.snapshot();
  const again = s.run(script);
  assertSucceeded(again);
  const commands = new Set(again.calls.map((c) => c.split(' ')[0]));
  assert.deepEqual([...commands].sort(), ['modprobe', 'swapoff'], `unexpected calls on the second run:\n${again.calls.join('\n')}`);
  assert.deepEqual(s.snapshot(), before, 'the second run changed files under the root');
}

describe('bootstrap script under a stub harness', () => {
  test('aws first control plane: prepares the node in order, fetches PKI with the instance role before kubeadm init', () => {
    stub = createStubRoot();
    const script = renderBootstrapScript(testInput('aws', 'control-plane-init', { cni: 'cilium' }));
    const run = stub.run(script);
    assertSucceeded(run);
    assertOrder(run, [
      /^swapoff -a$/,
      /^modprobe overlay$/,
      /^modprobe br_netfilter$/,
      /^sysctl --system$/,
      /^tar -C \S+\/usr\/local -xzf \S+containerd\.tar\.gz$/,
      /^systemctl restart containerd$/,
      /^apt-get install .*kubelet=1\.31\.4-1\.1 kubeadm=1\.31\.4-1\.1 kubectl=1\.31\.4-1\.1$/,
      /^apt-mark hold kubelet kubeadm kubectl$/,
      /^curl .*--aws-sigv4 aws:amz:us-east-2:s3 .*https:\/\/k8sup-state\.s3\.us-east-2\.amazonaws\.com\/team-a\/demo\.k8s\.local\/pki\/ca\.key$/,
      /^kubeadm init --config \S+\/etc\/k8sup\/kubeadm\.yaml --skip-token-print$/,
      /^kubeadm token create .*--ttl 24h/,
      /^curl .*-X PUT .*\/team-a\/demo\.k8s\.local\/bootstrap\/token$/,
      /^cilium install --version 1\.17\.3 --set ipam\.mode=kubernetes$/,
    ]);
    // Every PKI file is fetched before init, and lands with private permissions.
    const initAt = indexOf(run, /^kubeadm init /);
    for (const f of ['ca.crt', 'ca.key', 'front-proxy-ca.key', 'etcd/ca.key', 'sa.key', 'sa.pub']) {
      assert.ok(indexOf(run, new RegExp(`/pki/${f.replace('.', '\\.')}$`)) < initAt, `${f} fetched after kubeadm init`);
      assert.ok(existsSync(join(stub.root, 'etc/kubernetes/pki', f)));
    }
    // The IMDS credentials went to curl on stdin only, never onto a command line.
    assert.ok(stub.curlStdin().includes(FAKE_AWS_SECRET), 'curl never received the role credentials');
    for (const call of run.calls) assert.ok(!call.includes(FAKE_AWS_SECRET) && !call.includes('FAKEsessionTOKEN'), `secret on a command line: ${call}`);
    // The node name came from the metadata service; the rendered config is valid YAML with it filled in.
    const config = readFileSync(join(stub.root, 'etc/k8sup/kubeadm.yaml'), 'utf8');
    assert.match(config, /name: "ip-10-0-0-5\.us-east-2\.compute\.internal"/);
    assert.doesNotMatch(config, /@@K8SUP_/);
    assert.ok(existsSync(join(stub.root, 'usr/local/sbin/k8sup-token-refresh')));
    assertSecondRunIsNoOp(stub, script);
  });

  test('containerd is configured for the systemd cgroup driver and the pause image of the version', () => {
    stub = createStubRoot();
    const run = stub.run(renderBootstrapScript(testInput('aws', 'worker', { version: '1.30.8' })));
    assertSucceeded(run);
    const config = readFileSync(join(stub.root, 'etc/containerd/config.toml'), 'utf8');
    assert.match(config, /SystemdCgroup = true/);
    assert.match(config, /sandbox_image = "registry\.k8s\.io\/pause:3\.9"/);
    assert.match(readFileSync(join(stub.root, 'etc/sysctl.d/99-k8sup.conf'), 'utf8'), /net\.ipv4\.ip_forward = 1/);
    assert.match(readFileSync(join(stub.root, 'etc/apt/sources.list.d/k8sup-kubernetes.list'), 'utf8'), /pkgs\.k8s\.io\/core:\/stable:\/v1\.30\/deb\//);
  });

  test('aws worker: no PKI at all, joins with the token from the state store', () => {
    stub = createStubRoot();
    const script = renderBootstrapScript(testInput('aws', 'worker'));
    const run = stub.run(script);
    assertSucceeded(run);
    assert.ok(!run.calls.some((c) => /\/pki\//.test(c)), 'a worker touched the PKI');
    assert.ok(!existsSync(join(stub.root, 'etc/kubernetes/pki')));
    assertOrder(run, [/^modprobe br_netfilter$/, /^curl .*\/demo\.k8s\.local\/bootstrap\/token$/, /^kubeadm join /]);
    assert.ok(!run.calls.some((c) => c.startsWith('kubeadm init')));
    assertSecondRunIsNoOp(stub, script);
  });

  test('gce worker: metadata-server token authorises the GCS download; token and node name land in the join config', () => {
    stub = createStubRoot();
    const script = renderBootstrapScript(testInput('gce', 'worker', { version: '1.30.8' }));
    const run = stub.run(script);
    assertSucceeded(run);
    indexOf(run, /^curl .*-H Metadata-Flavor: Google .*\/service-accounts\/default\/token$/);
    indexOf(run, /^curl .*--config - .*https:\/\/storage\.googleapis\.com\/storage\/v1\/b\/k8sup-state\/o\/demo\.k8s\.local%2Fbootstrap%2Ftoken\?alt=media$/);
    assert.match(stub.curlStdin(), new RegExp(`Authorization: Bearer ${FAKE_GCE_TOKEN.replace('.', '\\.')}`));
    for (const call of run.calls) assert.ok(!call.includes(FAKE_GCE_TOKEN), `token on a command line: ${call}`);
    // Captured before join; the stub kubeadm does not delete it, the script does after a successful join.
    const joinAt = indexOf(run, /^kubeadm join --config /);
    assert.ok(indexOf(run, /^kubeadm config validate /) < joinAt);
    assert.ok(!existsSync(join(stub.root, 'etc/k8sup/bootstrap-token')), 'the token file outlived the join');
    const config = readFileSync(join(stub.root, 'etc/k8sup/kubeadm.yaml'), 'utf8');
    assert.match(config, /apiVersion: kubeadm\.k8s\.io\/v1beta3/);
    assert.match(config, new RegExp(`token: "${FAKE_BOOTSTRAP_TOKEN.replace('.', '\\.')}"`));
    assert.match(config, /name: "node-gce-1"/);
    assertSecondRunIsNoOp(stub, script);
  });

  test('metal control-plane join: needs the PKI and token copied over SSH, then joins as a control plane', () => {
    stub = createStubRoot();
    const script = renderBootstrapScript(testInput('metal', 'control-plane-join'));
    const missing = stub.run(script);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /pki\/ca\.crt is missing: k8sup copies the PKI over SSH/);
    assert.ok(!missing.calls.some((c) => c.startsWith('kubeadm')), 'kubeadm ran without the PKI');
    assert.ok(!missing.calls.some((c) => c.startsWith('curl') && /pki|token/.test(c)), 'metal fetched secrets itself');

    for (const f of ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key', 'sa.key', 'sa.pub']) {
      stub.writeFile(`etc/kubernetes/pki/${f}`, `copied ${f}\n`);
    }
    stub.writeFile('etc/k8sup/bootstrap-token', `token=${FAKE_BOOTSTRAP_TOKEN}\n`);
    const run = stub.run(script);
    assertSucceeded(run);
    indexOf(run, /^kubeadm join --config /);
    const config = readFileSync(join(stub.root, 'etc/k8sup/kubeadm.yaml'), 'utf8');
    assert.match(config, /^controlPlane:\n {2}localAPIEndpoint:\n {4}advertiseAddress: "10\.0\.0\.11"/m);
    assert.match(config, /name: "cp-1"/);
    assertSecondRunIsNoOp(stub, script);
  });

  test('a malformed bootstrap token is refused before kubeadm sees it', () => {
    stub = createStubRoot();
    stub.writeFile('etc/k8sup/bootstrap-token', 'token=abcdef.0123"; rm -rf /\n');
    const run = stub.run(renderBootstrapScript(testInput('metal', 'worker')));
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /malformed bootstrap token/);
    assert.ok(!run.calls.some((c) => c.startsWith('kubeadm')));
  });

  test('a CNI manifest without a pinned checksum comes from its tagged HTTPS URL and its sha256 is logged', () => {
    stub = createStubRoot();
    const run = stub.run(renderBootstrapScript(testInput('gce', 'control-plane-init', { cni: 'flannel' })));
    // (The stub download is not a real manifest, so the script stops at the pod-CIDR check after this.)
    const url = /curl .*https:\/\/github\.com\/flannel-io\/flannel\/releases\/download\/v0\.26\.4\/kube-flannel\.yml/;
    assert.ok(indexOf(run, url) > indexOf(run, /^kubeadm init /));
    assert.match(run.stderr + run.stdout, /warning: no pinned sha256 for the flannel manifest/);
  });

  test('a checksum mismatch stops the script before anything is installed', () => {
    stub = createStubRoot();
    // Replace the sha256sum stub's "always valid" answer with a real sha256sum run on the stub download.
    const script = renderBootstrapScript(testInput('aws', 'worker')).replace(/^set -euo pipefail$/m, 'set -euo pipefail\nsha256sum() { /usr/bin/sha256sum "$@"; }');
    const run = stub.run(script);
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /checksum mismatch for https:\/\/github\.com\/containerd\/containerd\/releases\/download\/v1\.7\.24\/containerd-1\.7\.24-linux-amd64\.tar\.gz/);
    assert.ok(!run.calls.some((c) => c.startsWith('tar ') || c.startsWith('kubeadm')));
  });
});
