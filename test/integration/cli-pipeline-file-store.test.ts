// What a CI pipeline scripts against, on a file store (no cloud): every command that takes -o prints exactly one
// document of that format on stdout (nothing else there; notes go to stderr), and never a credential; input that
// cannot mean what it says exits 2 with two lines and leaves the store byte-for-byte the same.

import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { X509Certificate } from 'node:crypto';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { k8sup, tempHome, treeDigest } from '../helpers/cli.js';

const NAME = 'docs.k8s.local';
const HOST = 'registry.corp.example:5000';
const PASSWORD = 'Pa55-Never-Printed-Z9';
let home: string;
let env: Record<string, string>;
const run = (args: string[], input?: string) => k8sup(args, { env, ...(input === undefined ? {} : { input }) });
const store = () => treeDigest(join(home, '.k8sup'));

before(async () => {
  home = tempHome();
  env = { HOME: home };
  const file = join(home, 'cluster.yaml');
  writeFileSync(file, stringify({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name: NAME }, spec: { zones: ['us-east-2a'], assets: { registries: [{ host: HOST, credentials: { secretRef: 'corp' } }] } } }));
  const created = await run(['create', '-f', file]);
  assert.equal(created.code, 0, created.stderr);
});

/** stdout is one document of the format (JSON: a single value; YAML: a single document); returns it. */
function oneDocument(stdout: string, format: 'json' | 'yaml'): any {
  assert.ok(stdout.endsWith('\n'), 'ends with a newline');
  if (format === 'json') return JSON.parse(stdout);
  const docs = parseAllDocuments(stdout);
  assert.equal(docs.length, 1, `one YAML document: ${stdout}`);
  return docs[0].toJS();
}

test('create secret registry -o json|yaml: one document naming the secret, the registry and what happened; never the password', async () => {
  const expected = [
    ['json', 'created'],
    ['yaml', 'unchanged'],
  ] as const;
  for (const [format, action] of expected) {
    const r = await run(['create', 'secret', 'registry', 'corp', '--name', NAME, '--registry', HOST, '--username', 'robot', '--password-stdin', '-o', format], PASSWORD);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(oneDocument(r.stdout, format), { cluster: NAME, secret: 'corp', registry: HOST, action, usedBySpec: true });
    assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD), 'the password is never printed');
  }
  // -o table: people read the notes on stderr; stdout stays empty.
  const table = await run(['create', 'secret', 'registry', 'corp', '--name', NAME, '--registry', HOST, '--username', 'robot', '--password-stdin'], PASSWORD);
  assert.equal(table.code, 0, table.stderr);
  assert.equal(table.stdout, '');
  assert.match(table.stderr, /Unchanged: registry secret corp of docs\.k8s\.local/);
});

test('export kubeconfig -o json|yaml: one document saying which context went where and until when; never the key', async () => {
  for (const format of ['json', 'yaml'] as const) {
    const kubeconfig = join(home, `kubeconfig-${format}`);
    const r = await run(['export', 'kubeconfig', NAME, '--kubeconfig', kubeconfig, '--admin', '2h', '-o', format]);
    assert.equal(r.code, 0, r.stderr);
    const doc = oneDocument(r.stdout, format);
    const written = parse(readFileSync(kubeconfig, 'utf8'));
    const user = written.users.find((u: any) => u.name === written.contexts.find((c: any) => c.name === NAME).context.user).user;
    const cert = new X509Certificate(Buffer.from(user['client-certificate-data'], 'base64'));
    assert.deepEqual(doc, { cluster: NAME, context: NAME, kubeconfig, server: written.clusters.find((c: any) => c.name === written.contexts[0].context.cluster).cluster.server, notAfter: new Date(cert.validTo).toISOString() });
    assert.ok(!r.stdout.includes('PRIVATE KEY') && !r.stdout.includes(user['client-key-data']), 'the credential stays in the file');
    assert.equal(statSync(kubeconfig).mode & 0o777, 0o600);
  }
  const table = await run(['export', 'kubeconfig', NAME, '--kubeconfig', join(home, 'kubeconfig-table')]);
  assert.equal(table.code, 0, table.stderr);
  assert.equal(table.stdout, '');
  assert.match(table.stderr, /Wrote context docs\.k8s\.local to /);
});

test('delete cluster --cloud/--region/--project that are not where the stored cluster is: exit 2, the cluster and its state stay', async () => {
  const other = 'kept.k8s.local';
  assert.equal((await run(['create', 'cluster', other, '--zones', 'us-east-2a'])).code, 0);
  for (const where of [['--cloud', 'gce', '--region', 'europe-west1', '--project', 'p1'], ['--cloud', 'aws', '--region', 'us-west-1']]) {
    for (const yes of [[], ['--yes']]) {
      const before = store();
      const r = await run(['delete', 'cluster', other, ...where, ...yes]);
      assert.equal(r.code, 2, `${where} ${yes}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      const [what, how, ...rest] = r.stderr.split('\n').filter(Boolean);
      assert.match(what, /^error: --(cloud|region) .*: the state store holds kept\.k8s\.local on aws us-east-2, so this would delete that cluster, not look elsewhere$/);
      assert.match(how, /^hint: to delete kept\.k8s\.local with its state, drop --cloud, --region and --project/);
      assert.deepEqual(rest, []);
      assert.equal(store(), before, 'nothing written or deleted');
    }
  }
  // Where it is: the same delete as without the flags (a never-applied cluster in a file store: its state only).
  const r = await run(['delete', 'cluster', other, '--cloud', 'aws', '--region', 'us-east-2', '--yes']);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch((await run(['get', 'clusters', '-o', 'name'])).stdout, /kept\.k8s\.local/);
});

test('update --out-plan that names a folder, or -, exits 2 before the cloud is read, nothing written', async () => {
  // No credentials: a run that got as far as the cloud would fail with exit 1.
  const cases = [
    [home, new RegExp(`^error: --out-plan: ${home} is a folder\\nhint: give a file path, e.g. --out-plan ${home}/plan\\.json\\n$`)],
    ['-', /^error: --out-plan -: the saved plan is written to a file, not to stdout\nhint: give a file, e.g. --out-plan plan\.json/],
  ] as const;
  for (const [path, error] of cases) {
    const before = treeDigest(home);
    const r = await k8sup(['update', 'cluster', NAME, '--out-plan', path], { env: { ...env, AWS_EC2_METADATA_DISABLED: 'true' }, cwd: home });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, error);
    assert.equal(treeDigest(home), before, 'nothing written (no file named -, no state)');
  }
});

test('completion -o json|yaml: exit 2 (a shell script is no document), not the script on stdout', async () => {
  for (const format of ['json', 'yaml']) {
    const r = await run(['completion', 'bash', '-o', format]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `error: -o ${format}: \`k8sup completion\` prints a shell script, not a document\nhint: drop -o ${format}\n`);
  }
  const script = await run(['completion', 'bash']);
  assert.equal(script.code, 0, script.stderr);
  assert.match(script.stdout, /^complete -F _k8sup k8sup$/m);
});

test('--version prints what `k8sup version` prints, in the -o format given before or after it', async () => {
  const version = JSON.parse((await run(['version', '-o', 'json'])).stdout).version;
  for (const args of [['--version', '-o', 'json'], ['-o', 'json', '--version'], ['--version', '--output=json'], ['get', 'clusters', '--version', '-ojson']]) {
    const r = await run(args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `{\n  "version": "${version}"\n}\n`, args.join(' '));
    assert.equal(r.stderr, '');
  }
  assert.equal((await run(['--version', '-o', 'yaml'])).stdout, `version: ${version}\n`);
  assert.equal((await run(['--version'])).stdout, `k8sup ${version}\n`);
  for (const format of ['name', 'bogus']) {
    const r = await run(['--version', '-o', format]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: -o \w+: .*\nhint: use -o table, json or yaml\n$/);
  }
});

test('validate --context without --kubeconfig: two lines, exit 2, before any warning or credential', async () => {
  const before = store();
  const r = await run(['validate', 'cluster', NAME, '--context', 'prod', '-o', 'json']);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `error: --context prod: without --kubeconfig, validate uses a fresh admin credential whose only context is ${NAME}\nhint: add --kubeconfig PATH (the file that has that context), or drop --context\n`);
  assert.equal(store(), before);
});

test('-o yaml reads the same as -o json with a YAML 1.1 reader too (timestamps and yes/no/on/off are quoted, as kubectl does)', async () => {
  // A registry secret named like a 1.1 boolean, and documents with timestamps (history, certs check, export kubeconfig).
  const onFile = join(home, 'on.yaml');
  writeFileSync(onFile, stringify({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name: 'yes.k8s.local' }, spec: { zones: ['us-east-2a'], assets: { registries: [{ host: 'on', credentials: { secretRef: 'no' } }] } } }));
  assert.equal((await run(['create', '-f', onFile])).code, 0);
  const commands = [
    ['history', 'cluster', NAME],
    ['certs', 'check', NAME],
    ['get', 'cluster', 'yes.k8s.local'],
    ['export', 'kubeconfig', NAME, '--kubeconfig', join(home, 'kubeconfig-yaml11')],
    ['create', 'secret', 'registry', 'no', '--name', 'yes.k8s.local', '--registry', 'on', '--username', 'robot', '--password-stdin'],
  ];
  for (const args of commands) {
    const input = args[0] === 'create' ? PASSWORD : undefined;
    const json = await run([...args, '-o', 'json'], input);
    const yaml = await run([...args, '-o', 'yaml'], input);
    assert.equal(yaml.code, 0, yaml.stderr);
    const asJson = JSON.parse(json.stdout);
    // Fields that differ between two runs (a fresh certificate, days left) are compared by type only.
    const volatile = (d: any) => JSON.parse(JSON.stringify(d, (k, v) => (k === 'notAfter' || k === 'daysLeft' || k === 'action' ? typeof v : v)));
    assert.deepEqual(volatile(parse(yaml.stdout, { version: '1.1' })), volatile(asJson), `${args.join(' ')}: a 1.1 reader reads another document:\n${yaml.stdout}`);
    assert.deepEqual(parse(yaml.stdout), parse(yaml.stdout, { version: '1.1' }), `${args.join(' ')}: 1.1 and 1.2 readers agree`);
  }
});

test('update --plan "~/…" and --out-plan "~/…" (quoted, so no shell expanded them) are paths under $HOME like the other path flags', async () => {
  const otherPlan = { kind: 'k8sup.io/SavedPlan', formatVersion: 1, cluster: 'other.k8s.local', clusterUid: 'u', specRevision: 1, liveDigest: 'sha256:x', createdAt: new Date().toISOString(), plan: { formatVersion: 1, cluster: 'other.k8s.local', steps: [] } };
  writeFileSync(join(home, 'plan-of-other.json'), JSON.stringify(otherPlan));
  const before = store();
  // The file is read (before the cloud is): it is the wrong cluster's plan, which is exit 2 with its own message.
  const r = await run(['update', 'cluster', NAME, '--plan', '~/plan-of-other.json', '--yes']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^error: .*plan-of-other\.json is a plan for other\.k8s\.local, not docs\.k8s\.local$/m);
  assert.equal(store(), before);
  // --out-plan's folder check sees $HOME's folders.
  const out = await run(['update', 'cluster', NAME, '--out-plan', '~/no-such-folder/plan.json']);
  assert.equal(out.code, 2, out.stderr);
  assert.match(out.stderr, new RegExp(`^error: --out-plan: cannot write ${home}/no-such-folder/plan\\.json: ${home}/no-such-folder is not a folder$`, 'm'));
});
