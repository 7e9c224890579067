// Component settings, node-group shape and mirrored assets through the real CLI on a local store: new clusters get
// audit logging and Secrets encryption (the key next to the PKI, never in a plan); invalid settings exit 2 naming
// the field and write nothing; `get assets` lists what to mirror, all of it from the mirrors when they are set.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { k8sup, tempHome } from '../helpers/cli.js';

const FORBIDDEN = /github\.com|raw\.githubusercontent\.com|registry\.k8s\.io|quay\.io|docker\.io|pkgs\.k8s\.io/;

function specDoc(name: string, spec: Record<string, unknown>): string {
  return stringify({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name }, spec: { zones: ['us-east-2a'], ...spec } });
}

describe('component settings and assets (CLI)', () => {
  let home: string;
  let env: Record<string, string>;
  const run = (...args: string[]) => k8sup(args, { env });
  const stateDir = () => join(home, '.k8sup', 'state');

  before(() => {
    home = tempHome();
    env = { HOME: home };
  });

  const invalid: [string, Record<string, unknown>, RegExp][] = [
    ['a mistyped kubelet field', { kubelet: { maxPodz: 50 } }, /spec\.kubelet\.maxPodz: unknown field; did you mean maxPods\?/],
    ['a mistyped API server field', { kubeAPIServer: { oidc: { issuerUrl: 'https://idp.example', clientID: 'k' } } }, /spec\.kubeAPIServer\.oidc\.issuerUrl: unknown field; did you mean issuerURL\?/],
    ['an unknown kube-proxy mode', { kubeProxy: { mode: 'userspace' } }, /spec\.kubeProxy\.mode: "userspace" is not a kube-proxy mode/],
    ['a bad DNS domain', { networking: { dnsDomain: 'Cluster.Local.' } }, /spec\.networking\.dnsDomain: "Cluster\.Local\." is not a DNS domain/],
    ['a bad taint', { nodeGroups: [{ name: 'nodes', taints: ['gpu:NoScheduled'] }] }, /spec\.nodeGroups\[0\]\.taints\[0\]: "gpu:NoScheduled" is not a taint/],
    ['a raw flag with dashes', { kubelet: { extraArgs: { '--max-pods': '10' } } }, /spec\.kubelet\.extraArgs\.--max-pods: write the flag name without the leading dashes/],
    ['a number where a quantity string goes', { kubelet: { systemReserved: { cpu: 1 } } }, /spec\.kubelet\.systemReserved\.cpu: must be a string/],
    ['a registry with a scheme', { assets: { containerRegistry: 'https://registry.corp.example' } }, /spec\.assets\.containerRegistry: .* without a scheme/],
  ];
  for (const [what, spec, message] of invalid) {
    it(`create -f with ${what} exits 2 naming the field, and writes nothing`, async () => {
      const file = join(home, 'bad.yaml');
      writeFileSync(file, specDoc('bad.k8s.local', spec));
      const r = await run('create', '-f', file);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(existsSync(join(stateDir(), 'bad.k8s.local')), false, 'nothing stored');
    });
  }

  it('a new cluster gets audit logging and Secrets encryption; the key is a 0600 object next to the PKI, not in the plan', async () => {
    const r = await run('create', 'cluster', 'new.k8s.local', '--zones', 'us-east-2a', '-v');
    assert.equal(r.code, 0, r.stderr);
    const doc = parse((await run('get', 'cluster', 'new.k8s.local', '-o', 'yaml')).stdout);
    assert.deepEqual(doc.spec.kubeAPIServer, { auditLogging: true, encryptionAtRest: true });
    const keyFile = join(stateDir(), 'new.k8s.local', 'pki', 'encryption-config.yaml');
    const config = parse((await import('node:fs')).readFileSync(keyFile, 'utf8'));
    assert.equal(config.kind, 'EncryptionConfiguration');
    const secret: string = config.resources[0].providers[0].aescbc.keys[0].secret;
    assert.equal(Buffer.from(secret, 'base64').length, 32);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), 'the key never appears in plan output');
  });

  it('create -f that turns the switches off keeps them off; settings and raw flags are stored as written', async () => {
    const file = join(home, 'off.yaml');
    writeFileSync(file, specDoc('off.k8s.local', { kubeAPIServer: { auditLogging: false, encryptionAtRest: false, extraArgs: { 'max-requests-inflight': '800' } }, kubelet: { maxPods: 60 } }));
    const r = await run('create', '-f', file);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /UNCHECKED raw flags.*spec\.kubeAPIServer\.extraArgs: max-requests-inflight/);
    const doc = parse((await run('get', 'cluster', 'off.k8s.local', '-o', 'yaml')).stdout);
    assert.deepEqual(doc.spec.kubeAPIServer, { auditLogging: false, encryptionAtRest: false, extraArgs: { 'max-requests-inflight': '800' } });
    assert.deepEqual(doc.spec.kubelet, { maxPods: 60 });
    assert.ok(!readdirSync(join(stateDir(), 'off.k8s.local', 'pki')).includes('encryption-config.yaml'), 'no key without encryption');
  });

  it('get assets lists upstream files with their pinned sha256, and every file and image from the mirrors when set', async () => {
    const file = join(home, 'mirrored.yaml');
    writeFileSync(file, specDoc('mirrored.k8s.local', { assets: { containerRegistry: 'registry.corp.example:5000/k8s', fileRepository: 'https://files.corp.example/k8s' } }));
    assert.equal((await run('create', '-f', file)).code, 0);
    const j = await run('get', 'assets', 'mirrored.k8s.local', '-o', 'json');
    assert.equal(j.code, 0, j.stderr);
    const assets = JSON.parse(j.stdout);
    const containerd = assets.files.find((f: any) => f.name === 'containerd' && f.arch === 'amd64');
    assert.match(containerd.url, /^https:\/\/github\.com\/containerd\/containerd\/releases\/download\//);
    assert.equal(containerd.fetchedFrom, `https://files.corp.example/k8s${new URL(containerd.url).pathname}`);
    assert.match(containerd.sha256, /^[0-9a-f]{64}$/);
    assert.ok(assets.images.some((i: any) => i.image === `registry.k8s.io/kube-apiserver:v${assets.kubernetesVersion}` && i.pulledFrom === `registry.corp.example:5000/k8s/kube-apiserver:v${assets.kubernetesVersion}`));
    for (const f of [...assets.files, ...assets.repositories]) assert.doesNotMatch(f.fetchedFrom, FORBIDDEN, f.name);
    for (const i of assets.images) assert.doesNotMatch(i.pulledFrom, FORBIDDEN, i.name);
    const table = await run('get', 'assets', 'mirrored.k8s.local');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^FILE\s+ARCH\s+SHA256/m);
    assert.match(table.stdout, /^IMAGE\s+UPSTREAM\s+PULLED FROM/m);
  });

  it('get assets of a cluster that is not there exits with the usual not-found error', async () => {
    const r = await run('get', 'assets', 'missing.k8s.local');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /cluster "missing\.k8s\.local" not found/);
  });
});
