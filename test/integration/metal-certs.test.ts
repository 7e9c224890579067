// `certs check` / `certs renew` on bare metal through the CLI (in process), against a real sshd on 127.0.0.1: real
// openssl-made certificates with short lifetimes on the host, read back over SSH; renew runs kubeadm's procedure
// only with --yes and puts the static pod manifests back.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { metalCli } from '../helpers/metal-cli.js';
import { makeKeyPair, startSshd, writeBootstrapStubs, type Sshd } from '../helpers/sshd.js';

const dir = mkdtempSync(join(tmpdir(), 'k8sup-metal-certs-'));
const home = join(dir, 'home');
const key = makeKeyPair(dir, 'client');
let server: Sshd;
const NAME = 'certs.k8s.local';
const root = join(dir, 'roots', 'cp1');
const kube = join(root, 'etc/kubernetes');
const calls = () => (existsSync(join(root, 'calls.log')) ? readFileSync(join(root, 'calls.log'), 'utf8') : '');
const k8sup = metalCli(home, dir);

after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A self-signed leaf certificate (CA:FALSE) made by openssl that is valid for `days` days. */
function opensslCert(path: string, cn: string, days: number): string {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', String(days), '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:FALSE', '-keyout', join(dir, 'throwaway.key'), '-out', path], { stdio: 'ignore' });
  return readFileSync(path, 'utf8');
}

before(async () => {
  writeBootstrapStubs(join(dir, 'bin'));
  server = await startSshd({ authorizedKeys: [key.publicKey] });
  const hostsFile = join(dir, 'hosts.yaml');
  writeFileSync(hostsFile, `hosts:\n  - {name: cp1, address: 127.0.0.1, port: ${server.port}, user: ${server.user}, role: control-plane, sshKey: ${key.privateKeyPath}}\n`);
  const created = await k8sup(['create', 'cluster', NAME, '--cloud', 'metal', '--hosts', hostsFile, '--networking', 'cilium', '--yes', '--ssh-accept-new']);
  assert.equal(created.code, 0, `${created.stderr} ${created.error?.message ?? ''}`);
  // What kubeadm would have left: leaf certificates (one about to expire) and a kubeconfig with an embedded client one.
  opensslCert(join(kube, 'pki/apiserver.crt'), 'kube-apiserver', 10);
  opensslCert(join(kube, 'pki/apiserver-kubelet-client.crt'), 'kube-apiserver-kubelet-client', 200);
  mkdirSync(join(kube, 'pki/etcd'), { recursive: true });
  opensslCert(join(kube, 'pki/etcd/server.crt'), 'cp1', 2);
  const client = opensslCert(join(dir, 'admin.crt'), 'kubernetes-admin', 5);
  writeFileSync(join(kube, 'admin.conf'), `apiVersion: v1\nkind: Config\nusers:\n- name: kubernetes-admin\n  user:\n    client-certificate-data: ${Buffer.from(client).toString('base64')}\n    client-key-data: c2VjcmV0\n`);
  mkdirSync(join(kube, 'manifests'), { recursive: true });
  for (const c of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd']) writeFileSync(join(kube, 'manifests', `${c}.yaml`), `# ${c}\n`);
});

test('certs check reads every certificate on the control plane over SSH and flags those within 30 days', async () => {
  const r = await k8sup(['certs', 'check', NAME, '-o', 'json']);
  assert.equal(r.code, 0, `${r.stderr} ${r.error?.message ?? ''}`);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.warningDays, 30);
  const by = new Map(doc.certificates.map((c: any) => [c.name, c]));
  const days = (n: string) => (by.get(n) as any)?.daysLeft;
  assert.ok([9, 10].includes(days('pki/apiserver.crt')), JSON.stringify(by.get('pki/apiserver.crt')));
  assert.ok([199, 200].includes(days('pki/apiserver-kubelet-client.crt')));
  assert.ok([1, 2].includes(days('pki/etcd/server.crt')));
  assert.ok([4, 5].includes(days('admin.conf')), 'the client certificate embedded in admin.conf');
  // The CA k8sup generated (10 years) was copied to the host before kubeadm init.
  assert.equal((by.get('pki/ca.crt') as any)?.isCa, true);
  assert.ok(days('pki/ca.crt') > 3000);
  assert.deepEqual(doc.certificates.filter((c: any) => c.expiresSoon).map((c: any) => c.name).sort(), ['admin.conf', 'pki/apiserver.crt', 'pki/etcd/server.crt']);
  assert.ok(doc.certificates.every((c: any) => c.source === 'cp1'));
  assert.match(r.stderr, /warning: 3 certificate\(s\) of certs\.k8s\.local expire within 30 days/);
  assert.doesNotMatch(r.stdout + r.stderr, /c2VjcmV0|PRIVATE KEY/, 'no key material is printed');

  const table = await k8sup(['certs', 'check', NAME]);
  assert.match(table.stdout, /^pki\/etcd\/server\.crt\s+cp1\s+\S+\s+[12]\s+no\s+EXPIRES SOON$/m);
  assert.match(table.stderr, /certs renew certs\.k8s\.local --yes/);
});

test('certs renew previews without --yes; with --yes runs kubeadm certs renew all and restarts the static pods', async () => {
  const before = calls();
  const preview = await k8sup(['certs', 'renew', NAME]);
  assert.equal(preview.code, 0, preview.error?.message);
  assert.match(preview.stdout, /^cp1\s+kubeadm certs renew all/m);
  assert.equal(calls(), before, 'the preview ran something on the host');

  const r = await k8sup(['certs', 'renew', NAME, '--yes']);
  assert.equal(r.code, 0, `${r.stderr} ${r.error?.message ?? ''}`);
  const ran = calls().slice(before.length);
  assert.match(ran, /^kubeadm certs renew all$/m);
  assert.match(ran, /^curl -fsk --max-time 2 https:\/\/127\.0\.0\.1:6443\/livez$/m, 'waited for the API server');
  for (const c of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd']) assert.ok(existsSync(join(kube, 'manifests', `${c}.yaml`)), `${c} manifest is back`);
  assert.equal(existsSync(join(kube, 'manifests-renewing')), false);
});
