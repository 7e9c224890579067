// Registry pull credentials through the real CLI on a real S3 (moto): `create secret registry` stores the credential
// as a secret object beside the PKI; bad input exits 2 and writes nothing (not even a lock); an apply whose spec names
// a missing secret exits 2 before anything changes. The secret string never appears in what k8sup prints (plans,
// `get cluster`, NDJSON), nor in user data (the loaders) or the bootstrap bundles — but the bundle, run for real in
// the stub harness with the state store's objects, puts it into containerd's root-only credentials file.

import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { parse, stringify } from 'yaml';
import { CONTAINERD_AUTH_DROP_IN } from '../../src/bootstrap/registries.js';
import { k8sup, tempHome } from '../helpers/cli.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { createStubRoot } from '../helpers/stub-root.js';

const BUCKET = 'k8sup-regcreds';
const NAME = 'regcreds.k8s.local';
const HOST = 'registry.corp.example:5000';
const SECRET = 'S3cr3t-Registry-Pa55w0rd-QX7';
const KEY_PREFIX = `team/${NAME}/`;
const CREDENTIAL_KEY = `${KEY_PREFIX}bootstrap/registry-credentials/corp.toml`;

let moto: Moto;
let home: string;
let env: Record<string, string>;
let s3: import('@aws-sdk/client-s3').S3Client;
const run = (args: string[], input?: string) => k8sup(args, { env, timeoutMs: 180_000, ...(input === undefined ? {} : { input }) });

/** Every object of the bucket, key → body: what "nothing written" is checked against. */
async function bucket(): Promise<Map<string, string>> {
  const { ListObjectsV2Command, GetObjectCommand } = await import('@aws-sdk/client-s3');
  const objects = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: token }));
    for (const o of page.Contents ?? []) objects.set(o.Key!, await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: o.Key! }))).Body!.transformToString());
    token = page.NextContinuationToken;
  } while (token);
  return objects;
}

function specFile(spec: Record<string, unknown>, name = NAME): string {
  const file = join(home, `${name}.yaml`);
  writeFileSync(file, stringify({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name }, spec: { zones: ['us-east-2a'], ...spec } }));
  return file;
}

const ASSETS = {
  containerRegistry: `${HOST}/k8s`,
  registries: [{ host: HOST, credentials: { secretRef: 'corp' } }, { host: 'mirror.corp.example' }],
};

before(async () => {
  moto = await startMoto();
  home = tempHome();
  env = { HOME: home, ...moto.env, AWS_REGION: 'us-east-2', K8SUP_STATE_STORE: `s3://${BUCKET}/team` };
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
  const created = await run(['create', '-f', specFile({ assets: ASSETS })]);
  assert.equal(created.code, 0, created.stderr);
  // The plan of a spec whose secret is not stored yet warns (nothing is applied, so nothing breaks yet).
  assert.match(created.stderr, /spec\.assets\.registries\[0\]\.credentials\.secretRef: the state store has no secret corp/);
});
after(async () => {
  s3?.destroy();
  await moto?.stop();
});

describe('create secret registry (CLI on moto S3)', () => {
  const dockerConfig = () => {
    const file = join(home, 'docker-config.json');
    writeFileSync(file, JSON.stringify({ auths: { 'other.example': { auth: Buffer.from('u:p').toString('base64') } }, credsStore: 'desktop' }));
    return file;
  };
  const bad: { what: string; args: () => string[]; input?: string; error: RegExp }[] = [
    { what: 'a registry the spec does not list', args: () => ['corp', '--registry', 'nope.example', '--username', 'robot', '--password-stdin'], input: SECRET, error: /--registry: nope\.example is not in spec\.assets\.registries of regcreds\.k8s\.local\nhint: use one of registry\.corp\.example:5000, mirror\.corp\.example/ },
    { what: 'a bad secret name', args: () => ['Corp_1', '--registry', HOST, '--username', 'robot', '--password-stdin'], input: SECRET, error: /secret name "Corp_1" is not valid\nhint: / },
    { what: 'no credential', args: () => ['corp', '--registry', HOST], error: /no credential given\nhint: give either --username/ },
    { what: 'both kinds of credential', args: () => ['corp', '--registry', HOST, '--username', 'robot', '--password-stdin', '--docker-config', dockerConfig()], input: SECRET, error: /exclude each other/ },
    { what: '--username without --password-stdin', args: () => ['corp', '--registry', HOST, '--username', 'robot'], error: /--username needs --password-stdin/ },
    { what: 'a password with a line break inside', args: () => ['corp', '--registry', HOST, '--username', 'robot', '--password-stdin'], input: `${SECRET}\nmore\n`, error: /--password-stdin: the value contains a control character/ },
    { what: 'an empty password', args: () => ['corp', '--registry', HOST, '--username', 'robot', '--password-stdin'], input: '\n', error: /--password-stdin: the value is empty/ },
    { what: 'a docker config without the registry', args: () => ['corp', '--registry', HOST, '--docker-config', dockerConfig()], error: /auths has no credential for registry\.corp\.example:5000\nhint: docker keeps it in the credential helper docker-credential-desktop/ },
    { what: 'no --registry', args: () => ['corp', '--username', 'robot', '--password-stdin'], input: SECRET, error: /required option '--registry <host>' not specified/ },
  ];
  for (const c of bad) {
    it(`${c.what}: exit 2 with what is wrong and a hint, nothing written anywhere`, async () => {
      const before = await bucket();
      const r = await run(['create', 'secret', 'registry', ...c.args(), '--name', NAME], c.input);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, c.error);
      assert.match(r.stderr, /^hint: /m);
      assert.ok(!r.stderr.includes(SECRET) && !r.stdout.includes(SECRET));
      assert.deepEqual(await bucket(), before, 'the state store changed');
    });
  }

  it('a secretRef that is not a name is refused by the spec rules (exit 2, the field path), nothing stored', async () => {
    const r = await run(['create', '-f', specFile({ assets: { registries: [{ host: HOST, credentials: { secretRef: 'Bad_Ref' } }] } }, 'bad.k8s.local')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /spec\.assets\.registries\[0\]\.credentials\.secretRef: "Bad_Ref" must be a secret name/);
    assert.ok(![...(await bucket()).keys()].some((k) => k.includes('bad.k8s.local')));
  });

  it('an apply whose secret is missing exits 2 before anything is written (terraform files, bundles, keys)', async () => {
    const before = await bucket();
    const out = join(home, 'tf-missing');
    const r = await run(['update', 'cluster', NAME, '--target', 'terraform', '--out', out, '--yes']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /spec\.assets\.registries\[0\]\.credentials\.secretRef: the state store has no secret corp for regcreds\.k8s\.local\nhint: store it with `k8sup create secret registry corp --name regcreds\.k8s\.local --registry registry\.corp\.example:5000/);
    assert.throws(() => readdirSync(out));
    assert.deepEqual(await bucket(), before);
  });

  let outputs = '';
  it('stores the password from stdin as a secret object; repeating is a no-op, another credential needs --force', async () => {
    const stored = await run(['create', 'secret', 'registry', 'corp', '--name', NAME, '--registry', HOST, '--username', 'robot', '--password-stdin', '--progress', 'ndjson'], `${SECRET}\n`);
    assert.equal(stored.code, 0, stored.stderr);
    outputs += stored.stdout + stored.stderr;
    const events = stored.stderr.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(events.some((e) => e.code === 'secret.stored' && e.secret === 'corp' && e.registry === HOST && e.action === 'created'), stored.stderr);
    assert.deepEqual(events.at(-1), { ...events.at(-1), code: 'result', exitCode: 0 });

    const objects = await bucket();
    const body = objects.get(CREDENTIAL_KEY);
    assert.ok(body, [...objects.keys()].join(', '));
    assert.deepEqual({ ...parseToml(body) }, { username: 'robot', password: SECRET });
    // Written like the PKI: server-side encrypted.
    const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: CREDENTIAL_KEY }))).ServerSideEncryption, 'AES256');
    assert.ok(![...objects.keys()].some((k) => k.endsWith('lock.json')), 'the lock was released');

    const again = await run(['create', 'secret', 'registry', 'corp', '--name', NAME, '--registry', HOST, '--username', 'robot', '--password-stdin'], SECRET);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /Unchanged: registry secret corp/);
    const other = await run(['create', 'secret', 'registry', 'corp', '--name', NAME, '--registry', HOST, '--username', 'robot', '--password-stdin'], 'another-password');
    assert.equal(other.code, 2, other.stderr);
    assert.match(other.stderr, /secret corp of regcreds\.k8s\.local exists with another credential\nhint: add --force/);
    assert.equal((await bucket()).get(CREDENTIAL_KEY), body);
    outputs += again.stdout + again.stderr + other.stdout + other.stderr;
  });

  it('a secret for a listed registry that does not use it yet is stored, with a warning saying what to set', async () => {
    const r = await run(['create', 'secret', 'registry', 'mirror', '--name', NAME, '--registry', 'mirror.corp.example', '--username', 'pull', '--password-stdin'], 'mirror-password');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: spec\.assets\.registries\[1\] \(mirror\.corp\.example\) does not use it yet: set its credentials to \{secretRef: mirror\}/);
    assert.ok((await bucket()).has(`${KEY_PREFIX}bootstrap/registry-credentials/mirror.toml`));
    // A registry whose secretRef names another secret: storing the next one first is how credentials rotate.
    const next = await run(['create', 'secret', 'registry', 'corp-2', '--name', NAME, '--registry', HOST, '--username', 'robot', '--password-stdin'], 'next-password');
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, /warning: spec\.assets\.registries\[0\] \(registry\.corp\.example:5000\) uses secret corp, not this one: set its credentials to \{secretRef: corp-2\}/);
  });

  it('the secret is in no output, user data or bundle — but in the credentials file the node assembles from the store', { timeout: 600_000 }, async () => {
    for (const args of [
      ['get', 'cluster', NAME, '-o', 'yaml'],
      ['get', 'cluster', NAME, '-o', 'json'],
      ['update', 'cluster', NAME, '-v'],
      ['update', 'cluster', NAME, '-v', '--progress', 'ndjson'],
      ['get', 'assets', NAME, '-o', 'json'],
    ]) {
      const r = await run(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      outputs += r.stdout + r.stderr;
    }
    const spec = parse((await run(['get', 'cluster', NAME, '-o', 'yaml'])).stdout).spec;
    assert.deepEqual(spec.assets.registries[0], { host: HOST, credentials: { secretRef: 'corp' } });

    const out = join(home, 'tf');
    mkdirSync(out, { recursive: true });
    const tf = await run(['update', 'cluster', NAME, '--target', 'terraform', '--out', out, '--yes', '--progress', 'ndjson']);
    assert.equal(tf.code, 0, tf.stderr);
    outputs += tf.stdout + tf.stderr;
    const files: { where: string; text: string }[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) walk(path);
        else files.push({ where: path, text: readFileSync(path).toString('latin1') });
      }
    };
    walk(out);
    const objects = await bucket();
    const bundles = [...objects].filter(([k]) => k.startsWith(`${KEY_PREFIX}bootstrap/bundles/`));
    assert.ok(bundles.length >= 2, [...objects.keys()].join(', '));
    for (const [key, text] of bundles) files.push({ where: key, text });
    // Every bundle fetches the credential by name; the user data are loaders (the Terraform data files).
    for (const [key, text] of bundles) assert.match(text, /bootstrap\/registry-credentials\/\$1\.toml/, key);
    assert.ok(files.some((f) => /k8sup loader/.test(f.text) || /user_data/.test(f.text)), 'the Terraform output holds the user data');

    const encodings = [SECRET, Buffer.from(SECRET).toString('base64'), Buffer.from(`robot:${SECRET}`).toString('base64')];
    for (const f of [...files, { where: 'CLI output', text: outputs }]) {
      for (const enc of encodings) assert.ok(!f.text.includes(enc), `${f.where} contains the secret`);
    }
    for (const [key, text] of objects) if (key !== CREDENTIAL_KEY) assert.ok(!text.includes(SECRET), `${key} contains the secret`);

    // A worker's bundle run for real (stub harness) with the store's objects: the node's credentials file has it.
    const worker = bundles.map(([, text]) => text).find((t) => /kubeadm join/.test(t) && !/control-plane/.test(t.match(/^ROLE=.*$/m)?.[0] ?? 'control-plane'))
      ?? bundles.map(([, text]) => text).find((t) => !/^\s*kubeadm init --config/m.test(t));
    assert.ok(worker, 'a worker bundle');
    const script = worker.slice(worker.indexOf('\n', worker.indexOf("<<'K8SUP_BOOTSTRAP_")) + 1, worker.search(/^K8SUP_BOOTSTRAP_[0-9a-f]{12}$/m));
    const stub = createStubRoot();
    try {
      stub.putStoreObject('bootstrap/registry-credentials/corp.toml', objects.get(CREDENTIAL_KEY)!);
      stub.putStoreObject('bootstrap/token', 'token=abcdef.0123456789abcdef\nexpires=2030-01-01T00:00:00Z\nissuer=ip-10-0-0-9\n');
      const node = stub.run(script);
      assert.equal(node.status, 0, node.stderr);
      const dropIn = join(stub.root, CONTAINERD_AUTH_DROP_IN);
      const auth = (parseToml(readFileSync(dropIn, 'utf8')) as Record<string, any>).plugins['io.containerd.cri.v1.images'].registry.configs[HOST].auth;
      assert.deepEqual({ ...auth }, { username: 'robot', password: SECRET });
      assert.equal(statSync(dropIn).mode & 0o777, 0o600);
      for (const c of node.calls) assert.ok(!c.includes(SECRET), `the secret reached a command line: ${c}`);
    } finally {
      stub.cleanup();
    }
  });
});
