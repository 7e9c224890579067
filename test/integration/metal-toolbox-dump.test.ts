// `toolbox dump` on bare metal through the CLI's run() against a real sshd (stub commands on the remote PATH, a
// temporary root): a cluster whose state holds a registry credential, its PKI and a kubeconfig given with
// --kubeconfig; the dump lists the hosts' steps over SSH and holds none of those secrets, in JSON or YAML.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { metalCli } from '../helpers/metal-cli.js';
import { freePort } from '../helpers/net.js';
import { makeKeyPair, startSshd, writeBootstrapStubs, type Sshd } from '../helpers/sshd.js';

const dir = mkdtempSync(join(tmpdir(), 'k8sup-metal-dump-'));
const home = join(dir, 'home');
const key = makeKeyPair(dir, 'client');
const NAME = 'dump.k8s.local';
const REGISTRY = 'registry.lab.example:5000';
const SECRET = 'dump-Registry-Pa55-QQ7';
const k8sup = metalCli(home, dir);
let sshd: Sshd;

before(async () => {
  writeBootstrapStubs(join(dir, 'bin'));
  sshd = await startSshd({ authorizedKeys: [key.publicKey] });
  const hosts = join(dir, 'hosts.yaml');
  writeFileSync(hosts, `hosts:\n  - {name: cp1, address: 127.0.0.1, port: ${sshd.port}, user: ${sshd.user}, role: control-plane, sshKey: ${key.privateKeyPath}}\n`);
  const created = await k8sup(['create', 'cluster', NAME, '--cloud', 'metal', '--hosts', hosts, '--networking', 'cilium']);
  assert.equal(created.code, 0, `${created.stderr} ${created.error?.message ?? ''}`);
  const doc = parse((await k8sup(['get', 'cluster', NAME, '-o', 'yaml'])).stdout);
  doc.spec.assets = { ...doc.spec.assets, registries: [{ host: REGISTRY, credentials: { secretRef: 'lab' } }] };
  writeFileSync(join(dir, 'cluster.yaml'), stringify(doc));
  assert.equal((await k8sup(['replace', '-f', join(dir, 'cluster.yaml')])).code, 0);
  const docker = join(dir, 'config.json');
  writeFileSync(docker, JSON.stringify({ auths: { [REGISTRY]: { auth: Buffer.from(`robot:${SECRET}`).toString('base64') } } }));
  const stored = await k8sup(['create', 'secret', 'registry', 'lab', '--name', NAME, '--registry', REGISTRY, '--docker-config', docker]);
  assert.equal(stored.code, 0, `${stored.stderr} ${stored.error?.message ?? ''}`);
  const applied = await k8sup(['update', 'cluster', NAME, '--yes', '--ssh-accept-new']);
  assert.equal(applied.code, 0, `${applied.stderr} ${applied.error?.message ?? ''}`);
});
after(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('metal dump: the hosts\' steps over SSH; no registry credential, CA key or kubeconfig key in it', { timeout: 300_000 }, async () => {
  const caKey = readFileSync(join(dir, 'state', NAME, 'pki', 'ca.key'), 'utf8');
  const clientKey = readFileSync(key.privateKeyPath, 'utf8');
  // The user's kubeconfig (an API that does not answer): its key must not travel into the dump either.
  const keyB64 = Buffer.from(caKey).toString('base64');
  const kubeconfig = join(dir, 'kubeconfig');
  const server = `https://127.0.0.1:${await freePort()}`;
  writeFileSync(kubeconfig, stringify({ apiVersion: 'v1', kind: 'Config', 'current-context': 'x', contexts: [{ name: 'x', context: { cluster: 'x', user: 'x' } }], clusters: [{ name: 'x', cluster: { server, 'insecure-skip-tls-verify': true } }], users: [{ name: 'x', user: { 'client-key-data': keyB64, token: 'static-token-0123456789' } }] }), { mode: 0o600 });
  const secrets = [SECRET, Buffer.from(`robot:${SECRET}`).toString('base64'), ...caKey.split('\n').filter((l) => l.length > 40), ...clientKey.split('\n').filter((l) => l.length > 40), keyB64.slice(0, 60), 'static-token-0123456789'];
  for (const format of ['json', 'yaml']) {
    const r = await k8sup(['toolbox', 'dump', NAME, '-o', format, '--kubeconfig', kubeconfig, '--ssh-accept-new']);
    assert.equal(r.code, 0, `${r.stderr} ${r.error?.message ?? ''}`);
    for (const s of secrets) assert.ok(!(r.stdout + r.stderr).includes(s), `${format}: the dump holds ${s.slice(0, 24)}…`);
    assert.doesNotMatch(r.stdout, /PRIVATE KEY/);
    const dump = format === 'json' ? JSON.parse(r.stdout) : parse(r.stdout);
    assert.equal(dump.cloud.reachable, true, r.stdout.slice(0, 400));
    const ids = dump.cloud.resources.map((x: { id: string }) => x.id).sort();
    assert.ok(ids.some((id: string) => /cp1/.test(id) && /prepared/.test(id)) && ids.some((id: string) => /kubeadm-init/.test(id)), ids.join(' '));
    const init = dump.cloud.resources.find((x: { id: string }) => /kubeadm-init/.test(x.id));
    assert.equal(init.attributes.registryCredentials, '(redacted)');
    assert.equal(dump.kubernetes.reachable, false);
    assert.match(dump.kubernetes.error, new RegExp(server.replace(/[.:/]/g, '\\$&')));
  }
});
