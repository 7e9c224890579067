// Runs rendered bootstrap scripts for real (bash) against a temporary root with stub commands on PATH: checks the
// order of the steps that matter, what reaches command lines, and that a second run changes nothing.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { renderBootstrapScript, renderEtcdControlScript } from '../../src/bootstrap/index.js';
import { testInput } from '../helpers/bootstrap-fixtures.js';
import { createStubRoot, FAKE_AWS_SECRET, FAKE_BOOTSTRAP_TOKEN, FAKE_GCE_TOKEN, type StubRoot, type StubRun } from '../helpers/stub-root.js';

const PUBLISHED_TOKEN = `token=${FAKE_BOOTSTRAP_TOKEN}\nexpires=2030-01-01T00:00:00Z\nissuer=ip-10-0-0-9\n`;

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

/** What k8sup copies to a metal control plane over SSH before it runs the script. */
function copyPki(s: StubRoot): void {
  for (const f of ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key', 'sa.key', 'sa.pub']) {
    s.writeFile(`etc/kubernetes/pki/${f}`, `copied ${f}\n`);
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
      /^apt-get -o DPkg::Lock::Timeout=600 install .*kubelet=1\.35\.1-1\.1 kubeadm=1\.35\.1-1\.1 kubectl=1\.35\.1-1\.1$/,
      /^apt-mark hold kubelet kubeadm kubectl$/,
      /^curl .*--config - .*https:\/\/k8sup-state\.s3\.us-east-2\.amazonaws\.com\/team-a\/demo\.k8s\.local\/pki\/ca\.key$/,
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
    // The script signs S3 requests itself: the secret key never leaves the shell (not even to curl), and the signed
    // headers with the session token reach curl on stdin only, never a command line.
    assert.match(stub.curlStdin(), /Authorization: AWS4-HMAC-SHA256 Credential=ASIAFAKEFAKEFAKEFAKE\/\d{8}\/us-east-2\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}/);
    assert.match(stub.curlStdin(), /x-amz-security-token: FAKEsessionTOKEN/);
    assert.ok(!stub.curlStdin().includes(FAKE_AWS_SECRET), 'the secret key reached curl');
    for (const call of run.calls) assert.ok(!call.includes(FAKE_AWS_SECRET) && !call.includes('FAKEsessionTOKEN'), `secret on a command line: ${call}`);
    // The node name came from the metadata service; the rendered config is valid YAML with it filled in.
    const config = readFileSync(join(stub.root, 'etc/k8sup/kubeadm.yaml'), 'utf8');
    assert.match(config, /name: "ip-10-0-0-5\.us-east-2\.compute\.internal"/);
    assert.doesNotMatch(config, /@@K8SUP_/);
    assert.ok(existsSync(join(stub.root, 'usr/local/sbin/k8sup-token-refresh')));
    // A fresh cluster: the store has neither marker nor token, so this node initialises, then records that it did.
    assertOrder(run, [
      /^curl .*--config - .*\?list-type=2&prefix=team-a%2Fdemo\.k8s\.local%2Fbootstrap%2Finitialized$/,
      /^curl .*\?list-type=2&prefix=team-a%2Fdemo\.k8s\.local%2Fbootstrap%2Ftoken$/,
      /^kubeadm init /,
      /^curl .*-X PUT .*\/team-a\/demo\.k8s\.local\/bootstrap\/initialized$/,
      /^kubeadm token create /,
    ]);
    assert.match(stub.storeObject('bootstrap/initialized') ?? '', /^initialized=true$/m);
    assert.ok(!run.calls.some((c) => c.startsWith('kubeadm join')));
    assertSecondRunIsNoOp(stub, script);
  });

  test('aws control plane with scheduled backups off: the control poller and its timer are installed and enabled all the same', () => {
    stub = createStubRoot();
    const input = testInput('aws', 'control-plane-init');
    input.cluster.spec.etcd = { backups: { schedule: 'off', retain: 24 } };
    const script = renderBootstrapScript(input);
    const run = stub.run(script);
    assertSucceeded(run);
    // The poller on disk is the one k8sup renders for the cluster (the script that test/integration/etcd-control runs).
    assert.equal(readFileSync(join(stub.root, 'usr/local/sbin/k8sup-etcd-control'), 'utf8'), `${renderEtcdControlScript(input).replace(/\n+$/, '')}\n`);
    assert.match(readFileSync(join(stub.root, 'etc/systemd/system/k8sup-etcd-control.timer'), 'utf8'), /^OnUnitActiveSec=1min$/m);
    assert.match(readFileSync(join(stub.root, 'etc/systemd/system/k8sup-etcd-control.service'), 'utf8'), /^ExecStart=\/usr\/local\/sbin\/k8sup-etcd-control$/m);
    indexOf(run, /^systemctl enable --now k8sup-etcd-control\.timer$/);
    // No schedule: no backup timer, only on-demand backups.
    assert.ok(!existsSync(join(stub.root, 'etc/systemd/system/k8sup-etcd-backup.timer')));
    assert.ok(!run.calls.some((c) => /k8sup-etcd-backup\.timer/.test(c)), run.calls.join('\n'));
    assertSecondRunIsNoOp(stub, script);
  });

  test('containerd is configured for the systemd cgroup driver and the pause image of the version', () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    const run = stub.run(renderBootstrapScript(testInput('aws', 'worker', { version: '1.33.8' })));
    assertSucceeded(run);
    const config = readFileSync(join(stub.root, 'etc/containerd/config.toml'), 'utf8');
    assert.match(config, /SystemdCgroup = true/);
    assert.match(config, /^version = 3$/m);
    assert.match(config, /\[plugins\.'io\.containerd\.cri\.v1\.images'\.pinned_images\]\n.*\n.*\n\s*sandbox = "registry\.k8s\.io\/pause:3\.10"/);
    assert.match(readFileSync(join(stub.root, 'etc/sysctl.d/99-k8sup.conf'), 'utf8'), /net\.ipv4\.ip_forward = 1/);
    assert.match(readFileSync(join(stub.root, 'etc/apt/sources.list.d/k8sup-kubernetes.list'), 'utf8'), /pkgs\.k8s\.io\/core:\/stable:\/v1\.33\/deb\//);
  });

  test('aws worker: no PKI at all, joins with the token from the state store', () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
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
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    const script = renderBootstrapScript(testInput('gce', 'worker', { version: '1.33.8' }));
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
    assert.match(config, /apiVersion: kubeadm\.k8s\.io\/v1beta4/);
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
    assert.match(run.stderr, /checksum mismatch for https:\/\/github\.com\/containerd\/containerd\/releases\/download\/v2\.2\.1\/containerd-2\.2\.1-linux-amd64\.tar\.gz/);
    assert.ok(!run.calls.some((c) => c.startsWith('tar ') || c.startsWith('kubeadm')));
  });

  test('aws replaced first control plane (marker in the store): joins as a control plane, never runs kubeadm init', () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/initialized', 'initialized=true\nnode=ip-10-0-0-5\n');
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    const script = renderBootstrapScript(testInput('aws', 'control-plane-init'));
    const run = stub.run(script);
    assertSucceeded(run);
    assert.ok(!run.calls.some((c) => c.startsWith('kubeadm init')), `kubeadm init ran on an initialised cluster:\n${run.calls.join('\n')}`);
    assertOrder(run, [
      /\/pki\/ca\.key$/,
      /^curl .*\?list-type=2&prefix=team-a%2Fdemo\.k8s\.local%2Fbootstrap%2Finitialized$/,
      /^curl .*-o \S+\/etc\/k8sup\/bootstrap-token\.part https:\/\/k8sup-state\.s3\.us-east-2\.amazonaws\.com\/team-a\/demo\.k8s\.local\/bootstrap\/token$/,
      /^kubeadm config validate /,
      /^kubeadm join --config \S+\/etc\/k8sup\/kubeadm\.yaml$/,
    ]);
    // The join config: a control-plane join with the published token and the node's own name.
    const config = readFileSync(join(stub.root, 'etc/k8sup/kubeadm.yaml'), 'utf8');
    assert.match(config, /^kind: JoinConfiguration$/m);
    assert.match(config, /^controlPlane: \{\}$/m);
    assert.doesNotMatch(config, /InitConfiguration|ClusterConfiguration/);
    assert.match(config, new RegExp(`token: "${FAKE_BOOTSTRAP_TOKEN.replace('.', '\\.')}"`));
    assert.match(config, /name: "ip-10-0-0-5\.us-east-2\.compute\.internal"/);
    assert.ok(!existsSync(join(stub.root, 'etc/k8sup/bootstrap-token')), 'the token file outlived the join');
    // The running cluster keeps its own pod network: no CNI is applied over it.
    assert.ok(!run.calls.some((c) => /^kubectl apply .*\/cni\/|^cilium install/.test(c)), 'the CNI was applied over a running cluster');
    // Its addons are applied, though: a control plane with a newer bundle brings them up to date.
    indexOf(run, /^kubectl apply --server-side --force-conflicts --field-manager=k8sup -f \S+\/etc\/k8sup\/addons\/metrics-server\.yaml -f \S+\/aws-cloud-controller-manager\.yaml -f \S+\/aws-ebs-csi-driver\.yaml$/);
    assert.match(run.stderr, /joined a running cluster: its pod network is left as it is/);
    assertSecondRunIsNoOp(stub, script);
  });

  test('gce replaced first control plane of a cluster from before the marker (token only): joins, no init', () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    const script = renderBootstrapScript(testInput('gce', 'control-plane-init'));
    const run = stub.run(script);
    assertSucceeded(run);
    assertOrder(run, [
      /^curl .*-o \/dev\/null -w %\{http_code\} https:\/\/storage\.googleapis\.com\/storage\/v1\/b\/k8sup-state\/o\/demo\.k8s\.local%2Fbootstrap%2Finitialized$/,
      /^curl .*-w %\{http_code\} .*\/o\/demo\.k8s\.local%2Fbootstrap%2Ftoken$/,
      /^kubeadm join --config /,
    ]);
    assert.ok(!run.calls.some((c) => c.startsWith('kubeadm init')));
    assert.match(readFileSync(join(stub.root, 'etc/k8sup/kubeadm.yaml'), 'utf8'), /^controlPlane: \{\}$/m);
    // The joined node records the marker too, so the next replacement finds it.
    assert.match(stub.storeObject('bootstrap/initialized') ?? '', /^initialized=true$/m);
  });

  test('single control plane replaced after init: refuses loudly, creates no new cluster', () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/initialized', 'initialized=true\n');
    const input = testInput('aws', 'control-plane-init', { cni: 'cilium' });
    input.cluster.spec.controlPlane.count = 1;
    const script = renderBootstrapScript(input);
    const run = stub.run(script);
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /has a single control plane and it was initialised before/);
    assert.match(run.stderr, /refusing to run kubeadm init for an existing cluster/);
    assert.match(run.stderr, /Replacing the first control plane/);
    assert.ok(!run.calls.some((c) => c.startsWith('kubeadm')), `kubeadm ran:\n${run.calls.join('\n')}`);

    // The documented way out: an operator who restored etcd (or wants a new cluster) asks for init explicitly.
    stub.writeFile('etc/k8sup/force-init', '');
    // With a restored etcd data dir, kubeadm is told to keep it.
    stub.writeFile('var/lib/etcd/member/snap/db', 'restored');
    const forced = stub.run(script);
    assertSucceeded(forced);
    indexOf(forced, /^kubeadm init --config \S+ --skip-token-print --ignore-preflight-errors=DirAvailable--var-lib-etcd$/);
    assert.match(forced.stderr, /force-init exists/);
  });

  test('single control plane launched by upgrade cluster: reads the cluster at A, joins with kubeadm A beside the running one, then kubeadm X, snapshot, upgrade plan/apply, kubelet X', () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/initialized', 'initialized=true\nnode=ip-10-0-0-5\n');
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    // Rendered for the upgrade from 1.34.4 (BootstrapInput.upgradeFrom, what `upgrade cluster` applies).
    const input = { ...testInput('aws', 'control-plane-init'), upgradeFrom: '1.34.4' };
    input.cluster.spec.controlPlane.count = 1;
    input.cluster.spec.etcd = { ...input.cluster.spec.etcd, backups: { schedule: '0 * * * *', retain: 24 } } as typeof input.cluster.spec.etcd;
    const script = renderBootstrapScript(input);
    const version = input.cluster.spec.kubernetesVersion;
    // An upgrade for another version does not count: the replacement still refuses.
    stub.putStoreObject('bootstrap/upgrade', 'from=1.33.8\nto=1.34.4\n');
    const other = stub.run(script);
    assert.notEqual(other.status, 0);
    assert.match(other.stderr, new RegExp(`bootstrap/upgrade names another version \\(1\\.34\\.4\\), not ${version.replaceAll('.', '\\.')}`));
    assert.ok(!other.calls.some((c) => c.startsWith('kubeadm ')), 'kubeadm ran for another upgrade');

    // The running cluster is one minor older; bootstrap/upgrade names this bundle's version.
    stub.writeFile('../cluster-version', 'v1.34.4\n');
    stub.putStoreObject('bootstrap/upgrade', `from=1.34.4\nto=${version}\n`);
    // k8sup-etcd-backup (the node's own snapshot script) is a stub command here: the call is what is checked.
    const run = stub.run(script);
    assertSucceeded(run);
    assert.match(run.stderr, /upgrade to .* in progress: joining beside the running control plane/);
    assert.ok(!run.calls.some((c) => c.startsWith('kubeadm init')), `kubeadm init ran:\n${run.calls.join('\n')}`);
    const pkg = `${version.replaceAll('.', '\\.')}-1\\.1`;
    assertOrder(run, [
      /^curl .* --cacert \S+ --config - https:\/\/api\.demo\.example\.com:6443\/api\/v1\/namespaces\/kube-system\/configmaps\/kubeadm-config$/,
      / kubelet=1\.34\.4-1\.1 kubeadm=1\.34\.4-1\.1 kubectl=1\.34\.4-1\.1$/,
      /^kubeadm join --config \S+\/etc\/k8sup\/kubeadm\.yaml$/,
      new RegExp(` kubeadm=${pkg}$`),
      /^kubectl .* get configmap kubeadm-config /,
      /^k8sup-etcd-backup --force$/,
      new RegExp(`^kubeadm upgrade plan v${version.replaceAll('.', '\\.')}$`),
      new RegExp(`^kubeadm upgrade apply v${version.replaceAll('.', '\\.')} --yes$`),
      // kubeadm's procedure: drained before its kubelet moves, uncordoned after (the node name the join used).
      /^kubectl .* drain ip-10-0-0-5\.us-east-2\.compute\.internal --ignore-daemonsets --delete-emptydir-data --timeout=300s$/,
      new RegExp(` kubelet=${pkg} kubectl=${pkg}$`),
      /^systemctl restart kubelet$/,
      /^kubectl .* uncordon ip-10-0-0-5\.us-east-2\.compute\.internal$/,
    ]);
    // The join ran with kubeadm A: nothing of X was installed before it.
    const joinedAt = indexOf(run, /^kubeadm join /);
    assert.ok(!run.calls.slice(0, joinedAt).some((c) => c.includes(`=${version}-1.1`)), `X was installed before the join:\n${run.calls.join('\n')}`);
    assert.match(run.stderr, /the cluster runs v1\.34\.4: joining with kubeadm 1\.34\.4 \(kubeadm's skew rule\)/);
    assert.match(run.stderr, /kubeadm upgrade apply v\S+ \(the cluster runs v1\.34\.4\)/);
    assert.match(readFileSync(join(stub.root, 'etc/k8sup/kubeadm.yaml'), 'utf8'), /^controlPlane: \{\}$/m);
    assertSecondRunIsNoOp(stub, script);
  });

  test('rendered for an upgrade, a control plane that finds the cluster at X installs X and only joins; at another version it stops', () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    const script = renderBootstrapScript({ ...testInput('aws', 'control-plane-join'), upgradeFrom: '1.34.4' });
    stub.writeFile('../cluster-version', 'v1.33.8\n');
    const other = stub.run(script);
    assert.notEqual(other.status, 0);
    assert.match(other.stderr, /the cluster runs v1\.33\.8: this control plane joins a cluster at v1\.34\.4 \(the upgrade's start\) or v1\.35\.1 only/);
    assert.ok(!other.calls.some((c) => / kubeadm=|^kubeadm /.test(c)), `installed or ran kubeadm:\n${other.calls.join('\n')}`);
    stub.writeFile('../cluster-version', 'v1.35.1\n');
    const run = stub.run(script);
    assertSucceeded(run);
    assertOrder(run, [/configmaps\/kubeadm-config$/, / kubelet=1\.35\.1-1\.1 kubeadm=1\.35\.1-1\.1 kubectl=1\.35\.1-1\.1$/, /^kubeadm join /]);
    assert.ok(!run.calls.some((c) => c.startsWith('kubeadm upgrade') || /=1\.34\.4-1\.1/.test(c)), run.calls.join('\n'));
    assertSecondRunIsNoOp(stub, script);
  });

  test('rendered for an upgrade from a version without pins: the control plane that finds the cluster at it refuses to join', () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    stub.writeFile('../cluster-version', 'v1.32.9\n');
    const run = stub.run(renderBootstrapScript({ ...testInput('aws', 'control-plane-join', { version: '1.33.8' }), upgradeFrom: '1.32.9' }));
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /ERROR: no pinned packages for Kubernetes 1\.32\.9; not joining/);
    assert.match(run.stderr, /docs\/upgrades\.md/);
    assert.ok(!run.calls.some((c) => / kubeadm=|^kubeadm /.test(c)), run.calls.join('\n'));
  });

  test('a control plane not rendered for an upgrade joins a cluster of its own version, reading it right before kubeadm join; no kubeadm upgrade', () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/initialized', 'initialized=true\n');
    stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
    const script = renderBootstrapScript(testInput('aws', 'control-plane-init'));
    const run = stub.run(script);
    assertSucceeded(run);
    assertOrder(run, [/^apt-get .* install .* kubeadm=/, /configmaps\/kubeadm-config$/, /^kubeadm join /]);
    assert.ok(!run.calls.some((c) => c.startsWith('kubeadm upgrade')), 'kubeadm upgrade ran on a current cluster');
    assertSecondRunIsNoOp(stub, script);
  });

  test('a control plane not rendered for an upgrade refuses to join a cluster of another version (kubeadm\'s skew rule) and leaves no kubeadm run behind', () => {
    for (const [role, found] of [['control-plane-join', 'v1.34.4'], ['control-plane-init', 'v1.34.4'], ['control-plane-join', 'v1.36.0']] as const) {
      stub?.cleanup();
      stub = createStubRoot();
      stub.putStoreObject('bootstrap/initialized', 'initialized=true\n');
      stub.putStoreObject('bootstrap/token', PUBLISHED_TOKEN);
      stub.writeFile('../cluster-version', `${found}\n`);
      const input = testInput('gce', role);
      const version = input.cluster.spec.kubernetesVersion;
      const run = stub.run(renderBootstrapScript(input));
      assert.equal(run.status, 1, `${role} at ${found}:\n${run.stderr}`);
      assert.match(run.stderr, new RegExp(`ERROR: the cluster runs ${found.replaceAll('.', '\\.')}: this control plane joins a cluster at v${version.replaceAll('.', '\\.')} only; not joining`));
      assert.match(run.stderr, /k8sup upgrade cluster/);
      assert.ok(!run.calls.some((c) => c.startsWith('kubeadm join') || c.startsWith('kubeadm upgrade') || c.startsWith('kubeadm init')), `kubeadm ran:\n${run.calls.join('\n')}`);
      // Refused before kubeadm started: the next boot does not reset anything, it asks again.
      assert.ok(!existsSync(join(stub.root, 'var/lib/k8sup/done/kubeadm-started')), 'kubeadm-started was stamped');
    }
  });

  test('a state store that cannot answer stops the first control plane before kubeadm (it never guesses)', () => {
    stub = createStubRoot();
    stub.storeUnavailable();
    const run = stub.run(renderBootstrapScript(testInput('gce', 'control-plane-init')));
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /cannot tell from the state store whether demo\.k8s\.local was initialised/);
    assert.equal(run.calls.filter((c) => c.startsWith('curl') && c.includes('bootstrap%2Finitialized')).length, 30, 'bounded retries');
    assert.ok(!run.calls.some((c) => c.startsWith('kubeadm')));
  });

  test('metal with api.vip: the kube-vip pod is in the manifests folder before kubeadm init, on super-admin.conf, then admin.conf', () => {
    stub = createStubRoot();
    const input = testInput('metal', 'control-plane-init', { cni: 'cilium' });
    input.cluster.spec.api.vip = '10.0.0.100';
    copyPki(stub);
    const script = renderBootstrapScript(input);
    const run = stub.run(script);
    assertSucceeded(run);
    assertOrder(run, [/^ip -o route get 10\.0\.0\.100$/, /^kubeadm init /]);
    const atInit = stub.manifestAtKubeadm('init', 'kube-vip.yaml');
    assert.ok(atInit, 'no kube-vip manifest when kubeadm init started the kubelet');
    assert.match(atInit, /name: address\n\s+value: "10\.0\.0\.100"/);
    assert.match(atInit, /name: vip_interface\n\s+value: "eth1"/);
    assert.match(atInit, /name: vip_arp\n\s+value: "true"/);
    assert.match(atInit, /name: vip_leaderelection\n\s+value: "true"/);
    assert.match(atInit, /image: "ghcr\.io\/kube-vip\/kube-vip:v\d+\.\d+\.\d+"/);
    assert.match(atInit, /path: \/etc\/kubernetes\/super-admin\.conf/);
    // After init the pod goes back to admin.conf (written atomically: no stray file for the kubelet to read).
    const manifests = join(stub.root, 'etc/kubernetes/manifests');
    const after = readFileSync(join(manifests, 'kube-vip.yaml'), 'utf8');
    assert.match(after, /path: \/etc\/kubernetes\/admin\.conf/);
    assert.doesNotMatch(after, /super-admin/);
    assert.deepEqual(readdirSync(manifests), ['kube-vip.yaml']);
    assert.match(readFileSync(join(stub.root, 'etc/k8sup/kube-vip/hosts'), 'utf8'), /^127\.0\.0\.1 localhost kubernetes$/m);
    assertSecondRunIsNoOp(stub, script);
  });

  test('metal control-plane join with api.vip: admin.conf from the start; /etc/k8sup/vip-interface overrides detection', () => {
    stub = createStubRoot();
    const input = testInput('metal', 'control-plane-join');
    input.cluster.spec.api.vip = '10.0.0.100';
    copyPki(stub);
    stub.writeFile('etc/k8sup/bootstrap-token', `token=${FAKE_BOOTSTRAP_TOKEN}\n`);
    stub.writeFile('etc/k8sup/vip-interface', 'bond0.42\n');
    const run = stub.run(renderBootstrapScript(input));
    assertSucceeded(run);
    assert.ok(!run.calls.some((c) => c.startsWith('ip ')), 'the operator-chosen interface was not used');
    const atJoin = stub.manifestAtKubeadm('join', 'kube-vip.yaml');
    assert.ok(atJoin, 'no kube-vip manifest when kubeadm join started the kubelet');
    assert.match(atJoin, /name: vip_interface\n\s+value: "bond0\.42"/);
    assert.match(atJoin, /path: \/etc\/kubernetes\/admin\.conf/);
    assert.doesNotMatch(atJoin, /super-admin/);
  });

  test('metal with api.vip and an unusable interface: stops before kubeadm with a hint', () => {
    stub = createStubRoot();
    const input = testInput('metal', 'control-plane-init');
    input.cluster.spec.api.vip = '10.0.0.100';
    copyPki(stub);
    stub.writeFile('etc/k8sup/vip-interface', 'lo\n');
    const run = stub.run(renderBootstrapScript(input));
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /cannot tell which interface should carry the API VIP 10\.0\.0\.100 \(got 'lo'\): write its name to \/etc\/k8sup\/vip-interface/);
    assert.ok(!run.calls.some((c) => c.startsWith('kubeadm')));
  });

  test('addons: control planes apply the enabled addons server-side once per addon set; workers and disabled addons never', () => {
    stub = createStubRoot();
    const script = renderBootstrapScript(testInput('aws', 'control-plane-init', { cni: 'cilium' }));
    const run = stub.run(script);
    assertSucceeded(run);
    assertOrder(run, [/^kubeadm init /, /^cilium install /, /^kubectl apply --server-side --force-conflicts --field-manager=k8sup -f \S+\/etc\/k8sup\/addons\/metrics-server\.yaml -f \S+\/aws-cloud-controller-manager\.yaml -f \S+\/aws-ebs-csi-driver\.yaml$/]);
    const manifest = readFileSync(join(stub.root, 'etc/k8sup/addons/metrics-server.yaml'), 'utf8');
    assert.match(manifest, /image: "registry\.k8s\.io\/metrics-server\/metrics-server:v0\.7\.2"/);
    // The cloud's own addons are rendered for this cluster: its volumes carry the cluster's ownership tag.
    assert.match(readFileSync(join(stub.root, 'etc/k8sup/addons/aws-ebs-csi-driver.yaml'), 'utf8'), /- "--k8s-tag-cluster-id=demo\.k8s\.local"/);
    // Once applied, the same addon set is not applied again (the second run is a no-op).
    assertSecondRunIsNoOp(stub, script);

    const worker = testInput('aws', 'worker');
    assert.doesNotMatch(renderBootstrapScript(worker), /etc\/k8sup\/addons/);
    const off = testInput('metal', 'control-plane-init');
    off.cluster.spec.addons = { 'metrics-server': { enabled: false } };
    assert.doesNotMatch(renderBootstrapScript(off), /etc\/k8sup\/addons/);
    // The stamp names the addon set, not the node: every control plane of the cluster agrees on it.
    const before = /is_done "addons-([0-9a-f]{16})"/.exec(script)![1];
    assert.match(renderBootstrapScript(testInput('aws', 'control-plane-join')), new RegExp(`is_done "addons-${before}"`));
  });

  test('metal without api.vip, and workers: no kube-vip at all', () => {
    for (const role of ['control-plane-init', 'worker'] as const) {
      const script = renderBootstrapScript(testInput('metal', role));
      assert.doesNotMatch(script, /kube-vip/, role);
    }
    const worker = testInput('metal', 'worker');
    worker.cluster.spec.api.vip = '10.0.0.100';
    assert.doesNotMatch(renderBootstrapScript(worker), /kube-vip/, 'a worker with a VIP cluster');
    stub = createStubRoot();
    copyPki(stub);
    const run = stub.run(renderBootstrapScript(testInput('metal', 'control-plane-init', { cni: 'cilium' })));
    assertSucceeded(run);
    assert.ok(!run.calls.some((c) => c.startsWith('ip ')));
    assert.equal(stub.manifestAtKubeadm('init', 'kube-vip.yaml'), undefined);
    assert.ok(!existsSync(join(stub.root, 'etc/kubernetes/manifests/kube-vip.yaml')));
  });
});
