// Rendering rules of the node bootstrap: the template language, kubeadm configs per version and role, inputs,
// secrets, mirrors, and the CA hash handed through from a CA made by real openssl.

import { gceCloud } from '../../providers/gce/cloud.js';
import { metalCloud } from '../../providers/metal/cloud.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { InvalidInputError } from '../../src/core/errors.js';
import {
  BOOTSTRAP_TOKEN_PLACEHOLDER,
  CNI,
  CONTAINERD,
  KUBE_VIP,
  NODE_NAME_PLACEHOLDER,
  VIP_INTERFACE_PLACEHOLDER,
  initializedMarkerKey,
  RUNC,
  renderBootstrapScript,
  renderKubeadmConfig,
  renderTokenRefreshScript,
  supportedCni,
} from '../../src/bootstrap/index.js';
import { renderTemplate } from '../../src/bootstrap/template.js';
import { shellQuote, yamlQuote } from '../../src/bootstrap/quote.js';
import { PROVIDERS, ROLES, VERSIONS, testInput } from '../helpers/bootstrap-fixtures.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function docs(yamlText: string): Doc[] {
  return parseAllDocuments(yamlText).map((d) => {
    assert.equal(d.errors.length, 0, String(d.errors[0]));
    return d.toJS() as Doc;
  });
}

function byKind(all: Doc[], kind: string): Doc {
  const found = all.find((d) => d.kind === kind);
  assert.ok(found, `no ${kind} in ${all.map((d) => d.kind).join(', ')}`);
  return found;
}

const workDir = mkdtempSync(join(tmpdir(), 'k8sup-bootstrap-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

describe('template renderer', () => {
  test('escapes values for the target language and leaves triple-stash values raw', () => {
    const out = renderTemplate('A={{v}} B={{{v}}}', { v: `it's $(reboot)` }, shellQuote);
    assert.equal(out, `A='it'\\''s $(reboot)' B=it's $(reboot)`);
    // The quoted word really is inert in bash.
    const echoed = execFileSync('bash', ['-c', `printf '%s' ${shellQuote(`it's $(reboot) \`id\` "x"`)}`], { encoding: 'utf8' });
    assert.equal(echoed, `it's $(reboot) \`id\` "x"`);
    assert.equal(yamlQuote('a"b\nc'), '"a\\"b\\nc"');
  });

  test('sections, else, each, and standalone tags leave no blank lines', () => {
    const tpl = '{{#if on}}\nyes\n{{else}}\nno\n{{/if}}\n{{#unless on}}\nnever\n{{/unless}}\n{{#each xs}}\n- {{.n}}\n{{/each}}\nend\n';
    assert.equal(renderTemplate(tpl, { on: true, xs: [{ n: 'a' }, { n: 'b' }] }, (v) => v), 'yes\n- a\n- b\nend\n');
    assert.equal(renderTemplate(tpl, { on: false, xs: [] }, (v) => v), 'no\nnever\nend\n');
  });

  test('unknown names and unbalanced sections are errors, never empty strings', () => {
    assert.throws(() => renderTemplate('{{nope}}', {}, (v) => v), /no value for nope/);
    assert.throws(() => renderTemplate('{{#if a}}x', { a: true }, (v) => v), /never closed/);
    assert.throws(() => renderTemplate('{{#if a}}x{{/each}}', { a: true }, (v) => v), /unbalanced/);
  });
});

describe('kubeadm configuration', () => {
  test('every supported minor uses v1beta4 with name/value lists', () => {
    for (const version of VERSIONS) {
      const join4 = byKind(docs(renderKubeadmConfig(testInput('aws', 'worker', { version }))), 'JoinConfiguration');
      assert.equal(join4.apiVersion, 'kubeadm.k8s.io/v1beta4');
      // The AWS CCM runs on every supported minor (bootstrap-cloud-provider.test.ts), and AWS kubelets get ECR
      // credentials from the image credential provider (bootstrap-credential-provider.test.ts).
      assert.deepEqual(join4.nodeRegistration.kubeletExtraArgs, [
        { name: 'cloud-provider', value: 'external' },
        { name: 'node-labels', value: 'k8sup.io/node-group=nodes' },
        { name: 'image-credential-provider-config', value: '/etc/k8sup/credential-providers.yaml' },
        { name: 'image-credential-provider-bin-dir', value: '/usr/local/libexec/kubernetes/credential-providers' },
      ]);
    }
  });

  for (const version of VERSIONS) {
    test(`first control plane (${version}): Init + Cluster + Kubelet configuration`, () => {
      const all = docs(renderKubeadmConfig(testInput('aws', 'control-plane-init', { version })));
      assert.deepEqual(all.map((d) => d.kind), ['InitConfiguration', 'ClusterConfiguration', 'KubeletConfiguration']);
      const cluster = byKind(all, 'ClusterConfiguration');
      assert.equal(cluster.kubernetesVersion, `v${version}`);
      assert.equal(cluster.controlPlaneEndpoint, 'api.demo.example.com:6443');
      assert.deepEqual(cluster.networking, { podSubnet: '100.96.0.0/11', serviceSubnet: '100.64.0.0/13', dnsDomain: 'cluster.local' });
      assert.deepEqual(cluster.apiServer.certSANs, ['api.demo.example.com', 'api.demo.internal']);
      assert.equal(byKind(all, 'KubeletConfiguration').cgroupDriver, 'systemd');
      const init = byKind(all, 'InitConfiguration');
      assert.equal(init.nodeRegistration.name, NODE_NAME_PLACEHOLDER);
      assert.equal(init.nodeRegistration.criSocket, 'unix:///run/containerd/containerd.sock');
      assert.equal(init.bootstrapTokens, undefined);
    });
  }

  test('control-plane joins carry a controlPlane section; workers do not', () => {
    const cp = byKind(docs(renderKubeadmConfig(testInput('gce', 'control-plane-join'))), 'JoinConfiguration');
    assert.deepEqual(cp.controlPlane, {});
    assert.equal(cp.discovery.bootstrapToken.token, BOOTSTRAP_TOKEN_PLACEHOLDER);
    assert.equal(cp.discovery.bootstrapToken.apiServerEndpoint, 'api.demo.example.com:6443');
    const metalCp = byKind(docs(renderKubeadmConfig(testInput('metal', 'control-plane-join'))), 'JoinConfiguration');
    assert.deepEqual(metalCp.controlPlane, { localAPIEndpoint: { advertiseAddress: '10.0.0.11', bindPort: 6443 } });
    assert.equal(metalCp.nodeRegistration.name, 'cp-1');
    const worker = byKind(docs(renderKubeadmConfig(testInput('metal', 'worker'))), 'JoinConfiguration');
    assert.equal(worker.controlPlane, undefined);
    assert.deepEqual(worker.nodeRegistration.kubeletExtraArgs, [
      { name: 'node-labels', value: 'k8sup.io/node-group=nodes' },
      { name: 'node-ip', value: '10.0.0.21' },
    ]);
  });

  test('caCertHashes carries exactly the hash of a CA made with openssl', () => {
    const key = join(workDir, 'ca.key');
    const crt = join(workDir, 'ca.crt');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-subj', '/CN=kubernetes', '-days', '1'], { stdio: 'ignore' });
    // The pipeline from the kubeadm docs: sha256 of the DER-encoded public key (SubjectPublicKeyInfo).
    const hex = execFileSync(
      'bash',
      ['-c', `openssl x509 -pubkey -noout -in '${crt}' | openssl rsa -pubin -outform der 2>/dev/null | openssl dgst -sha256 -hex | sed 's/^.* //'`],
      { encoding: 'utf8' },
    ).trim();
    assert.match(hex, /^[0-9a-f]{64}$/);
    const caCertHash = `sha256:${hex}`;
    for (const role of ['worker', 'control-plane-join'] as const) {
      for (const version of VERSIONS) {
        const input = testInput('aws', role, { version, caCertHash });
        const join = byKind(docs(renderKubeadmConfig(input)), 'JoinConfiguration');
        assert.deepEqual(join.discovery.bootstrapToken.caCertHashes, [caCertHash]);
        assert.ok(renderBootstrapScript(input).includes(`- "${caCertHash}"`));
      }
    }
  });
});

describe('secrets never reach user data', () => {
  const scripts: { name: string; text: string }[] = [];
  for (const provider of PROVIDERS) {
    for (const role of ROLES) {
      for (const version of VERSIONS) {
        for (const cni of supportedCni) {
          scripts.push({ name: `${provider}/${role}/${version}/${cni}`, text: renderBootstrapScript(testInput(provider, role, { version, cni })) });
        }
      }
    }
  }

  test('no rendered script contains private key material or static cloud credentials', () => {
    for (const s of scripts) {
      assert.ok(!s.text.includes('PRIVATE KEY'), `${s.name} contains PRIVATE KEY`);
      assert.doesNotMatch(s.text, /\b(AKIA|ASIA)[0-9A-Z]{16}\b/, `${s.name} contains an AWS access key id`);
      assert.doesNotMatch(s.text, /AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|aws_secret_access_key|GOOGLE_APPLICATION_CREDENTIALS|private_key/i, s.name);
    }
  });

  test('control planes fetch the PKI only with the instance identity; workers never fetch it', () => {
    for (const s of scripts) {
      const [provider, role] = s.name.split('/');
      const fetchesPki = /store_get "pki\//.test(s.text);
      assert.equal(fetchesPki, role !== 'worker' && provider !== 'metal', `${s.name}: PKI fetch ${fetchesPki}`);
      if (role === 'worker') assert.ok(!s.text.includes('ca.key'), `${s.name}: a worker mentions ca.key`);
      if (provider === 'aws') {
        assert.match(s.text, /http:\/\/169\.254\.169\.254\/latest/);
        assert.match(s.text, /X-aws-ec2-metadata-token-ttl-seconds/);
        // Signed by the script itself (any curl works): curl's --aws-sigv4 needs 7.87+ for a caller's payload hash.
        assert.match(s.text, /^sigv4_config\(\) \{$/m);
        assert.doesNotMatch(s.text, /^[^#\n]*--aws-sigv4/m);
      }
      if (provider === 'gce') assert.match(s.text, /metadata\.google\.internal\/computeMetadata\/v1/);
      if (provider === 'metal') assert.doesNotMatch(s.text, /store_get|169\.254\.169\.254|metadata\.google/);
    }
  });
});

describe('inputs', () => {
  const invalid: [string, (i: ReturnType<typeof testInput>) => void, RegExp][] = [
    ['a malformed CA hash', (i) => (i.caCertHash = 'sha256:abc'), /caCertHash/],
    ['an unsupported Kubernetes minor', (i) => (i.cluster.spec.kubernetesVersion = '1.29.9'), /spec\.kubernetesVersion/],
    ['an S3 store for GCE nodes', (i) => ((i.provider = gceCloud.nodes), (i.stateStoreUrl = 's3://bucket')), /stateStoreUrl/],
    ['a worker in the control-plane role group mix-up', (i) => (i.nodeGroup = 'Nodes!'), /nodeGroup/],
    ['a bad API endpoint', (i) => (i.apiEndpoint = 'api.example.com:99999'), /apiEndpoint/],
    ['a metal node without a name', (i) => ((i.provider = metalCloud.nodes), (i.stateStoreUrl = 'file:///x')), /nodeName/],
    ['a shell-hostile bucket prefix', (i) => (i.stateStoreUrl = "s3://bucket/pre'fix"), /stateStoreUrl/],
    ['an API VIP that is not an IP address', (i) => (i.cluster.spec.api.vip = '10.0.0.1; reboot'), /spec\.api\.vip/],
    ['a mirror URL with credentials', (i) => (i.cluster.spec.assets = { baseURL: 'https://u:p@mirror.example', registryMirror: null }), /spec\.assets\.baseURL/],
  ];
  for (const [what, mutate, field] of invalid) {
    test(`rejects ${what} with InvalidInputError naming the field`, () => {
      const input = testInput('aws', 'worker');
      mutate(input);
      assert.throws(() => renderBootstrapScript(input), (err: unknown) => err instanceof InvalidInputError && field.test(err.message));
    });
  }

  test('a host-only endpoint gets port 6443; an explicit port is kept', () => {
    const withPort = testInput('aws', 'worker');
    withPort.apiEndpoint = 'api.demo.example.com:443';
    assert.equal(byKind(docs(renderKubeadmConfig(withPort)), 'JoinConfiguration').discovery.bootstrapToken.apiServerEndpoint, 'api.demo.example.com:443');
  });
});

describe('pinned versions and mirrors', () => {
  test('every download is pinned with a sha256, except CNI manifests not yet pinned (which fail closed)', () => {
    for (const pin of [CONTAINERD, RUNC]) for (const arch of ['amd64', 'arm64'] as const) assert.match(pin.sha256[arch], /^[0-9a-f]{64}$/);
    for (const name of supportedCni) {
      const pin = CNI[name];
      if (pin.kind === 'cilium-cli') for (const arch of ['amd64', 'arm64'] as const) assert.match(pin.cli.sha256[arch], /^[0-9a-f]{64}$/);
      else assert.ok(pin.sha256 === null || /^[0-9a-f]{64}$/.test(pin.sha256));
    }
  });

  test('an air-gapped spec takes packages, binaries, manifests and images from the mirrors only', () => {
    const script = renderBootstrapScript(
      testInput('metal', 'control-plane-init', { assets: { baseURL: 'https://mirror.corp.example/assets/', registryMirror: 'registry.corp.example:5000' } }),
    );
    assert.match(script, /K8S_APT_URL='https:\/\/mirror\.corp\.example\/assets\/pkgs\.k8s\.io\/core:\/stable:\/v1\.35\/deb\/'/);
    assert.match(script, /'https:\/\/mirror\.corp\.example\/assets\/github\.com\/containerd\/containerd\/releases\/download\/v2\.2\.1\/containerd-2\.2\.1-linux-amd64\.tar\.gz'/);
    // No download goes to a public host (containerd's Documentation= line and hosts.toml fallbacks aside).
    const downloads = [...script.matchAll(/'(https:\/\/[^']+)'/g)].map((m) => m[1]);
    assert.ok(downloads.length >= 6);
    for (const url of downloads) assert.ok(url.startsWith('https://mirror.corp.example/assets/'), url);
    for (const registry of ['registry.k8s.io', 'docker.io', 'quay.io', 'ghcr.io']) {
      assert.match(script, new RegExp(`/etc/containerd/certs\\.d/${registry.replace(/\./g, '\\.')}/hosts\\.toml`));
    }
    assert.match(script, /\[host\."https:\/\/registry\.corp\.example:5000"\]\n {2}capabilities = \["pull", "resolve"\]/);
    assert.doesNotMatch(renderBootstrapScript(testInput('aws', 'worker')), /certs\.d\/[a-z.]+\/hosts\.toml/);
  });

  test('the token refresh script exists only for cloud control planes, and publishes a 24h token', () => {
    const aws = renderTokenRefreshScript(testInput('aws', 'control-plane-init'));
    assert.match(aws, /kubeadm token create .*--ttl 24h/);
    assert.match(aws, /store_put bootstrap\/token/);
    assert.throws(() => renderTokenRefreshScript(testInput('metal', 'control-plane-init')), /over SSH/);
    assert.doesNotMatch(renderBootstrapScript(testInput('aws', 'worker')), /k8sup-token-refresh/);
    assert.match(renderBootstrapScript(testInput('gce', 'control-plane-join')), /OnUnitActiveSec=12h/);
  });
});

describe('first control plane and API VIP', () => {
  /** The heredoc body of `marker` in a rendered script. */
  function heredoc(script: string, marker: string): string {
    const m = new RegExp(String.raw`<<'${marker}'[^\n]*\n([\s\S]*?)\n${marker}\n`).exec(script);
    assert.ok(m, `no ${marker} heredoc`);
    return m[1];
  }

  test('a cloud first control plane carries the init config and a control-plane join config (a lone one too: upgrades launch its successor beside it); metal only init', () => {
    const aws = renderBootstrapScript(testInput('aws', 'control-plane-init'));
    assert.deepEqual(docs(heredoc(aws, 'K8SUP_EOF_KUBEADM_INIT')).map((d) => d.kind), ['InitConfiguration', 'ClusterConfiguration', 'KubeletConfiguration']);
    const join = docs(heredoc(aws, 'K8SUP_EOF_KUBEADM_JOIN'));
    assert.deepEqual(join.map((d) => d.kind), ['JoinConfiguration']);
    assert.deepEqual(join[0].controlPlane, {});
    assert.equal(join[0].discovery.bootstrapToken.token, BOOTSTRAP_TOKEN_PLACEHOLDER);
    assert.match(aws, /elif cluster_initialised; then/);
    assert.doesNotMatch(renderBootstrapScript(testInput('metal', 'control-plane-init')), /K8SUP_EOF_KUBEADM_JOIN|fetch_join_token/);
    const lone = testInput('gce', 'control-plane-init');
    lone.cluster.spec.controlPlane.count = 1;
    // docs/upgrades.md, "Clouds": a lone first control plane joins only when bootstrap/upgrade names its version.
    assert.match(renderBootstrapScript(lone), /K8SUP_EOF_KUBEADM_JOIN/);
    assert.doesNotMatch(renderBootstrapScript(testInput('metal', 'control-plane-init')), /cluster_initialised|store_has|force-init/);
    assert.doesNotMatch(renderBootstrapScript(testInput('aws', 'control-plane-join')), /cluster_initialised|store_has/);
    assert.equal(initializedMarkerKey('demo.k8s.local'), 'demo.k8s.local/bootstrap/initialized');
  });

  test('the kube-vip manifest is a valid static pod for the VIP (IPv4 /32, IPv6 /128); cloud providers ignore api.vip', () => {
    for (const [vip, cidr] of [['10.0.0.100', '32'], ['fd00::100', '128']]) {
      const input = testInput('metal', 'control-plane-join');
      input.cluster.spec.api.vip = vip;
      const manifest = heredoc(renderBootstrapScript(input), 'K8SUP_EOF_KUBE_VIP').replace(VIP_INTERFACE_PLACEHOLDER, 'eth0');
      const [pod] = docs(manifest);
      assert.equal(pod.kind, 'Pod');
      assert.equal(pod.metadata.namespace, 'kube-system');
      assert.equal(pod.spec.hostNetwork, true);
      const container = pod.spec.containers[0];
      assert.equal(container.image, KUBE_VIP.image);
      assert.match(KUBE_VIP.image, /:v\d+\.\d+\.\d+$/, 'pinned tag');
      const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
      assert.deepEqual(
        { address: env.address, vip_cidr: env.vip_cidr, vip_interface: env.vip_interface, vip_arp: env.vip_arp, cp_enable: env.cp_enable, vip_leaderelection: env.vip_leaderelection, port: env.port },
        { address: vip, vip_cidr: cidr, vip_interface: 'eth0', vip_arp: 'true', cp_enable: 'true', vip_leaderelection: 'true', port: '6443' },
      );
      assert.deepEqual(container.securityContext.capabilities.add, ['NET_ADMIN', 'NET_RAW']);
      assert.equal(pod.spec.volumes.find((v: { name: string }) => v.name === 'kubeconfig').hostPath.path, '/etc/kubernetes/admin.conf');
    }
    const aws = testInput('aws', 'control-plane-init');
    aws.cluster.spec.api.vip = '10.0.0.100';
    assert.doesNotMatch(renderBootstrapScript(aws), /kube-vip/);
  });
});
