// Bare metal through the CLI (in process) against real sshd on 127.0.0.1: the OS / architecture probe refuses an
// unsupported host before anything is written, a RHEL-family host takes the dnf path, a haproxy-keepalived cluster
// writes HAProxy (checked on the "host" by the real haproxy -c) and keepalived, and changing the front end of the
// applied cluster is refused with exit 2. Each simulated host has its own root (fake /etc/os-release in it).

import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { metalCli } from '../helpers/metal-cli.js';
import { makeKeyPair, startSshd, writeBootstrapStubs, type Sshd } from '../helpers/sshd.js';

const dir = mkdtempSync(join(tmpdir(), 'k8sup-metal-os-'));
const home = join(dir, 'home');
const key = makeKeyPair(dir, 'client');
const servers: Record<string, Sshd> = {};
const rootOf = (h: string) => join(dir, 'roots', h);
const calls = (h: string) => (existsSync(join(rootOf(h), 'calls.log')) ? readFileSync(join(rootOf(h), 'calls.log'), 'utf8') : '');
const HOST_TOOLS = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../helpers/stub-host-tools.sh'), 'utf8');

const OS_RELEASE = {
  ubuntu: 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n',
  rocky: 'NAME="Rocky Linux"\nVERSION="9.4 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\nPRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"\n',
  fedora: 'NAME="Fedora Linux"\nVERSION="40 (Server Edition)"\nID=fedora\nVERSION_ID=40\nPRETTY_NAME="Fedora Linux 40 (Server Edition)"\n',
};
const HOSTS = ['cp1', 'cp2', 'cp3', 'w1', 'odd'] as const;

after(async () => {
  for (const s of Object.values(servers)) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

function setOs(h: string, os: keyof typeof OS_RELEASE): void {
  mkdirSync(join(rootOf(h), 'etc'), { recursive: true });
  writeFileSync(join(rootOf(h), 'etc', 'os-release'), OS_RELEASE[os]);
}

function hostsFile(name: string, hosts: { name: string; role: string }[], api?: string): string {
  const path = join(dir, `${name}.yaml`);
  const lines = ['hosts:', ...hosts.map((h) => `  - {name: ${h.name}, address: 127.0.0.1, port: ${servers[h.name].port}, user: ${servers[h.name].user}, role: ${h.role}, sshKey: ${key.privateKeyPath}}`)];
  if (api) lines.push(`api: ${api}`);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

before(async () => {
  const bin = join(dir, 'bin');
  writeBootstrapStubs(bin);
  // dnf and SELinux tools are not in the shared stub set (test/helpers/stub-host-tools.sh answers for them).
  for (const name of ['dnf', 'setenforce', 'getenforce', 'ufw', 'firewall-cmd']) {
    writeFileSync(join(bin, name), HOST_TOOLS);
    chmodSync(join(bin, name), 0o755);
  }
  for (const h of HOSTS) {
    mkdirSync(rootOf(h), { recursive: true });
    servers[h] = await startSshd({ authorizedKeys: [key.publicKey] });
  }
});

const k8sup = metalCli(home, dir);
const stateDir = join(dir, 'state');
const stored = (name: string) => existsSync(stateDir) && readdirSync(stateDir).includes(name);

test('an unsupported host (Fedora 40) is refused with exit 2 naming it; nothing is written and no host changes', async () => {
  setOs('cp1', 'ubuntu');
  setOs('odd', 'fedora');
  const file = hostsFile('fedora', [{ name: 'cp1', role: 'control-plane' }, { name: 'odd', role: 'worker' }]);
  const r = await k8sup(['create', 'cluster', 'fedora.k8s.local', '--hosts', file, '--networking', 'cilium', '--yes', '--ssh-accept-new']);
  assert.equal(r.code, 2, `${r.stderr} ${r.error?.message ?? ''}`);
  assert.match(r.error!.message, /host odd \(127\.0\.0\.1:\d+\) runs Fedora Linux 40/);
  assert.doesNotMatch(r.error!.message, /host cp1/);
  assert.match(r.error!.hint ?? '', /Ubuntu 22\.04 or 24\.04, Debian 12, Rocky Linux/);
  assert.equal(stored('fedora.k8s.local'), false, 'the spec was not stored');
  assert.equal(calls('cp1') + calls('odd'), '', 'no command ran on any host');
  assert.ok(!existsSync(join(rootOf('cp1'), 'var/lib/k8sup')), 'nothing was written on the hosts');
});

test('a Rocky Linux 9 worker takes the dnf path (rpm repository, SELinux permissive); Ubuntu stays on apt', async () => {
  setOs('cp1', 'ubuntu');
  setOs('w1', 'rocky');
  mkdirSync(join(rootOf('w1'), 'etc/selinux'), { recursive: true });
  writeFileSync(join(rootOf('w1'), 'etc/selinux/config'), 'SELINUX=enforcing\nSELINUXTYPE=targeted\n');
  const file = hostsFile('rocky', [{ name: 'cp1', role: 'control-plane' }, { name: 'w1', role: 'worker' }]);
  const r = await k8sup(['create', 'cluster', 'rocky.k8s.local', '--hosts', file, '--networking', 'cilium', '--kubernetes-version', '1.34.4', '--yes', '--ssh-accept-new']);
  assert.equal(r.code, 0, `${r.stderr} ${r.error?.message ?? ''}`);
  assert.match(calls('w1'), /^dnf install -y -q --disableexcludes=kubernetes kubelet-1\.34\.4 kubeadm-1\.34\.4 kubectl-1\.34\.4$/m);
  assert.match(calls('w1'), /^setenforce 0$/m);
  assert.doesNotMatch(calls('w1'), /^apt-get/m);
  assert.match(readFileSync(join(rootOf('w1'), 'etc/selinux/config'), 'utf8'), /^SELINUX=permissive$/m);
  assert.match(readFileSync(join(rootOf('w1'), 'etc/yum.repos.d/k8sup-kubernetes.repo'), 'utf8'), /baseurl=https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v1\.34\/rpm\//);
  assert.match(calls('cp1'), /^apt-get( -o \S+)* install/m);
  assert.doesNotMatch(calls('cp1'), /^dnf/m);
  const marker = JSON.parse(readFileSync(join(rootOf('w1'), 'var/lib/k8sup/steps/prepared.json'), 'utf8'));
  assert.equal(marker.outputs.os, 'rocky-9.4');
  const del = await k8sup(['delete', 'cluster', 'rocky.k8s.local', '--yes']);
  assert.equal(del.code, 0, `${del.stderr} ${del.error?.message ?? ''}`);
});

test('haproxy-keepalived over SSH: HAProxy passes haproxy -c on the host, endpoint vip:8443; changing the front end afterwards is exit 2', async () => {
  for (const h of ['cp1', 'w1']) {
    rmSync(rootOf(h), { recursive: true, force: true });
    setOs(h, 'ubuntu');
    // The interface that carries the VIP on these simulated hosts (no route to 10.0.0.100 is assumed).
    mkdirSync(join(rootOf(h), 'etc/k8sup'), { recursive: true });
    writeFileSync(join(rootOf(h), 'etc/k8sup/vip-interface'), 'eth0\n');
  }
  const name = 'ha.k8s.local';
  const file1 = hostsFile('ha1', [{ name: 'cp1', role: 'control-plane' }, { name: 'w1', role: 'worker' }], '{frontEnd: haproxy-keepalived, vip: 10.0.0.100}');
  const ok = await k8sup(['create', 'cluster', name, '--hosts', file1, '--networking', 'cilium', '--kubernetes-version', '1.34.4', '--yes', '--ssh-accept-new']);
  assert.equal(ok.code, 0, `${ok.stderr} ${ok.error?.message ?? ''}`);
  const cfg = readFileSync(join(rootOf('cp1'), 'etc/haproxy/haproxy.cfg'), 'utf8');
  assert.match(cfg, /bind \*:8443/);
  assert.match(cfg, /server cp1 127\.0\.0\.1:6443 check/);
  assert.match(calls('cp1'), /^systemctl restart haproxy$/m);
  assert.match(readFileSync(join(rootOf('cp1'), 'etc/keepalived/keepalived.conf'), 'utf8'), /interface eth0\n/);
  const kubeadm = readFileSync(join(rootOf('cp1'), 'var/lib/k8sup/bootstrap-kubeadm-init.sh'), 'utf8');
  assert.match(kubeadm, /controlPlaneEndpoint: "?10\.0\.0\.100:8443"?/);
  assert.doesNotMatch(calls('w1'), /haproxy|keepalived/);

  const yaml = await k8sup(['get', 'cluster', name, '-o', 'yaml']);
  assert.equal(yaml.code, 0);
  const changedSpec = join(dir, 'changed.yaml');
  writeFileSync(changedSpec, yaml.stdout.replace('frontEnd: haproxy-keepalived', 'frontEnd: kube-vip'));
  const replaced = await k8sup(["replace", "-f", changedSpec]);
  assert.equal(replaced.code, 0, `${replaced.stderr} ${replaced.error?.message ?? ""}`);
  const before = calls('cp1') + calls('w1');
  const refused = await k8sup(['update', 'cluster', name, '--yes']);
  assert.equal(refused.code, 2, `${refused.stderr} ${refused.error?.message ?? ''}`);
  assert.match(refused.error!.message, /spec\.api\.frontEnd: ha\.k8s\.local was installed with the haproxy-keepalived front end.*cannot change it to kube-vip/);
  assert.equal(calls('cp1') + calls('w1'), before, 'no host was changed');
  writeFileSync(changedSpec, yaml.stdout);
});

test('haproxy-keepalived: control planes added later join, and the existing one gets them as HAProxy backends and VRRP peers', async () => {
  const name = 'ha.k8s.local';
  const spec = JSON.parse((await k8sup(['get', 'cluster', name, '-o', 'json'])).stdout);
  assert.equal(spec.spec.api.frontEnd, 'kube-vip', 'the previous test left the refused change in the spec');
  spec.spec.api.frontEnd = 'haproxy-keepalived';
  for (const h of ['cp2', 'cp3']) {
    rmSync(rootOf(h), { recursive: true, force: true });
    setOs(h, 'ubuntu');
    mkdirSync(join(rootOf(h), 'etc/k8sup'), { recursive: true });
    writeFileSync(join(rootOf(h), 'etc/k8sup/vip-interface'), 'eth0\n');
    spec.spec.hosts.push({ name: h, address: '127.0.0.1', port: servers[h].port, user: servers[h].user, role: 'control-plane', sshKey: key.privateKeyPath });
  }
  spec.spec.controlPlane.count = 3;
  const grown = join(dir, 'grown.json');
  writeFileSync(grown, JSON.stringify(spec));
  const replaced = await k8sup(['replace', '-f', grown]);
  assert.equal(replaced.code, 0, `${replaced.stderr} ${replaced.error?.message ?? ''}`);
  const plan = await k8sup(['update', 'cluster', name, '--ssh-accept-new']);
  assert.equal(plan.code, 0, `${plan.stderr} ${plan.error?.message ?? ''}`);
  // The plan shows the two API servers added to cp1's HAProxy backends (per-item list diff).
  assert.match(plan.stdout, /~\s+metal-kubeadm-init\s+host\/cp1\/kubeadm-init[^\n]*\n\s+~ apiServers = \[\n\s+\+ "127\.0\.0\.1"\n\s+\+ "127\.0\.0\.1"\n\s+# \(1 unchanged item hidden\)/);
  const applied = await k8sup(['update', 'cluster', name, '--yes', '--ssh-accept-new']);
  assert.equal(applied.code, 0, `${applied.stderr} ${applied.error?.message ?? ''}`);
  const servers1 = [...readFileSync(join(rootOf('cp1'), 'etc/haproxy/haproxy.cfg'), 'utf8').matchAll(/^\s+server (\S+) /gm)].map((m) => m[1]);
  assert.deepEqual(servers1, ['cp1', 'cp2', 'cp3']);
  assert.equal(calls('cp1').match(/^kubeadm init/gm)?.length, 1, 'cp1 is not initialised again');
  for (const h of ['cp2', 'cp3']) {
    assert.match(calls(h), /^kubeadm join/m);
    assert.match(readFileSync(join(rootOf(h), 'etc/keepalived/keepalived.conf'), 'utf8'), /state BACKUP/);
  }
  const again = await k8sup(['update', 'cluster', name, '--yes', '--detailed-exitcode']);
  assert.equal(again.code, 0, `a second update plans nothing: ${again.stdout}`);
});
