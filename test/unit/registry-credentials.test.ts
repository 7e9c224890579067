// Registry pull credentials on the node: the stored form parses as TOML and keeps every character of a password;
// the rendered bootstrap script (run for real in the stub harness) assembles containerd's CRI auth drop-in from the
// credential it fetched with the instance's identity (cloud) or found copied over SSH (metal), root-only, and the
// containerd config imports it. Golden files hold what containerd reads, for every supported minor. No containerd
// is installed here: the files are checked with a TOML parser (smol-toml), with the section names of containerd
// 2.x's configuration version 3 (`plugins."io.containerd.cri.v1.images".registry.configs."<host>".auth`).

import assert from 'node:assert/strict';
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { parse } from 'smol-toml';
import type { Cluster } from '../../src/api/types.js';
import { renderBootstrapScript } from '../../src/bootstrap/index.js';
import { CONTAINERD_AUTH_DROP_IN, registryCredentialKey, renderRegistryCredential, type RegistryCredential } from '../../src/bootstrap/registries.js';
import type { BootstrapInput, NodeRole } from '../../src/bootstrap/types.js';
import { SUPPORTED_KUBERNETES_MINORS, KUBERNETES_RELEASES } from '../../src/api/version.js';
import { dockerConfigCredential } from '../../src/lifecycle/registry-secrets.js';
import { K8supError } from '../../src/core/errors.js';
import { AIRGAP_ASSETS, testInput } from '../helpers/bootstrap-fixtures.js';
import { expectGolden } from '../helpers/golden.js';
import { createStubRoot, type StubRoot } from '../helpers/stub-root.js';

const HOST = 'registry.corp.example:5000';
// A password with everything TOML must escape, and what it must keep as is.
const PASSWORD = `pa"ss\\wo'rd ''' """ $(id) \`x\` ü✓ #not-a-comment`;
const ASSETS_WITH_CREDENTIALS: NonNullable<Cluster['spec']['assets']> = {
  ...AIRGAP_ASSETS,
  registries: [{ ...AIRGAP_ASSETS.registries![0], credentials: { secretRef: 'corp' } }],
};

type AuthTable = Record<string, unknown>;
/** The auth table containerd's CRI reads for `host`, from a parsed config. */
function authOf(doc: Record<string, any>, host: string): AuthTable | undefined {
  const auth = doc.plugins?.['io.containerd.cri.v1.images']?.registry?.configs?.[host]?.auth;
  // smol-toml builds tables without a prototype.
  return auth === undefined ? undefined : { ...auth };
}

let stub: StubRoot | undefined;
afterEach(() => {
  stub?.cleanup();
  stub = undefined;
});

function inputFor(provider: 'aws' | 'gce' | 'metal', role: NodeRole, version?: string): BootstrapInput {
  return testInput(provider, role, { assets: ASSETS_WITH_CREDENTIALS, ...(version ? { version } : {}) });
}

/** Seeds a stub root the way k8sup leaves a node before its script: metal gets files over SSH, clouds a store object. */
function seed(s: StubRoot, provider: 'aws' | 'gce' | 'metal', role: NodeRole, credential: string): void {
  if (provider === 'metal') {
    s.writeFile('etc/k8sup/registry-credentials/corp.toml', credential, 0o600);
    if (role !== 'control-plane-init') s.writeFile('etc/k8sup/bootstrap-token', 'token=abcdef.0123456789abcdef\n');
    if (role !== 'worker') {
      for (const f of ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key', 'sa.key', 'sa.pub']) s.writeFile(`etc/kubernetes/pki/${f}`, `copied ${f}\n`);
    }
  } else {
    s.putStoreObject(registryCredentialKey('corp'), credential);
    s.putStoreObject('bootstrap/token', 'token=abcdef.0123456789abcdef\nexpires=2030-01-01T00:00:00Z\nissuer=ip-10-0-0-9\n');
  }
}

describe('the stored credential', () => {
  test('is the body of containerd\'s auth table: parses as TOML and keeps every character', () => {
    const creds: RegistryCredential[] = [{ username: 'robot$ci', password: PASSWORD }, { auth: Buffer.from(`robot:${PASSWORD}`).toString('base64') }, { identitytoken: 'eyJhbGciOi.J9.x-_' }];
    for (const cred of creds) assert.deepEqual({ ...parse(renderRegistryCredential(cred)) }, cred);
  });

  test('refuses what TOML cannot hold or a paste got wrong: control characters, DEL, lone surrogates, empty', () => {
    for (const bad of ['two\nlines', 'tab\there', 'del\u007f', 'half\ud800', '']) {
      assert.throws(() => renderRegistryCredential({ username: 'u', password: bad }), /registry credential password/);
    }
  });

  test('from a docker config.json: auth, username/password, identitytoken; URL keys; helpers and gaps refused with a hint', () => {
    const auth = Buffer.from(`robot:${PASSWORD}`).toString('base64');
    assert.deepEqual(dockerConfigCredential(JSON.stringify({ auths: { [`https://${HOST}/v1/`]: { auth } } }), HOST, 'c.json'), { username: 'robot', password: PASSWORD });
    assert.deepEqual(dockerConfigCredential(JSON.stringify({ auths: { [HOST]: { username: 'u', password: 'p' } } }), HOST, 'c.json'), { username: 'u', password: 'p' });
    assert.deepEqual(dockerConfigCredential(JSON.stringify({ auths: { [HOST]: { identitytoken: 'tok' } } }), HOST, 'c.json'), { identitytoken: 'tok' });
    const refused = (text: string) => {
      try {
        dockerConfigCredential(text, HOST, 'c.json');
      } catch (e) {
        assert.ok(e instanceof K8supError && e.exitCode === 2, String(e));
        return `${e.message} | ${e.hint}`;
      }
      assert.fail(`accepted ${text}`);
    };
    assert.match(refused('{"credsStore":"desktop","auths":{}}'), /docker-credential-desktop.*--password-stdin/);
    assert.match(refused(JSON.stringify({ auths: { 'other.example': { auth } } })), /no credential for registry\.corp\.example:5000/);
    assert.match(refused(JSON.stringify({ auths: { [HOST]: { auth: Buffer.from('no-colon').toString('base64') } } })), /no usable auth/);
    assert.match(refused(JSON.stringify({ auths: { [HOST]: { username: 'u', password: 'line\nbreak' } } })), /password of registry\.corp\.example:5000 contains a control character/);
    assert.match(refused('not json'), /not JSON/);
  });
});

describe('containerd configuration with registry credentials (stub harness, real bash)', () => {
  for (const minor of SUPPORTED_KUBERNETES_MINORS) {
    const version = `1.${minor}.${KUBERNETES_RELEASES[minor].newestPatch}`;
    test(`Kubernetes ${version} (metal worker): config.toml imports the root-only drop-in holding the credential`, async () => {
      stub = createStubRoot();
      const credential = renderRegistryCredential({ username: 'robot', password: PASSWORD });
      seed(stub, 'metal', 'worker', credential);
      const script = renderBootstrapScript(inputFor('metal', 'worker', version));
      assert.ok(!script.includes(PASSWORD), 'the credential is not part of the script');
      const run = stub.run(script);
      assert.equal(run.status, 0, run.stderr);

      const configText = readFileSync(join(stub.root, 'etc/containerd/config.toml'), 'utf8');
      const dropInPath = join(stub.root, CONTAINERD_AUTH_DROP_IN);
      const dropInText = readFileSync(dropInPath, 'utf8');
      await expectGolden(`test/golden/containerd/1.${minor}-config.toml`, configText);
      await expectGolden(`test/golden/containerd/1.${minor}-registry-auth.toml`, dropInText);

      const config = parse(configText) as Record<string, any>;
      assert.equal(config.version, 3);
      assert.deepEqual(config.imports, [CONTAINERD_AUTH_DROP_IN]);
      assert.equal(config.plugins['io.containerd.cri.v1.images'].registry.config_path, '/etc/containerd/certs.d');
      assert.equal(authOf(config, HOST), undefined, 'no credential in the world-readable config.toml');
      assert.ok(!configText.includes(PASSWORD));
      assert.equal(statSync(join(stub.root, 'etc/containerd/config.toml')).mode & 0o777, 0o644);

      const dropIn = parse(dropInText) as Record<string, any>;
      assert.equal(dropIn.version, 3);
      assert.deepEqual(authOf(dropIn, HOST), { username: 'robot', password: PASSWORD });
      assert.equal(statSync(dropInPath).mode & 0o777, 0o600, 'the drop-in is root-only');
      assert.equal(statSync(join(stub.root, 'etc/k8sup/registry-credentials')).mode & 0o777, 0o700);
      // The CA and the host settings of the same registry sit in certs.d, as before.
      const hosts = parse(readFileSync(join(stub.root, `etc/containerd/certs.d/${HOST}/hosts.toml`), 'utf8')) as Record<string, any>;
      assert.equal(hosts.server, `https://${HOST}`);
      // containerd restarts after the drop-in is written, so the first image pull (kubeadm's) has the credential.
      const restart = run.calls.findIndex((c) => c === 'systemctl restart containerd');
      const join_ = run.calls.findIndex((c) => c.startsWith('kubeadm join'));
      assert.ok(restart >= 0 && restart < join_, `containerd restarted (${restart}) before kubeadm join (${join_})`);
    });
  }

  for (const provider of ['aws', 'gce'] as const) {
    test(`${provider} control plane: fetches the credential from the state store with the instance identity, never on a command line`, () => {
      stub = createStubRoot();
      const credential = renderRegistryCredential({ username: 'robot', password: PASSWORD });
      seed(stub, provider, 'control-plane-init', credential);
      const script = renderBootstrapScript(inputFor(provider, 'control-plane-init'));
      assert.ok(!script.includes(PASSWORD));
      const run = stub.run(script);
      assert.equal(run.status, 0, run.stderr);
      const fetch = run.calls.findIndex((c) => c.startsWith('curl') && c.replace(/%2F/g, '/').includes('/bootstrap/registry-credentials/corp.toml'));
      assert.ok(fetch >= 0, `no fetch of the credential:\n${run.calls.join('\n')}`);
      assert.ok(run.calls.findIndex((c) => c === 'systemctl restart containerd') > fetch);
      for (const c of run.calls) assert.ok(!c.includes('robot') && !c.includes('pa"ss'), `the credential reached a command line: ${c}`);
      const dropIn = parse(readFileSync(join(stub.root, CONTAINERD_AUTH_DROP_IN), 'utf8')) as Record<string, any>;
      assert.deepEqual(authOf(dropIn, HOST), { username: 'robot', password: PASSWORD });
      assert.equal(statSync(join(stub.root, CONTAINERD_AUTH_DROP_IN)).mode & 0o777, 0o600);
    });
  }

  test('a second run changes nothing; a rotated credential rewrites the drop-in and restarts containerd', () => {
    stub = createStubRoot();
    seed(stub, 'aws', 'worker', renderRegistryCredential({ username: 'robot', password: 'first' }));
    const script = renderBootstrapScript(inputFor('aws', 'worker'));
    assert.equal(stub.run(script).status, 0);
    const again = stub.run(script);
    assert.equal(again.status, 0, again.stderr);
    assert.ok(!again.calls.includes('systemctl restart containerd'), 'an unchanged credential restarted containerd');
    stub.putStoreObject(registryCredentialKey('corp'), renderRegistryCredential({ username: 'robot', password: 'second' }));
    const rotated = stub.run(script);
    assert.equal(rotated.status, 0, rotated.stderr);
    assert.ok(rotated.calls.includes('systemctl restart containerd'));
    assert.deepEqual(authOf(parse(readFileSync(join(stub.root, CONTAINERD_AUTH_DROP_IN), 'utf8')) as Record<string, any>, HOST), { username: 'robot', password: 'second' });
  });

  test('metal: a credential k8sup did not copy stops the script before containerd starts, naming the file', () => {
    stub = createStubRoot();
    stub.writeFile('etc/k8sup/bootstrap-token', 'token=abcdef.0123456789abcdef\n');
    const run = stub.run(renderBootstrapScript(inputFor('metal', 'worker')));
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /registry-credentials\/corp\.toml is missing: k8sup copies registry credentials over SSH/);
    assert.ok(!run.calls.some((c) => c.startsWith('kubeadm')));
  });

  test('without credentials nothing changes: no import, no drop-in', () => {
    const script = renderBootstrapScript(testInput('aws', 'worker', { assets: AIRGAP_ASSETS }));
    assert.ok(!script.includes('imports ='));
    assert.ok(!script.includes('registry-credentials'));
  });
});
