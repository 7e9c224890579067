// Registry credentials on bare metal, through the CLI's run() against real sshd instances (stub commands on the
// remote PATH, a temporary root per host): k8sup copies the stored credential over SSH (0600) before each bootstrap
// run, the script turns it into containerd's root-only drop-in on every host; adding or removing credentials re-runs
// the scripts of installed hosts; delete removes the drop-in. The credential is never in the output or the scripts.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { parse, stringify } from 'yaml';
import { CONTAINERD_AUTH_DROP_IN } from '../../src/bootstrap/registries.js';
import { metalCli } from '../helpers/metal-cli.js';
import { makeKeyPair, startSshd, writeBootstrapStubs, type Sshd } from '../helpers/sshd.js';

const dir = mkdtempSync(join(tmpdir(), 'k8sup-metal-regcreds-'));
const home = join(dir, 'home');
const key = makeKeyPair(dir, 'client');
const servers: Sshd[] = [];
const NAME = 'lab.k8s.local';
const HOST = 'registry.lab.example:5000';
const SECRET = 'metal-Registry-Pa55-ZZ9';
const HOSTS = ['cp1', 'w1'];
const rootOf = (h: string) => join(dir, 'roots', h);
const calls = (h: string) => (existsSync(join(rootOf(h), 'calls.log')) ? readFileSync(join(rootOf(h), 'calls.log'), 'utf8') : '');
const k8sup = metalCli(home, dir);

after(async () => {
  for (const s of servers) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

before(async () => {
  writeBootstrapStubs(join(dir, 'bin'));
  for (let i = 0; i < 2; i++) servers.push(await startSshd({ authorizedKeys: [key.publicKey] }));
  const hostsFile = join(dir, 'hosts.yaml');
  writeFileSync(
    hostsFile,
    ['hosts:', ...HOSTS.map((h, i) => `  - {name: ${h}, address: 127.0.0.1, port: ${servers[i].port}, user: ${servers[i].user}, role: ${i === 0 ? 'control-plane' : 'worker'}, sshKey: ${key.privateKeyPath}}`), ''].join('\n'),
  );
  const created = await k8sup(['create', 'cluster', NAME, '--cloud', 'metal', '--hosts', hostsFile, '--networking', 'cilium']);
  assert.equal(created.code, 0, `${created.stderr} ${created.error?.message ?? ''}`);
});

/** Writes the stored spec back with `assets` set (replace -f: a new revision). */
async function setAssets(assets: Record<string, unknown> | undefined): Promise<void> {
  const doc = parse((await k8sup(['get', 'cluster', NAME, '-o', 'yaml'])).stdout);
  if (assets) doc.spec.assets = { ...doc.spec.assets, ...assets };
  else delete doc.spec.assets.registries;
  const file = join(dir, 'cluster.yaml');
  writeFileSync(file, stringify(doc));
  const r = await k8sup(['replace', '-f', file]);
  assert.equal(r.code, 0, `${r.stderr} ${r.error?.message ?? ''}`);
}

test('credentials added to an installed cluster: every host gets the credential over SSH (0600) and containerd\'s drop-in; a second update runs nothing', { timeout: 600_000 }, async () => {
  const installed = await k8sup(['update', 'cluster', NAME, '--yes', '--ssh-accept-new']);
  assert.equal(installed.code, 0, `${installed.stderr} ${installed.error?.message ?? ''}`);
  assert.equal(existsSync(join(rootOf('w1'), CONTAINERD_AUTH_DROP_IN)), false);
  await setAssets({ registries: [{ host: HOST, credentials: { secretRef: 'lab' } }] });
  const docker = join(dir, 'config.json');
  writeFileSync(docker, JSON.stringify({ auths: { [HOST]: { auth: Buffer.from(`robot:${SECRET}`).toString('base64') } } }));
  const stored = await k8sup(['create', 'secret', 'registry', 'lab', '--name', NAME, '--registry', HOST, '--docker-config', docker]);
  assert.equal(stored.code, 0, `${stored.stderr} ${stored.error?.message ?? ''}`);
  const credentialFile = join(dir, 'state', NAME, 'bootstrap/registry-credentials/lab.toml');
  assert.equal(statSync(credentialFile).mode & 0o777, 0o600);

  const plan = await k8sup(['update', 'cluster', NAME, '-v', '--ssh-accept-new']);
  assert.equal(plan.code, 0, plan.error?.message);
  const applied = await k8sup(['update', 'cluster', NAME, '--yes', '--ssh-accept-new', '-v']);
  assert.equal(applied.code, 0, `${applied.stderr} ${applied.error?.message ?? ''}`);
  for (const out of [stored, plan, applied]) assert.ok(!(out.stdout + out.stderr).includes(SECRET), 'the credential was printed');
  // The installed hosts' steps change in place: which registry uses which secret (names only).
  assert.match(plan.stdout, /registryCredentials/, plan.stdout);
  assert.match(plan.stdout, /registry\.lab\.example:5000=lab/, plan.stdout);

  for (const h of HOSTS) {
    const copied = join(rootOf(h), 'etc/k8sup/registry-credentials/lab.toml');
    assert.equal(statSync(copied).mode & 0o777, 0o600, `${h}: the copy is root-only`);
    assert.equal(statSync(join(rootOf(h), 'etc/k8sup/registry-credentials')).mode & 0o777, 0o700);
    const dropIn = join(rootOf(h), CONTAINERD_AUTH_DROP_IN);
    assert.equal(statSync(dropIn).mode & 0o777, 0o600, `${h}: the drop-in is root-only`);
    const auth = (parseToml(readFileSync(dropIn, 'utf8')) as Record<string, any>).plugins['io.containerd.cri.v1.images'].registry.configs[HOST].auth;
    assert.deepEqual({ ...auth }, { username: 'robot', password: SECRET });
    assert.match(readFileSync(join(rootOf(h), 'etc/containerd/config.toml'), 'utf8'), /^imports = \["\/etc\/containerd\/conf\.d\/k8sup-registry-auth\.toml"\]$/m);
    // The script the host ran has the credential's name only.
    assert.ok(!readFileSync(join(rootOf(h), `var/lib/k8sup/bootstrap-${h === 'cp1' ? 'kubeadm-init' : 'joined'}.sh`), 'utf8').includes(SECRET));
  }

  const before = HOSTS.map(calls).join('');
  const again = await k8sup(['update', 'cluster', NAME, '--yes']);
  assert.equal(again.code, 0, again.error?.message);
  assert.equal(HOSTS.map(calls).join(''), before, 'the second run ran nothing on the hosts');
});

test('rotation to a new secret name: update re-runs the hosts, the drop-in holds the new credential, the old copy is gone', { timeout: 600_000 }, async () => {
  const docker = join(dir, 'config-2.json');
  writeFileSync(docker, JSON.stringify({ auths: { [HOST]: { username: 'robot', password: `${SECRET}-new` } } }));
  const stored = await k8sup(['create', 'secret', 'registry', 'lab-2', '--name', NAME, '--registry', HOST, '--docker-config', docker]);
  assert.equal(stored.code, 0, `${stored.stderr} ${stored.error?.message ?? ''}`);
  await setAssets({ registries: [{ host: HOST, credentials: { secretRef: 'lab-2' } }] });
  const r = await k8sup(['update', 'cluster', NAME, '--yes']);
  assert.equal(r.code, 0, `${r.stderr} ${r.error?.message ?? ''}`);
  for (const h of HOSTS) {
    const auth = (parseToml(readFileSync(join(rootOf(h), CONTAINERD_AUTH_DROP_IN), 'utf8')) as Record<string, any>).plugins['io.containerd.cri.v1.images'].registry.configs[HOST].auth;
    assert.deepEqual({ ...auth }, { username: 'robot', password: `${SECRET}-new` }, h);
    assert.equal(existsSync(join(rootOf(h), 'etc/k8sup/registry-credentials/lab.toml')), false, `${h} keeps the old copy`);
    assert.ok(existsSync(join(rootOf(h), 'etc/k8sup/registry-credentials/lab-2.toml')));
  }
});

test('credentials taken out of the spec: the installed hosts re-run their script without them and lose the copies', { timeout: 600_000 }, async () => {
  await setAssets(undefined);
  const r = await k8sup(['update', 'cluster', NAME, '--yes']);
  assert.equal(r.code, 0, `${r.stderr} ${r.error?.message ?? ''}`);
  for (const h of HOSTS) {
    assert.equal(existsSync(join(rootOf(h), CONTAINERD_AUTH_DROP_IN)), false, `${h} still has the drop-in`);
    assert.equal(existsSync(join(rootOf(h), 'etc/k8sup/registry-credentials')), false, `${h} still has the copies`);
    assert.doesNotMatch(readFileSync(join(rootOf(h), 'etc/containerd/config.toml'), 'utf8'), /imports/);
  }
});

test('delete --yes leaves no credential on the hosts', { timeout: 600_000 }, async () => {
  await setAssets({ registries: [{ host: HOST, credentials: { secretRef: 'lab' } }] });
  const applied = await k8sup(['update', 'cluster', NAME, '--yes']);
  assert.equal(applied.code, 0, `${applied.stderr} ${applied.error?.message ?? ''}`);
  assert.ok(existsSync(join(rootOf('w1'), CONTAINERD_AUTH_DROP_IN)));
  const r = await k8sup(['delete', 'cluster', NAME, '--yes']);
  assert.equal(r.code, 0, `${r.stderr} ${r.error?.message ?? ''}`);
  for (const h of HOSTS) {
    assert.equal(existsSync(join(rootOf(h), CONTAINERD_AUTH_DROP_IN)), false, `${h} keeps the drop-in`);
    assert.equal(existsSync(join(rootOf(h), 'etc/k8sup/registry-credentials')), false);
  }
  assert.equal(existsSync(join(dir, 'state', NAME)), false, 'the state (and the secret) is gone');
});
