// The toolbox dump flow (src/lifecycle/toolbox-dump.ts) in process: the engine's discover step over the in-memory cloud
// (which counts writes), the fake kube-apiserver's core/v1 events read page by page through @kubernetes/client-node
// and the real kubectl, the redaction rules one by one, and a cloud that cannot be reached.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { collectToolboxDump, dumpResource, scrubString, type ToolboxDumpInput } from '../../src/lifecycle/toolbox-dump.js';
import { apply, plan } from '../../src/core/engine.js';
import { InvalidInputError, OperationError } from '../../src/core/errors.js';
import { silentIo } from '../../src/core/io.js';
import type { Provider } from '../../src/core/provider.js';
import { ClusterStore } from '../../src/state/cluster-store.js';
import { MemoryBlobStore } from '../../src/state/memory.js';
import { classifyMemoryError, exampleGraph, MemoryCloud, memoryDeps, memoryHandlers, type MemoryClients } from '../fakes/memory-provider.js';
import { healthyClusterState, makeTestPki, startFakeKubeApiserver, type FakeKubeApiserver, type TestPki } from '../fakes/kube-apiserver.js';
import { testCluster } from '../helpers/bootstrap-fixtures.js';

const execFileAsync = promisify(execFile);
const cluster = testCluster({ provider: 'aws' });
const NAME = cluster.metadata.name;
let pki: TestPki;
let api: FakeKubeApiserver;
let cloud: MemoryCloud;

const memoryProvider = (connect: () => Promise<MemoryClients>): Provider<MemoryClients> =>
  ({ name: 'memory', handlers: memoryHandlers(), buildGraph: () => [], connect, classifyError: classifyMemoryError }) as Provider<MemoryClients>;

function input(over: Partial<ToolboxDumpInput> = {}): ToolboxDumpInput {
  const store = new MemoryBlobStore();
  return {
    store,
    cs: new ClusterStore(store, NAME),
    cluster,
    revision: 3,
    provider: memoryProvider(async () => ({ cloud })),
    io: silentIo,
    env: {},
    home: '/nonexistent',
    kube: { kubeconfigYaml: api.kubeconfig() },
    eventsSinceMs: 3600_000,
    maxEvents: 5000,
    ...over,
  };
}

before(async () => {
  cloud = new MemoryCloud();
  const deps = memoryDeps(cloud, { cluster: NAME });
  const nodes = exampleGraph();
  const { plan: p, live } = await plan(nodes, deps);
  await apply(p, nodes, live, deps);
  pki = makeTestPki();
  api = await startFakeKubeApiserver({ pki, state: healthyClusterState(cluster) });
});
after(async () => {
  await api?.stop();
  pki?.cleanup();
});

test('the discover step lists every object, with no write to the cloud, and no user data', async () => {
  const writes = cloud.writes;
  const dump = await collectToolboxDump(input());
  assert.equal(cloud.writes, writes, 'the dump wrote to the cloud');
  assert.equal(dump.cloud.reachable, true);
  if (!dump.cloud.reachable) return;
  assert.deepEqual(dump.cloud.resources.map((r) => r.id).sort(), [...cloud.objects.values()].map((o) => o.id).sort());
  const instance = dump.cloud.resources.find((r) => r.id === 'instance/control-plane-0')!;
  // The in-memory cloud, like EC2's DescribeInstances, does not report user data back; nothing of it is in the dump.
  assert.doesNotMatch(JSON.stringify(dump), /joining as|bootstrap control-plane/);
  assert.deepEqual(instance.attributes.labels, { role: 'control-plane', zone: 'zone-a' });
  assert.equal(dump.cluster.revision, 3);
});

test('events: every page is read (limit and continue), the window and the cap apply, newest first', async () => {
  const node = api.state.nodes[0];
  const now = Date.now();
  api.state.events.length = 0;
  for (let i = 0; i < 1203; i++) api.state.recordEvent(node, { reason: `R${i}`, message: `event ${i}`, at: new Date(now - i * 1000) });
  api.state.recordEvent(node, { reason: 'Old', message: 'two hours ago', at: new Date(now - 2 * 3600_000) });
  const before = api.requests.length;
  const dump = await collectToolboxDump(input());
  assert.equal(dump.kubernetes.reachable, true);
  if (!dump.kubernetes.reachable) return;
  assert.equal(dump.kubernetes.events.length, 1203, 'the event of two hours ago is outside the window');
  assert.deepEqual(dump.kubernetes.events.slice(0, 2).map((e) => e.reason), ['R0', 'R1']);
  const pages = api.requests.slice(before).filter((q) => q.url.startsWith('/api/v1/events'));
  assert.equal(pages.length, 3, pages.map((q) => q.url).join('\n'));
  assert.ok(pages.every((q) => /[?&]limit=500\b/.test(q.url)));
  assert.ok(pages.slice(1).every((q) => /[?&]continue=/.test(q.url)));

  const capped = await collectToolboxDump(input({ maxEvents: 10 }));
  assert.ok(capped.kubernetes.reachable && capped.kubernetes.events.length === 10);
});

test('the fake refuses a continue token once the list changed, as an API server does for an expired one', async () => {
  const { openKubeReader } = await import('../../src/validate/kube-client.js');
  const kube = await openKubeReader({ kubeconfigYaml: api.kubeconfig() });
  const first = await kube.listEvents({ limit: 2 });
  assert.equal(first.items.length, 2);
  assert.ok(first.continue);
  assert.equal((await kube.listEvents({ limit: 2, continue: first.continue })).items.length, 2);
  api.state.recordEvent(api.state.nodes[0], { reason: 'Late', message: 'x', at: new Date() });
  await assert.rejects(kube.listEvents({ limit: 2, continue: first.continue }), /HTTP 410/);
});

test('the real kubectl reads the same events, page by page (--chunk-size), in the Event wire shape', async () => {
  const home = mkdtempSync(join(tmpdir(), 'k8sup-kubectl-events-'));
  try {
    writeFileSync(join(home, 'kubeconfig'), api.kubeconfig(), { mode: 0o600 });
    const before = api.requests.length;
    const { stdout } = await execFileAsync('kubectl', ['--kubeconfig', join(home, 'kubeconfig'), '--cache-dir', join(home, 'cache'), '--request-timeout', '10s', 'get', 'events', '-A', '-o', 'json', '--chunk-size', '400'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home },
      timeout: 30_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    const list = JSON.parse(stdout);
    assert.equal(list.items.length, api.state.events.length);
    const pages = api.requests.slice(before).filter((q) => q.url.startsWith('/api/v1/events'));
    assert.equal(pages.length, Math.ceil(api.state.events.length / 400), pages.map((q) => q.url).join('\n'));
    const e = list.items[0];
    assert.deepEqual(Object.keys(e.involvedObject).sort(), ['apiVersion', 'kind', 'name', 'resourceVersion', 'uid']);
    assert.equal(e.kind, 'Event');
    assert.match(e.lastTimestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('a cloud that cannot be reached: its section says why, the rest is collected', async () => {
  const dump = await collectToolboxDump(input({ provider: memoryProvider(async () => { throw new OperationError('cannot reach the memory cloud', { code: 'Unreachable' }); }) }));
  assert.deepEqual(dump.cloud, { reachable: false, error: 'cannot reach the memory cloud' });
  assert.deepEqual(dump.warnings, ['cloud resources: cannot reach the memory cloud']);
  assert.equal(dump.kubernetes.reachable, true);
});

test('a kubeconfig context that does not exist is bad input (exit 2), not an unreachable API', async () => {
  await assert.rejects(collectToolboxDump(input({ kube: { kubeconfigYaml: api.kubeconfig(), context: 'nope' } })), (e: unknown) => e instanceof InvalidInputError && /context "nope"/.test(e.message));
});

test('an interruption is not a warning: the dump stops', async () => {
  const stop = new AbortController();
  stop.abort(new Error('interrupted by SIGINT'));
  await assert.rejects(collectToolboxDump(input({ signal: stop.signal })), /interrupted by SIGINT/);
});

test('redaction: credential-named fields, metadata items, long values; keys, JWTs and bootstrap tokens in any string', () => {
  const r = dumpResource({
    id: 'instance-template/nodes',
    kind: 'instance-template',
    cloudId: 'tpl-1',
    fields: {
      name: 'nodes',
      startupScript: '#!/bin/bash\necho hi',
      items: [{ key: 'startup-script', value: 'curl http://x | sh' }, { key: 'ssh-keys', value: 'ubuntu:ssh-ed25519 AAAA' }],
      nested: { apiToken: 'abc', size: 10 },
      policy: 'x'.repeat(600),
      sshPublicKey: 'ssh-ed25519 AAAAC3Nza',
      description: 'control plane security group',
      metadataOptions: { httpTokens: 'required' },
      user_data: 'x',
      clientPrivateKey: 'y',
    },
    outputs: {},
  });
  assert.equal(r.name, 'nodes');
  assert.deepEqual(r.attributes, {
    name: 'nodes',
    startupScript: '(redacted)',
    items: [{ key: 'startup-script', value: '(redacted)' }, { key: 'ssh-keys', value: '(redacted)' }],
    nested: { apiToken: '(redacted)', size: 10 },
    policy: '(omitted: 600 characters)',
    sshPublicKey: 'ssh-ed25519 AAAAC3Nza',
    description: 'control plane security group',
    metadataOptions: { httpTokens: 'required' },
    user_data: '(redacted)',
    clientPrivateKey: '(redacted)',
  });
  const key = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIO\n-----END EC PRIVATE KEY-----';
  assert.equal(scrubString(`got ${key} here`), 'got (redacted) here');
  assert.equal(scrubString('Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln rejected'), 'Bearer (redacted) rejected');
  assert.equal(scrubString('kubeadm join --token abcdef.0123456789abcdef'), 'kubeadm join --token (redacted)');
  assert.equal(scrubString('image registry.k8s.io/pause:3.10 pulled'), 'image registry.k8s.io/pause:3.10 pulled');
});

test('redaction: keys and registry credentials in base64 (a kubeconfig, a Secret, a docker config) and in config text, through the whole dump', async () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const keyBody = keyPem.split('\n')[1];
  const keyB64 = Buffer.from(keyPem).toString('base64');
  const kubeconfig = `apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-key-data: ${keyB64}\n`;
  const dockerConfig = JSON.stringify({ auths: { 'registry.example.com': { username: 'ci', password: 'Hunter2-pass', auth: Buffer.from('ci:Hunter2-pass').toString('base64') } } });
  const secrets = ['8f2c1e0d9b7a6c5e4d3f2a1b0c9d8e7f', keyBody, keyB64, Buffer.from(kubeconfig).toString('base64'), 'Hunter2-pass', Buffer.from('ci:Hunter2-pass').toString('base64'), Buffer.from(dockerConfig).toString('base64')];
  const node = api.state.nodes[0];
  const at = new Date();
  api.state.recordEvent(node, { reason: 'Kubeconfig', message: `admission webhook denied: ${kubeconfig}`, at });
  api.state.recordEvent(node, { reason: 'SecretData', message: `denied Secret ci/admin: data: {"kubeconfig": "${Buffer.from(kubeconfig).toString('base64')}", "tls.key": "${keyB64}"}`, at });
  api.state.recordEvent(node, { reason: 'DockerConfig', message: `bad .dockerconfigjson ${Buffer.from(dockerConfig).toString('base64')} / ${dockerConfig}`, at });
  api.state.recordEvent(node, { reason: 'TokenKubeconfig', message: 'users:\n- name: ci\n  user:\n    token: 8f2c1e0d9b7a6c5e4d3f2a1b0c9d8e7f\n- name: basic\n  user:\n    username: ci\n    password: Hunter2-pass\n', at });
  api.state.recordEvent(node, { reason: 'ContainerdToml', message: 'config.toml: username = "ci"\npassword = "Hunter2-pass"\nauth = \'Y2k6SHVudGVyMi1wYXNz\'', at });
  try {
    const dump = await collectToolboxDump(input());
    assert.equal(dump.kubernetes.reachable, true);
    const text = JSON.stringify(dump);
    for (const s of secrets) assert.ok(!text.includes(s), `the dump holds ${s.slice(0, 24)}…`);
    if (!dump.kubernetes.reachable) return;
    const messages = Object.fromEntries(dump.kubernetes.events.map((e) => [e.reason, e.message]));
    assert.equal(messages.Kubeconfig, 'admission webhook denied: apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-key-data: (redacted)\n');
    assert.equal(messages.SecretData, 'denied Secret ci/admin: data: {"kubeconfig": "(redacted)", "tls.key": "(redacted)"}');
    assert.match(messages.DockerConfig!, /^bad \.dockerconfigjson \(redacted\) \/ \{"auths":\{"registry\.example\.com":\{"username":"ci","password":"\(redacted\)","auth":"\(redacted\)"\}\}\}$/);
    assert.equal(messages.TokenKubeconfig, 'users:\n- name: ci\n  user:\n    token: (redacted)\n- name: basic\n  user:\n    username: ci\n    password: (redacted)\n');
    assert.equal(messages.ContainerdToml, 'config.toml: username = "ci"\npassword = "(redacted)"\nauth = \'(redacted)\'');
    // What is not a secret stays: base64 of plain text, hashes, paths.
    const plain = `sha256:${'ab'.repeat(32)} ${Buffer.from('just a long enough piece of harmless text here').toString('base64')} /var/lib/kubelet/pods/0123456789abcdef0123456789abcdef/volumes`;
    assert.equal(scrubString(plain), plain);
  } finally {
    api.state.events.length = 0;
  }
});

test('redaction: passwords in URLs (a registry mirror, a proxy), AWS secret keys and session tokens, GCP service-account keys; user, host, key names and ids stay', async () => {
  // Fresh values each run: nothing below is a hard-coded result.
  const awsSecret = () => randomBytes(30).toString('base64'); // 40 characters of the secret key's alphabet (A-Za-z0-9+/)
  const keyId = (prefix: string) => prefix + randomBytes(8).toString('hex').toUpperCase(); // AKIA… or ASIA… and 16 characters
  const [envSecret, iniSecret, pairSecret, stsSecret] = [awsSecret(), awsSecret(), awsSecret(), awsSecret()];
  const [envToken, stsToken] = [randomBytes(300).toString('base64'), randomBytes(300).toString('base64')];
  const [akia, asia] = [keyId('AKIA'), keyId('ASIA')];
  const [mirrorPw, proxyPw, bareProxyPw, atPw] = ['Mirr0r-' + randomBytes(6).toString('hex'), 'Pr0xy-' + randomBytes(6).toString('hex'), 'Bare-' + randomBytes(6).toString('hex'), `p@ss-${randomBytes(4).toString('hex')}`];
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const saKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const keyLine = saKeyPem.split('\n')[3];
  const saKeyId = randomBytes(20).toString('hex');
  const serviceAccount = JSON.stringify({ type: 'service_account', project_id: 'acme-prod', private_key_id: saKeyId, private_key: saKeyPem, client_email: 'dns@acme-prod.iam.gserviceaccount.com', client_id: '1234567890' }, null, 2);
  const saB64 = Buffer.from(serviceAccount).toString('base64');
  const saWrapped = saB64.replace(/.{76}/g, '$&\n    '); // `base64` wraps at 76 columns; YAML indents the block
  const digest = `sha256:${randomBytes(32).toString('hex')}`;
  const gitSha = randomBytes(20).toString('hex');

  const node = api.state.nodes[0];
  const at = new Date();
  const messages: Record<string, [string, string]> = {
    MirrorPull: [
      `Failed to pull image "mirror.example.com/app:1": GET https://ci-bot:${mirrorPw}@mirror.example.com/v2/app/manifests/1: 401`,
      'Failed to pull image "mirror.example.com/app:1": GET https://ci-bot:(redacted)@mirror.example.com/v2/app/manifests/1: 401',
    ],
    MirrorToml: [`[host."https://puller:${mirrorPw}@registry-mirror.internal:5000"]\n  capabilities = ["pull"]`, '[host."https://puller:(redacted)@registry-mirror.internal:5000"]\n  capabilities = ["pull"]'],
    AtInPassword: [`proxy https://svc:${atPw}@proxy.corp:8443/ refused`, 'proxy https://svc:(redacted)@proxy.corp:8443/ refused'],
    ProxyEnv: [
      `env HTTPS_PROXY=http://proxyuser:${proxyPw}@proxy.corp:3128 http_proxy=proxyuser:${bareProxyPw}@proxy.corp:3128 NO_PROXY=10.0.0.0/8`,
      'env HTTPS_PROXY=http://proxyuser:(redacted)@proxy.corp:3128 http_proxy=proxyuser:(redacted)@proxy.corp:3128 NO_PROXY=10.0.0.0/8',
    ],
    AwsEnv: [`AWS_ACCESS_KEY_ID=${akia} AWS_SECRET_ACCESS_KEY=${envSecret} AWS_SESSION_TOKEN=${envToken}`, `AWS_ACCESS_KEY_ID=${akia} AWS_SECRET_ACCESS_KEY=(redacted) AWS_SESSION_TOKEN=(redacted)`],
    AwsIni: [`[default]\naws_access_key_id = ${akia}\naws_secret_access_key = ${iniSecret}\nregion = us-east-2`, `[default]\naws_access_key_id = ${akia}\naws_secret_access_key = (redacted)\nregion = us-east-2`],
    AwsPair: [`credentials ${akia} ${pairSecret} rejected`, `credentials ${akia} (redacted) rejected`],
    AwsSts: [
      `{"Credentials":{"AccessKeyId":"${asia}","SecretAccessKey":"${stsSecret}","SessionToken":"${stsToken}","Expiration":"2026-12-01T23:00:00Z"}}`,
      `{"Credentials":{"AccessKeyId":"${asia}","SecretAccessKey":"(redacted)","SessionToken":"(redacted)","Expiration":"2026-12-01T23:00:00Z"}}`,
    ],
    GcpKey: [`invalid credentials file: ${serviceAccount}`, `invalid credentials file: ${serviceAccount.replace(JSON.stringify(saKeyPem), '"(redacted)"')}`],
    GcpSecret: [`denied Secret kube-system/gcp-dns: data: {"key.json": "${saB64}"}`, 'denied Secret kube-system/gcp-dns: data: {"key.json": "(redacted)"}'],
    GcpWrapped: [`data:\n  key.json: |\n    ${saWrapped}\n`, 'data:\n  key.json: |\n    (redacted)\n'],
  };
  for (const [reason, [message]] of Object.entries(messages)) api.state.recordEvent(node, { reason, message, at });
  // A pod spec with the proxy in its env and arguments: env shows names only, arguments are not in the dump.
  const pod = api.state.pods[0];
  const container = pod.spec.containers[0];
  const saved = { env: container.env, args: container.args };
  container.env = [{ name: 'HTTPS_PROXY', value: `http://proxyuser:${proxyPw}@proxy.corp:3128` }];
  container.args = [`--registry-mirror=https://ci-bot:${mirrorPw}@mirror.example.com`];
  try {
    const dump = await collectToolboxDump(input());
    assert.equal(dump.kubernetes.reachable, true);
    if (!dump.kubernetes.reachable) return;
    const text = JSON.stringify(dump);
    const secrets = { mirrorPw, proxyPw, bareProxyPw, atPw, envSecret, iniSecret, pairSecret, stsSecret, envToken, stsToken, keyLine, saB64: saB64.slice(0, 76) };
    for (const [what, s] of Object.entries(secrets)) assert.ok(!text.includes(s), `the dump holds ${what}`);
    const got = Object.fromEntries(dump.kubernetes.events.map((e) => [e.reason, e.message]));
    for (const [reason, [, want]] of Object.entries(messages)) assert.equal(got[reason], want, reason);
    const dumped = dump.kubernetes.pods.find((p) => p.namespace === pod.metadata.namespace && p.name === pod.metadata.name)!;
    assert.deepEqual(dumped.containers.find((c) => c.name === container.name)!.env, { HTTPS_PROXY: '(redacted)' });
  } finally {
    api.state.events.length = 0;
    Object.assign(container, saved);
  }
  // Harmless look-alikes stay: digests, hashes, ids, URLs with a port or a user but no password, an access key id alone.
  const harmless = [
    `registry.example.com/app@${digest}`,
    `https://registry.example.com:5000/v2/app/manifests/${digest}`,
    `ssh://git@github.com/acme/infra.git and git@github.com:acme/infra.git at ${gitSha}`,
    `commit ${gitSha} etag "${randomBytes(30).toString('base64')}"`,
    'i-0123456789abcdef0 sg-0a1b2c3d4e5f67890 arn:aws:iam::123456789012:role/nodes.k8s.local',
    `aws_access_key_id = ${akia}`,
    `"private_key_id": "${saKeyId}", "client_email": "dns@acme-prod.iam.gserviceaccount.com"`,
    'http_proxy=http://proxy.corp:3128 no_proxy=.svc,10.96.0.0/12',
  ];
  for (const s of harmless) assert.equal(scrubString(s), s);
  // A key file whose PEM lines were cut off (a log line's limit) still loses the key's body.
  const cut = JSON.stringify({ private_key_id: saKeyId, private_key: saKeyPem.split('\n').slice(2, 5).join('\n') });
  assert.equal(scrubString(cut), `{"private_key_id":"${saKeyId}","private_key":"(redacted)"}`);
  // Long strings that are no secret (a big attribute, an event quoting a blob) come back whole, and a long password
  // still goes (the patterns only start where a run starts, so this stays linear).
  const blob = randomBytes(150_000).toString('base64');
  assert.equal(scrubString(blob), blob);
  assert.equal(scrubString('a'.repeat(200_000)), 'a'.repeat(200_000));
  assert.ok(!scrubString(`https://u:${'p'.repeat(100_000)}@host`).includes('ppp'));
  assert.ok(!scrubString(`http_proxy=u:${'p'.repeat(100_000)}@proxy:3128`).includes('ppp'));
});
