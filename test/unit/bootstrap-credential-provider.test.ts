// The kubelet image credential provider (src/bootstrap/credential-provider.ts): AWS nodes install ecr-credential-
// provider from its pinned release binary (sha256 per architecture, as upstream's file promoter published it) and
// start the kubelet with the CredentialProviderConfig that names it, so private ECR images pull with the instance
// role; clouds without one (GCE, bare metal) get neither. The config is checked against kubelet.config.k8s.io/v1's
// field set (no OpenAPI spec covers it) and its patterns against the kubelet's matching rules; the script is run for
// real under the stub harness.

import assert from 'node:assert/strict';
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { renderBootstrapScript, renderKubeadmConfig } from '../../src/bootstrap/index.js';
import { clusterAssets } from '../../src/bootstrap/assets.js';
import { CREDENTIAL_PROVIDER_BIN_DIR, CREDENTIAL_PROVIDER_CONFIG } from '../../src/bootstrap/credential-provider.js';
import { ECR_CREDENTIAL_PROVIDER } from '../../providers/aws/ecr-credential-provider.js';
import { AIRGAP_ASSETS, ROLES, testCluster, testInput } from '../helpers/bootstrap-fixtures.js';
import { createStubRoot, FAKE_BOOTSTRAP_TOKEN, type StubRoot } from '../helpers/stub-root.js';

type Doc = Record<string, any>;

/** The heredoc body the script writes to `path`. */
function writtenFile(script: string, path: string): string | undefined {
  const at = script.indexOf(`write_file "\${ROOT}${path}"`);
  if (at < 0) return undefined;
  const start = script.indexOf('\n', at) + 1;
  return script.slice(start, script.indexOf('\nK8SUP_EOF', start));
}

const kubeletFlags = (yaml: string): Record<string, string> =>
  Object.fromEntries(
    parseAllDocuments(yaml)
      .map((d) => d.toJS() as Doc)
      .filter((d) => d.kind === 'InitConfiguration' || d.kind === 'JoinConfiguration')
      .flatMap((d) => d.nodeRegistration.kubeletExtraArgs as { name: string; value: string }[])
      .map((a) => [a.name, a.value]),
  );

/**
 * The kubelet's matchImages rule (k8s.io/kubelet credentialprovider): the host must have as many dot-separated parts
 * as the pattern, each matching its glob; a glob never spans a dot.
 */
function kubeletMatches(pattern: string, image: string): boolean {
  const host = image.split('/')[0];
  const [p, h] = [pattern.split('.'), host.split('.')];
  const glob = (g: string) => new RegExp(`^${g.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^.]*')}$`);
  return p.length === h.length && p.every((part, i) => glob(part).test(h[i]));
}

// kubelet.config.k8s.io/v1 CredentialProviderConfig / CredentialProvider fields (kubelet's config API types).
const CONFIG_FIELDS = ['apiVersion', 'kind', 'providers'];
const PROVIDER_FIELDS = ['name', 'matchImages', 'defaultCacheDuration', 'apiVersion', 'args', 'env', 'tokenAttributes'];

let stub: StubRoot | undefined;
afterEach(() => {
  stub?.cleanup();
  stub = undefined;
});

describe('kubelet image credential provider', () => {
  for (const role of ROLES) {
    test(`aws ${role}: the pinned binary, the config naming it, and the kubelet flags pointing at both`, () => {
      const script = renderBootstrapScript(testInput('aws', role));
      const p = ECR_CREDENTIAL_PROVIDER;
      for (const arch of ['amd64', 'arm64'] as const) {
        assert.ok(script.includes(`CREDENTIAL_PROVIDER_URL='${p.binary.url[arch]}'`), arch);
        assert.ok(script.includes(`CREDENTIAL_PROVIDER_SHA256='${p.binary.sha256[arch]}'`), arch);
        assert.match(p.binary.sha256[arch], /^[0-9a-f]{64}$/);
        assert.ok(p.binary.url[arch].includes(`/${p.binary.version}/linux/${arch}/`), 'a versioned, promoted URL');
      }
      const config = parseAllDocuments(writtenFile(script, CREDENTIAL_PROVIDER_CONFIG)!)[0].toJS() as Doc;
      assert.deepEqual([config.apiVersion, config.kind], ['kubelet.config.k8s.io/v1', 'CredentialProviderConfig']);
      assert.deepEqual(Object.keys(config).filter((k) => !CONFIG_FIELDS.includes(k)), []);
      assert.equal(config.providers.length, 1);
      const entry = config.providers[0];
      assert.deepEqual(Object.keys(entry).filter((k) => !PROVIDER_FIELDS.includes(k)), [], 'only fields the kubelet knows');
      // The kubelet execs <bin dir>/<name>: the name is the installed file's.
      assert.equal(entry.name, 'ecr-credential-provider');
      assert.match(script, /download "\$\{CREDENTIAL_PROVIDER_URL\}" "\$\{ROOT\}\/usr\/local\/libexec\/kubernetes\/credential-providers\/\$\{CREDENTIAL_PROVIDER\}"/);
      assert.equal(entry.apiVersion, 'credentialprovider.kubelet.k8s.io/v1');
      assert.match(entry.defaultCacheDuration, /^\d+(h|m|s)?$/);
      for (const image of ['123456789012.dkr.ecr.us-east-2.amazonaws.com/app:1', '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:1']) {
        assert.ok(entry.matchImages.some((m: string) => kubeletMatches(m, image)), image);
      }
      for (const image of ['registry.k8s.io/pause:3.10', 'public.ecr.aws/x/y:1', 'evil.example.com/123456789012.dkr.ecr.us-east-2.amazonaws.com:1']) {
        assert.ok(!entry.matchImages.some((m: string) => kubeletMatches(m, image)), image);
      }
      assert.deepEqual(
        [kubeletFlags(renderKubeadmConfig(testInput('aws', role)))['image-credential-provider-config'], kubeletFlags(renderKubeadmConfig(testInput('aws', role)))['image-credential-provider-bin-dir']],
        [CREDENTIAL_PROVIDER_CONFIG, CREDENTIAL_PROVIDER_BIN_DIR],
      );
      // The binary is in place before kubeadm starts the kubelet.
      // The command line, not a comment that names it (join-token.sh, before the packages, says kubeadm joins with it).
      const join = script.search(/^ *kubeadm join --config/m);
      assert.ok(join < 0 || script.indexOf('credential-provider "image credential provider') < join);
    });
  }

  test('GCE and bare metal nodes get neither binary nor flags', () => {
    for (const cloud of ['gce', 'metal'] as const) {
      for (const role of ROLES) {
        assert.ok(!renderBootstrapScript(testInput(cloud, role)).includes('CREDENTIAL_PROVIDER'), `${cloud} ${role}`);
        const flags = kubeletFlags(renderKubeadmConfig(testInput(cloud, role)));
        assert.deepEqual([flags['image-credential-provider-config'], flags['image-credential-provider-bin-dir']], [undefined, undefined], `${cloud} ${role}`);
      }
    }
  });

  test('run for real (stub harness): the binary lands executable where the kubelet looks, with its config, before kubeadm; a second run fetches nothing', () => {
    stub = createStubRoot();
    stub.putStoreObject('bootstrap/token', `token=${FAKE_BOOTSTRAP_TOKEN}\nexpires=2030-01-01T00:00:00Z\nissuer=ip-10-0-0-9\n`);
    const script = renderBootstrapScript(testInput('aws', 'worker'));
    const run = stub.run(script);
    assert.equal(run.status, 0, run.stderr);
    const binary = join(stub.root, CREDENTIAL_PROVIDER_BIN_DIR, 'ecr-credential-provider');
    assert.equal((statSync(binary).mode & 0o777).toString(8), '755');
    assert.match(readFileSync(join(stub.root, CREDENTIAL_PROVIDER_CONFIG), 'utf8'), /kind: CredentialProviderConfig/);
    const fetch = run.calls.findIndex((c) => c.startsWith('curl ') && c.includes(ECR_CREDENTIAL_PROVIDER.binary.url.amd64));
    const join_ = run.calls.findIndex((c) => c.startsWith('kubeadm join'));
    assert.ok(fetch >= 0 && join_ > fetch, run.calls.join('\n'));
    const again = stub.run(script);
    assert.equal(again.status, 0, again.stderr);
    assert.ok(!again.calls.some((c) => c.includes('ecr-credential-provider')), 'the stamp keeps the download from repeating');
  });

  test('get assets lists it (per architecture, with its sha256), fetched from the file repository when there is one', () => {
    const plain = clusterAssets(testCluster({ provider: 'aws' })).files.filter((f) => f.name === 'ecr-credential-provider');
    assert.deepEqual(plain.map((f) => [f.arch, f.sha256, f.fetchedFrom === f.url]), [['amd64', ECR_CREDENTIAL_PROVIDER.binary.sha256.amd64, true], ['arm64', ECR_CREDENTIAL_PROVIDER.binary.sha256.arm64, true]]);
    const mirrored = clusterAssets(testCluster({ provider: 'aws', assets: AIRGAP_ASSETS })).files.filter((f) => f.name === 'ecr-credential-provider');
    for (const f of mirrored) assert.ok(f.fetchedFrom.startsWith('https://files.corp.example/k8s/'), f.fetchedFrom);
    assert.deepEqual(clusterAssets(testCluster({ provider: 'gce' })).files.filter((f) => f.name === 'ecr-credential-provider'), []);
  });
});
