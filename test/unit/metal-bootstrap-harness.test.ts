// Bare-metal bootstrap scripts run for real (bash) in the stub harness (test/helpers/stub-root.ts): host firewalls
// (stub ufw / firewall-cmd recording calls), the RHEL-family dnf path, and HAProxy + keepalived with the REAL
// `haproxy -c` on the rendered file.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, test } from 'node:test';
import type { CniName } from '../../src/api/types.js';
import { renderBootstrapScript } from '../../src/bootstrap/index.js';
import type { BootstrapInput, NodeRole } from '../../src/bootstrap/types.js';
import { testInput } from '../helpers/bootstrap-fixtures.js';
import { createStubRoot, type StubRoot } from '../helpers/stub-root.js';

const HOST_TOOLS = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../helpers/stub-host-tools.sh'), 'utf8');

let stub: StubRoot | undefined;
afterEach(() => {
  stub?.cleanup();
  stub = undefined;
});

/** A stub root with the host-tool stubs (and optionally the real haproxy) on PATH; `state` files set their answers. */
function hostRoot(state: string[] = [], opts: { realHaproxy?: boolean } = {}): StubRoot {
  const s = createStubRoot();
  for (const name of ['ufw', 'firewall-cmd', 'dnf', 'getenforce', 'setenforce']) {
    writeFileSync(join(s.bin, name), HOST_TOOLS);
    chmodSync(join(s.bin, name), 0o755);
  }
  if (opts.realHaproxy) symlinkSync('/usr/sbin/haproxy', join(s.bin, 'haproxy'));
  for (const f of state) writeFileSync(join(dirname(s.bin), f), f === 'selinux-mode' ? 'Enforcing\n' : '');
  return s;
}

function copyPki(s: StubRoot): void {
  for (const f of ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key', 'sa.key', 'sa.pub']) s.writeFile(`etc/kubernetes/pki/${f}`, `copied ${f}\n`);
}

function metalInput(role: NodeRole, opts: { cni?: CniName; haproxy?: boolean; rhel?: boolean } = {}): BootstrapInput {
  const input = testInput('metal', role, { cni: opts.cni });
  if (opts.haproxy) {
    input.cluster.spec.api = { ...input.cluster.spec.api, frontEnd: 'haproxy-keepalived', vip: '10.0.0.100' };
    input.cluster.spec.hosts = ['10.0.0.11', '10.0.0.12', '10.0.0.13'].map((address, i) => ({ name: `cp-${i + 1}`, address, port: 22, user: 'root', role: 'control-plane' as const }));
    input.apiEndpoint = '10.0.0.100:8443';
    input.apiCertSANs = [];
  }
  if (opts.rhel) input.osFamily = 'rhel';
  return input;
}

function prepare(s: StubRoot, role: NodeRole): void {
  if (role !== 'worker') copyPki(s);
  if (role !== 'control-plane-init') s.writeFile('etc/k8sup/bootstrap-token', 'token=abcdef.0123456789abcdef\n');
}

const UFW_BEFORE = '*filter\n:ufw-before-input - [0:0]\n-A ufw-before-input -i lo -j ACCEPT\n# don\'t delete the \'COMMIT\' line or these rules won\'t be processed\nCOMMIT\n';
const allowed = (calls: string[]) => calls.filter((c) => c.startsWith('ufw allow')).map((c) => c.slice('ufw allow '.length));

describe('host firewall', () => {
  test('ufw active on a calico worker: exactly the worker and calico ports, IP-in-IP through before.rules, once', () => {
    stub = hostRoot(['ufw-active']);
    stub.writeFile('etc/ufw/before.rules', UFW_BEFORE, 0o640);
    prepare(stub, 'worker');
    const script = renderBootstrapScript(metalInput('worker', { cni: 'calico' }));
    const run = stub.run(script);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(allowed(run.calls), ['10250/tcp', '30000:32767/tcp', '179/tcp', '4789/udp']);
    const before = readFileSync(join(stub.root, 'etc/ufw/before.rules'), 'utf8');
    assert.match(before, /# k8sup protocols\n-A ufw-before-input -p 4 -j ACCEPT\nCOMMIT\n$/);
    assert.ok(run.calls.includes('ufw reload'));
    assert.ok(!run.calls.some((c) => c.startsWith('firewall-cmd')), 'firewalld is not asked when ufw is active');
    // The firewall is open before kubeadm joins (its preflight and the join's TLS bootstrap need the ports).
    assert.ok(run.calls.findIndex((c) => c.startsWith('ufw allow')) < run.calls.findIndex((c) => c.startsWith('kubeadm join')));
    const again = stub.run(script);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(readFileSync(join(stub.root, 'etc/ufw/before.rules'), 'utf8'), before, 'before.rules is edited once');
  });

  test('firewalld on a haproxy-keepalived control plane: API, etcd, kubelet, controller, scheduler, 8443, VRRP, flannel', () => {
    stub = hostRoot(['firewalld-running'], { realHaproxy: true });
    prepare(stub, 'control-plane-join');
    const run = stub.run(renderBootstrapScript(metalInput('control-plane-join', { cni: 'flannel', haproxy: true })));
    assert.equal(run.status, 0, run.stderr);
    const ports = run.calls.filter((c) => c.startsWith('firewall-cmd --permanent --add-port=')).map((c) => c.split('=')[1]);
    assert.deepEqual(ports, ['6443/tcp', '2379-2380/tcp', '10250/tcp', '10257/tcp', '10259/tcp', '8443/tcp', '8472/udp']);
    assert.deepEqual(run.calls.filter((c) => c.includes('--add-protocol')), ['firewall-cmd --permanent --add-protocol=112']);
    assert.ok(run.calls.indexOf('firewall-cmd --reload') > run.calls.findIndex((c) => c.includes('--add-protocol')));
    assert.ok(!run.calls.some((c) => c.startsWith('ufw allow')));
  });

  test('cilium ports on a kube-vip control plane; no 8443 and no VRRP without keepalived', () => {
    stub = hostRoot(['ufw-active']);
    prepare(stub, 'control-plane-join');
    const run = stub.run(renderBootstrapScript(metalInput('control-plane-join', { cni: 'cilium' })));
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(allowed(run.calls), ['6443/tcp', '2379:2380/tcp', '10250/tcp', '10257/tcp', '10259/tcp', '8472/udp', '4240/tcp']);
  });

  test('no active firewall: nothing is opened', () => {
    stub = hostRoot();
    prepare(stub, 'worker');
    const run = stub.run(renderBootstrapScript(metalInput('worker')));
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.calls.includes('ufw status'), 'ufw was asked');
    assert.ok(run.calls.includes('firewall-cmd --state'), 'firewalld was asked');
    assert.ok(!run.calls.some((c) => c.startsWith('ufw allow') || c.includes('--add-port')));
  });
});

describe('RHEL family (dnf)', () => {
  test('SELinux permissive, the pkgs.k8s.io rpm repository, pinned dnf installs, no apt; a second run changes nothing', () => {
    stub = hostRoot(['selinux-mode']);
    stub.writeFile('etc/selinux/config', '# This file controls the state of SELinux\nSELINUX=enforcing\nSELINUXTYPE=targeted\n', 0o644);
    // The image check reads the host's os-release: this host is Rocky Linux 9.
    stub.writeFile('etc/os-release', 'NAME="Rocky Linux"\nID="rocky"\nVERSION_ID="9.4"\n', 0o644);
    prepare(stub, 'control-plane-init');
    // cilium: the harness's stub downloads cannot stand in for the calico/flannel manifests init edits.
    const script = renderBootstrapScript(metalInput('control-plane-init', { rhel: true, cni: 'cilium' }));
    const run = stub.run(script);
    assert.equal(run.status, 0, run.stderr);
    assert.ok(!run.calls.some((c) => c.startsWith('apt-get') || c.startsWith('apt-mark')), 'no apt on RHEL');
    assert.ok(run.calls.includes('setenforce 0'));
    assert.match(readFileSync(join(stub.root, 'etc/selinux/config'), 'utf8'), /^SELINUX=permissive$/m);
    const repo = readFileSync(join(stub.root, 'etc/yum.repos.d/k8sup-kubernetes.repo'), 'utf8');
    assert.match(repo, /^baseurl=https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v1\.35\/rpm\/$/m);
    assert.match(repo, /^gpgkey=https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v1\.35\/rpm\/repodata\/repomd\.xml\.key$/m);
    assert.match(repo, /^gpgcheck=1$/m);
    assert.match(repo, /^exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni$/m);
    const install = run.calls.find((c) => c.startsWith('dnf install') && c.includes('kubeadm'));
    assert.equal(install, 'dnf install -y -q --disableexcludes=kubernetes kubelet-1.35.1 kubeadm-1.35.1 kubectl-1.35.1');
    const order = ['setenforce 0', install!, 'kubeadm init'].map((p) => run.calls.findIndex((c) => c.startsWith(p)));
    assert.ok(order[0] < order[1] && order[1] < order[2], `SELinux, packages, kubeadm in this order: ${order}`);
    // Second run: already installed and permissive.
    writeFileSync(join(dirname(stub.bin), 'selinux-mode'), 'Permissive\n');
    const before = stub.snapshot();
    const again = stub.run(script);
    assert.equal(again.status, 0, again.stderr);
    assert.ok(!again.calls.some((c) => c.startsWith('dnf') || c.startsWith('setenforce')));
    assert.deepEqual(stub.snapshot(), before);
  });

  test('the apt path is untouched for Debian/Ubuntu (no dnf, no SELinux step)', () => {
    stub = hostRoot();
    prepare(stub, 'worker');
    const run = stub.run(renderBootstrapScript(metalInput('worker')));
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.calls.some((c) => /^apt-get( -o \S+)* install/.test(c)));
    assert.ok(!run.calls.some((c) => c.startsWith('dnf') || c.startsWith('setenforce') || c.startsWith('getenforce')));
  });
});

describe('haproxy-keepalived in the harness', () => {
  test('packages, real haproxy -c on the written file, keepalived on the VIP interface, both started before kubeadm init', () => {
    stub = hostRoot([], { realHaproxy: true });
    prepare(stub, 'control-plane-init');
    const run = stub.run(renderBootstrapScript(metalInput('control-plane-init', { haproxy: true, cni: 'cilium' })));
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.calls.includes('apt-get -o DPkg::Lock::Timeout=600 install -y -q haproxy keepalived'), run.calls.join('\n'));
    const cfg = join(stub.root, 'etc/haproxy/haproxy.cfg');
    assert.match(readFileSync(cfg, 'utf8'), /bind \*:8443/);
    const keepalived = readFileSync(join(stub.root, 'etc/keepalived/keepalived.conf'), 'utf8');
    assert.match(keepalived, /interface eth1\n/, 'the stub ip route says the VIP is reached through eth1');
    assert.ok(existsSync(join(stub.root, 'etc/keepalived/check_apiserver.sh')));
    const at = (p: string) => run.calls.findIndex((c) => c.startsWith(p));
    assert.ok(at('systemctl restart haproxy') >= 0 && at('systemctl restart keepalived') >= 0, run.calls.join('\n'));
    assert.ok(at('systemctl restart keepalived') < at('kubeadm init'));
    assert.ok(!run.calls.some((c) => c.includes('kube-vip')));
  });

  test('unattended-upgrades holds the dpkg lock for 2 minutes: the HAProxy and keepalived install waits for it', () => {
    stub = hostRoot([], { realHaproxy: true });
    prepare(stub, 'control-plane-init');
    // The kube packages are in from an earlier run; the daily unattended-upgrade runs when the front end is added.
    const script = renderBootstrapScript(metalInput('control-plane-init', { haproxy: true, cni: 'cilium' }));
    const version = /^K8S_PACKAGE_VERSION='([^']+)'$/m.exec(script)?.[1];
    stub.writeFile(`var/lib/k8sup/done/kube-packages-${version}`, '');
    stub.holdDpkgLock(120);
    const run = stub.run(script);
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.calls.some((c) => c.startsWith('kubeadm init')), run.calls.join('\n'));
  });

  test('HAProxy not restarted onto the written configuration: the next run restarts it, not just starts it', () => {
    stub = hostRoot([], { realHaproxy: true });
    prepare(stub, 'control-plane-init');
    const script = renderBootstrapScript(metalInput('control-plane-init', { haproxy: true, cni: 'cilium' }));
    stub.failNext('systemctl-restart-haproxy', 1);
    assert.notEqual(stub.run(script).status, 0);
    const again = stub.run(script);
    assert.equal(again.status, 0, again.stderr);
    const at = (p: string) => again.calls.indexOf(p);
    assert.ok(at('systemctl restart haproxy') >= 0 && at('systemctl restart haproxy') < again.calls.findIndex((c) => c.startsWith('kubeadm init')), again.calls.join('\n'));
  });

  test('a rendered haproxy.cfg that haproxy -c refuses stops the script before kubeadm', () => {
    stub = hostRoot([], { realHaproxy: true });
    prepare(stub, 'control-plane-init');
    const script = renderBootstrapScript(metalInput('control-plane-init', { haproxy: true, cni: 'cilium' })).replace('balance roundrobin', 'balance sideways');
    const run = stub.run(script);
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /does not pass haproxy -c/);
    assert.ok(!run.calls.some((c) => c.startsWith('kubeadm init')));
  });
});
