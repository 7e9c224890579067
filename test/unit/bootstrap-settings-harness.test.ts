// The settings' shell parts run for real (bash, temporary root, stub commands): audit policy and log folder, the
// encryption key fetched with the PKI before kubeadm init, ipvs modules, the registry CA for containerd, the apt
// sources moved to the package mirror, every download from the file repository — and a second run changes nothing.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { renderBootstrapScript } from '../../src/bootstrap/index.js';
import { AIRGAP_ASSETS, REGISTRY_CA_PEM, testInput, withEverySetting } from '../helpers/bootstrap-fixtures.js';
import { createStubRoot, type StubRoot } from '../helpers/stub-root.js';

let stub: StubRoot | undefined;
afterEach(() => {
  stub?.cleanup();
  stub = undefined;
});

test('metal first control plane with every setting, air-gapped: runs through, in order, and is idempotent', () => {
  stub = createStubRoot();
  // What k8sup copies over SSH before it runs the script: the PKI and, with encryptionAtRest, the Secrets key.
  for (const f of ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key', 'sa.key', 'sa.pub']) stub.writeFile(`etc/kubernetes/pki/${f}`, `copied ${f}\n`);
  // What an Ubuntu image ships: deb822 sources on a regional archive mirror.
  stub.writeFile('etc/apt/sources.list.d/ubuntu.sources', 'Types: deb\nURIs: http://us-east-2.ec2.archive.ubuntu.com/ubuntu/\nSuites: noble noble-updates\n\nTypes: deb\nURIs: http://security.ubuntu.com/ubuntu/\nSuites: noble-security\n');
  const input = testInput('metal', 'control-plane-init', { assets: AIRGAP_ASSETS });
  withEverySetting(input.cluster);
  const script = renderBootstrapScript(input);
  // Without the Secrets key the control plane stops before kubeadm (an API server would not start without it).
  const missing = stub.run(script);
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /encryption-config\.yaml is missing: k8sup copies the PKI over SSH/);
  assert.ok(!missing.calls.some((c) => c.startsWith('kubeadm init')), 'no kubeadm init without the key');
  stub.writeFile('etc/kubernetes/pki/encryption-config.yaml', 'kind: EncryptionConfiguration\n', 0o600);
  const run = stub.run(script);
  assert.equal(run.status, 0, `script failed (${run.status}):\n${run.stderr}`);

  const sources = readFileSync(join(stub.root, 'etc/apt/sources.list.d/ubuntu.sources'), 'utf8');
  assert.match(sources, /URIs: https:\/\/apt\.corp\.example\/ubuntu\/\n/);
  assert.doesNotMatch(sources, /ubuntu\.com/);
  // (the packages were installed by the first run, which stopped later at the missing key)
  assert.ok(missing.calls.some((c) => /^apt-get .*update/.test(c)), 'apt ran after the sources moved to the mirror');

  for (const m of ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'nf_conntrack']) assert.ok(run.calls.includes(`modprobe ${m}`), `modprobe ${m}`);
  assert.match(readFileSync(join(stub.root, 'etc/modules-load.d/k8sup.conf'), 'utf8'), /^ip_vs$/m);

  assert.equal(readFileSync(join(stub.root, 'etc/containerd/certs.d/registry.corp.example:5000/ca.crt'), 'utf8').trim(), REGISTRY_CA_PEM);
  const hosts = readFileSync(join(stub.root, 'etc/containerd/certs.d/registry.corp.example:5000/hosts.toml'), 'utf8');
  assert.match(hosts, /ca = "\/etc\/containerd\/certs\.d\/registry\.corp\.example:5000\/ca\.crt"/);
  assert.match(readFileSync(join(stub.root, 'etc/containerd/config.toml'), 'utf8'), /sandbox = "registry\.corp\.example:5000\/k8s\/pause:3\.10\.1"/);

  // Downloads come from the file repository only.
  const downloads = [...missing.calls, ...run.calls].filter((c) => /^curl .*https?:\/\//.test(c));
  assert.ok(downloads.length > 0);
  for (const c of downloads) assert.match(c, /https:\/\/files\.corp\.example\/k8s\//, c);

  assert.ok(run.calls.some((c) => c.startsWith('kubeadm init')));
  assert.equal(statSync(join(stub.root, 'etc/kubernetes/pki/encryption-config.yaml')).mode & 0o777, 0o600);
  const kubeadmConfig = readFileSync(join(stub.root, 'etc/k8sup/kubeadm.yaml'), 'utf8');
  assert.match(kubeadmConfig, /encryption-provider-config/);
  assert.match(kubeadmConfig, /imageRepository: "registry\.corp\.example:5000\/k8s"/);
  assert.match(readFileSync(join(stub.root, 'etc/kubernetes/audit/policy.yaml'), 'utf8'), /kind: Policy/);
  assert.ok(existsSync(join(stub.root, 'var/log/kubernetes/audit')));

  assert.equal(statSync(join(stub.root, 'etc/kubernetes/audit/policy.yaml')).mode & 0o777, 0o600);
  const before = stub.snapshot();
  const again = stub.run(script);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(stub.snapshot(), before, 'the second run changed files under the root');
});
