// A black-box audit of the built CLI against /work/shared/CONTRACT.md, on inputs the other CLI tests do not use: a GCE
// cluster on the Compute and GCS fakes (no Google credentials), and the local file store. Checked: global options
// before or after the command words and through their environment variables; `--name`, the positional name and
// K8SUP_CLUSTER_NAME; -o json|yaml|table; `--progress ndjson` (every stderr line an event of the catalogue, the last
// one `result`) on exits 0, 1, 2, 3, 4 and 5; `--plan -` from stdin; a lock held by another run (exit 3 at once, or
// after --lock-timeout); every mutating command without --yes writes nothing (state, cloud, HOME); bad input exits 2
// with two lines and writes nothing, down to a lock object and folder times: a missing bucket, an unknown cluster
// for unlock, a --context the admin credential lacks, a file:// store below a file, a no-op rollback --yes.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, afterEach, before, describe, it, test } from 'node:test';
import { parse } from 'yaml';
import { EVENT_CATALOGUE, EVENT_SCHEMA_VERSION } from '../../src/core/events.js';
import { ClusterStore } from '../../src/state/cluster-store.js';
import { openBlobStore } from '../../src/state/open.js';
import { FakeCompute } from '../fakes/gce-compute.js';
import { FakeGcs } from '../fakes/gcs.js';
import { k8sup, tempHome, treeDigest, type CliResult } from '../helpers/cli.js';
import { startMoto } from '../helpers/moto.js';

const PROJECT = 'audit-project';
const BUCKET = 'audit-state';
const STATE = `gs://${BUCKET}/ci`;
const NAME = 'audit.k8s.local';
const compute = new FakeCompute({ project: PROJECT });
const gcs = new FakeGcs();
const home = tempHome();
const cloudEnv = () => ({ HOME: home, K8SUP_GCE_ENDPOINT: compute.endpoint, STORAGE_EMULATOR_HOST: gcs.url });

before(async () => {
  await compute.start();
  await gcs.start();
  // Versioned: a write that is undone later (a lock taken and released) still leaves a version behind.
  gcs.createBucket(BUCKET, { versioning: true, uniformBucketLevelAccess: true });
});
after(async () => {
  await compute.stop();
  await gcs.stop();
  rmSync(home, { recursive: true, force: true });
});

/** Every stderr line is one event of the catalogue with the envelope; the last is `result` with this exit code. */
function events(r: CliResult, exitCode: number): Record<string, any>[] {
  assert.equal(r.code, exitCode, `exit ${r.code}, not ${exitCode}:\n${r.stdout}\n${r.stderr}`);
  const lines = r.stderr.split('\n').filter(Boolean);
  const parsed = lines.map((l) => {
    try {
      return JSON.parse(l) as Record<string, any>;
    } catch {
      return assert.fail(`stderr line is not JSON: ${l}`);
    }
  });
  for (const e of parsed) {
    assert.equal(e.v, EVENT_SCHEMA_VERSION, JSON.stringify(e));
    assert.ok(Object.hasOwn(EVENT_CATALOGUE, e.code), `code ${e.code} is not in the catalogue`);
    assert.ok(!Number.isNaN(Date.parse(e.time)) && typeof e.message === 'string' && ['debug', 'info', 'warn', 'error'].includes(e.level), JSON.stringify(e));
  }
  const last = parsed.at(-1)!;
  assert.equal(last.code, 'result', `the last line is not result: ${JSON.stringify(last)}`);
  assert.equal(last.exitCode, exitCode);
  if (exitCode !== 0 && exitCode !== 5) assert.ok(last.error && last.hint, `result without error and hint: ${JSON.stringify(last)}`);
  assert.equal(parsed.filter((e) => e.code === 'result').length, 1);
  return parsed;
}

/** Plain mode's failure: exactly two lines, what is wrong and how to fix it. */
function twoLines(r: CliResult, exitCode: number, what: RegExp, hint?: RegExp): void {
  assert.equal(r.code, exitCode, `exit ${r.code}:\n${r.stdout}\n${r.stderr}`);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 2, r.stderr);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], what);
  assert.match(lines[1], /^hint: /);
  if (hint) assert.match(lines[1], hint);
}

/** Files (path, mode, bytes) and every folder's modification time: a file created and removed again shows too. */
function treeState(dir: string): string {
  const times: string[] = [];
  const walk = (d: string) => {
    times.push(`${relative(dir, d)}@${statSync(d).mtimeMs}`);
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
  };
  walk(dir);
  return `${treeDigest(dir)} ${times.sort().join(' ')}`;
}

/** Writes anywhere: the GCS bucket (any upload or delete), the Compute API, HOME. */
function writes(): { gcs: number; compute: number; home: string } {
  return {
    gcs: gcs.requests.filter((r) => r.method !== 'GET').length,
    // getIamPolicy and listManagedInstances are reads sent as POST.
    compute: compute.requests.filter((r) => r.method !== 'GET' && !/:getIamPolicy$|\/listManagedInstances$/.test(r.path)).length,
    home: treeState(home),
  };
}

const run = (args: string[], env: Record<string, string> = {}, input?: string) => k8sup(args, { env: { ...cloudEnv(), ...env }, timeoutMs: 120_000, input });

test('GCE on the fakes: globals anywhere and from the environment, formats, ndjson on exits 0 to 5, --plan -, locks, no --yes writes nothing', { timeout: 600_000 }, async () => {
  // create without --yes stores the spec and its PKI and nothing else: no cloud call that changes anything, no ~/.kube.
  const before0 = writes();
  const created = await run(['create', 'cluster', NAME, '--zones', 'us-central1-b', '--project', PROJECT, '-o', 'json'], { K8SUP_STATE_STORE: STATE });
  assert.equal(created.code, 0, created.stderr);
  assert.ok(Array.isArray(JSON.parse(created.stdout).steps));
  assert.equal(writes().compute, before0.compute);
  assert.equal(writes().home, before0.home, 'create without --yes wrote into HOME');
  assert.ok([...gcs.objects(BUCKET).keys()].some((k) => k.startsWith(`ci/${NAME}/pki/`)));

  // The same document whichever way the globals come: before the command words, after them, `=` forms, environment.
  const yaml = await run(['--state', STATE, '-o', 'yaml', '--name', NAME, 'get', 'cluster']);
  const json = await run(['get', 'cluster', NAME, `--state=${STATE}`, '--output=json']);
  const table = await run(['get', 'cluster', '-o', 'table'], { K8SUP_STATE_STORE: STATE, K8SUP_CLUSTER_NAME: NAME });
  for (const r of [yaml, json, table]) assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(parse(yaml.stdout), JSON.parse(json.stdout));
  assert.equal(JSON.parse(json.stdout).metadata.name, NAME);
  assert.match(table.stdout, new RegExp(`^NAME .*\\n${NAME.replace(/\./g, '\\.')} +gce `, 'm'));

  const env = { K8SUP_STATE_STORE: STATE, K8SUP_CLUSTER_NAME: NAME, K8SUP_PROGRESS: 'ndjson' };
  // Exit 4: validate of a cluster whose API is nowhere; stdout is still the one validation document.
  const invalid = await run(['validate', 'cluster', '-o', 'json'], env);
  events(invalid, 4);
  assert.equal(JSON.parse(invalid.stdout).valid, false);

  // Exit 5: changes pending; the plan on stdout, the saved plan in a file.
  const work = mkdtempSync(join(tmpdir(), 'k8sup-audit-'));
  const planFile = join(work, 'plan.json');
  const pending = await run(['update', 'cluster', '--detailed-exitcode', '-o', 'json', '--out-plan', planFile], env);
  events(pending, 5);
  assert.ok(JSON.parse(pending.stdout).steps.length > 0);

  // Exit 1: the cloud refuses (one 403 on the first Compute read).
  compute.injectFault((method) => method === 'GET', 403, 'forbidden');
  const refused = await run(['update', 'cluster'], env);
  events(refused, 1);

  // `--plan -` reads the saved plan from stdin: a plan of another cluster is named as the plan on stdin (exit 2)…
  const { readFileSync } = await import('node:fs');
  const savedText = readFileSync(planFile, 'utf8');
  const w0 = writes();
  const other = await run(['update', 'cluster', '--plan', '-', '--yes'], env, savedText.replace(`"cluster": "${NAME}"`, '"cluster": "other.k8s.local"'));
  assert.match(events(other, 2).at(-1)!.error, /^the plan on stdin is a plan for other\.k8s\.local, not audit\.k8s\.local/);
  const empty = await run(['update', 'cluster', '--plan', '-', '--yes'], env, '');
  assert.match(events(empty, 2).at(-1)!.error, /the plan on stdin is not a k8sup saved plan: it is empty/);
  assert.deepEqual(writes(), w0, 'a plan that is not this cluster\'s wrote something');

  // … and one computed before a new spec revision is stale: exit 3, nothing applied.
  const spec = JSON.parse(json.stdout);
  spec.spec.nodeGroups[0].maxSize += 1;
  const specFile = join(work, 'spec.json');
  writeFileSync(specFile, JSON.stringify(spec));
  const replaced = await run(['replace', '-f', specFile, '-o', 'json'], env);
  assert.equal(JSON.parse(replaced.stdout).revision, 2);
  const w1 = writes();
  const stale = await run(['update', 'cluster', '--plan', '-', '--yes'], env, savedText);
  assert.match(events(stale, 3).at(-1)!.error, /changed since the plan was saved/);
  assert.doesNotMatch(events(stale, 3).at(-1)!.hint, /--out-plan -/, 'the hint must not suggest --out-plan - (refused)');
  assert.deepEqual(writes(), w1, 'a stale plan wrote something (applied, or took the lock)');

  // A fresh plan through stdin is applied, and leaves nothing to do (exit 0 with --detailed-exitcode).
  const fresh = await run(['update', 'cluster', '--out-plan', planFile], { ...env, K8SUP_PROGRESS: 'plain' });
  assert.equal(fresh.code, 0, fresh.stderr);
  const applied = await run(['update', 'cluster', '--plan', '-', '--yes'], env, readFileSync(planFile, 'utf8'));
  assert.ok(events(applied, 0).some((e) => e.code === 'cluster.applied'));
  const clean = await run(['update', 'cluster', '--detailed-exitcode'], env);
  events(clean, 0);

  // Without --yes, no mutating command writes anything: not the state, not the cloud, not HOME.
  const w2 = writes();
  for (const args of [
    ['update', 'cluster'],
    ['delete', 'cluster'],
    ['rolling-update', 'cluster', '--force'],
    ['upgrade', 'cluster', '--kubernetes-version', spec.spec.kubernetesVersion],
    ['rollback', 'cluster', '--revision', '1'],
    ['certs', 'renew'],
    ['restore', 'cluster', '--backup', '20261201T130000Z'],
  ]) {
    const r = await run([...args, '-o', 'json'], env);
    assert.ok(r.code === 0 || r.code === 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    events(r, r.code);
    if (r.code === 0) assert.doesNotThrow(() => JSON.parse(r.stdout), `${args.join(' ')}: stdout is not one JSON document`);
    assert.deepEqual(writes(), w2, `${args.join(' ')} without --yes wrote something`);
  }

  // A lock held by another run: exit 3 at once, naming the lock; --lock-timeout (flag or env) waits first.
  const cs = new ClusterStore(await openBlobStore(STATE, { STORAGE_EMULATOR_HOST: gcs.url }, home), NAME);
  const lease = await cs.acquireLock({ owner: 'ci@runner-9', host: 'runner-9', pid: 4194305, command: 'update cluster', ttlMs: 600_000, renewEveryMs: 0 });
  try {
    const locked = await run(['rollback', 'cluster', '--revision', '1', '--yes'], env);
    assert.match(events(locked, 3).at(-1)!.hint, new RegExp(`--lock-id ${lease.id}`));
    const started = Date.now();
    const waited = await run(['rollback', 'cluster', '--revision', '1', '--yes', '--lock-timeout', '1s'], env);
    assert.ok(events(waited, 3).some((e) => e.code === 'state.lock.wait'), waited.stderr);
    assert.ok(Date.now() - started >= 1000);
    const waitedEnv = await run(['rollback', 'cluster', '--revision', '1', '--yes'], { ...env, K8SUP_LOCK_TIMEOUT: '1s' });
    assert.ok(events(waitedEnv, 3).some((e) => e.code === 'state.lock.wait'));
    const w3 = writes();
    const shown = await run(['unlock', 'cluster', '--lock-id', lease.id, '-o', 'yaml'], env);
    assert.equal(parse(shown.stdout).released, false);
    events(shown, 0);
    assert.deepEqual(writes(), w3, 'unlock without --yes wrote something');
  } finally {
    await lease.release();
  }
  assert.notEqual(hostname(), 'runner-9');
  rmSync(work, { recursive: true, force: true });
});

test('a state-store bucket that does not exist, on GCS and on S3 (moto) alike: exit 2, the bucket named, how to create it, nothing written', { timeout: 120_000 }, async () => {
  const moto = await startMoto();
  try {
    for (const [url, create, zone] of [
      ['gs://no-such-audit-bucket/x', /gcloud storage buckets create gs:\/\/no-such-audit-bucket/, 'us-central1-b'],
      ['s3://no-such-audit-bucket/x', /aws s3 mb s3:\/\/no-such-audit-bucket/, 'us-east-2a'],
    ] as const) {
      const w0 = writes();
      const listed = await run(['get', 'clusters', '--state', url, '--progress', 'ndjson'], moto.env);
      const last = events(listed, 2).at(-1)!;
      assert.equal(last.errorCode, 'StateStoreMissing');
      assert.match(last.error, /^state store bucket no-such-audit-bucket does not exist/);
      assert.match(last.hint, create);
      const created = await run(['create', 'cluster', 'nb.k8s.local', '--zones', zone, ...(url.startsWith('gs:') ? ['--project', PROJECT] : []), '--state', url], moto.env);
      twoLines(created, 2, /^error: state store bucket no-such-audit-bucket does not exist/, /create it .*or fix --state \/ K8SUP_STATE_STORE/);
      assert.deepEqual(writes(), w0, `${url}: something was written`);
    }
  } finally {
    await moto.stop();
  }
});

describe('file store: bad input and a no-op write nothing, not even a lock (folder times would show one)', () => {
  const h = tempHome();
  const env = { HOME: h, K8SUP_STATE_STORE: `file://${join(h, 'state')}` };
  const file = join(h, 'a-file');
  let s0 = '';
  before(async () => {
    const r0 = await k8sup(['create', 'cluster', 'f.k8s.local', '--zones', 'us-east-2a'], { env });
    assert.equal(r0.code, 0, r0.stderr);
    writeFileSync(file, 'x');
    s0 = treeState(h);
  });
  afterEach(() => assert.equal(treeState(h), s0, 'the state or HOME changed'));
  after(() => rmSync(h, { recursive: true, force: true }));

  it('unlock of a cluster that does not exist says so (with or without --yes), not "not locked"', async () => {
    for (const yes of [[], ['--yes']]) {
      const r = await k8sup(['unlock', 'cluster', 'ghost.k8s.local', '--lock-id', 'abc', ...yes], { env });
      twoLines(r, 2, /cluster "ghost\.k8s\.local" not found in the state store/, /k8sup get clusters/);
    }
  });

  it('get addons and toolbox dump refuse a --context the admin credential does not have, as validate does', async () => {
    for (const args of [['get', 'addons'], ['toolbox', 'dump']]) {
      const r = await k8sup([...args, 'f.k8s.local', '--context', 'prod'], { env });
      twoLines(r, 2, new RegExp(`--context prod: without --kubeconfig, ${args.join(' ')} uses a fresh admin credential whose only context is f\\.k8s\\.local`), /--kubeconfig/);
    }
  });

  it('a file:// store below a regular file names that file', async () => {
    const below = await k8sup(['get', 'clusters', '--state', `file://${file}/state`], { env });
    twoLines(below, 2, new RegExp(`${file} is a file, not a folder`), /point --state .* at a folder/);
  });

  it('upgrade --yes to an older version, rolling-update --yes of an unknown group, restore --yes of an unknown backup, and these, update --yes and delete --yes of an unknown cluster: exit 2 before the lock is taken', async () => {
    const down = await k8sup(['upgrade', 'cluster', 'f.k8s.local', '--kubernetes-version', '1.20.0', '--yes'], { env });
    twoLines(down, 2, /cannot downgrade Kubernetes from \S+ to 1\.20\.0/, /one minor version at a time/);
    const group = await k8sup(['rolling-update', 'cluster', 'f.k8s.local', '--instance-group', 'gpu', '--yes'], { env });
    twoLines(group, 2, /--instance-group: "gpu" is not a group of f\.k8s\.local/, /control-plane/);
    const backup = await k8sup(['restore', 'cluster', 'f.k8s.local', '--backup', '20261201T130000Z', '--yes'], { env });
    twoLines(backup, 2, /backup 20261201T130000Z of f\.k8s\.local does not exist/, /k8sup get backups f\.k8s\.local/);
    // A cluster the store does not hold, for the mutating commands that used to take its lock before finding out.
    for (const args of [['rolling-update', 'cluster'], ['restore', 'cluster', '--backup', '20261201T130000Z'], ['update', 'cluster'], ['delete', 'cluster']]) {
      const r = await k8sup([args[0], args[1], 'ghost.k8s.local', ...args.slice(2), '--yes'], { env });
      twoLines(r, 2, /cluster "ghost\.k8s\.local" not found in the state store/, /k8sup get clusters/);
    }
  });

  it('delete --yes --cluster-id of another identity: exit 2 before the lock is taken', async () => {
    const r = await k8sup(['delete', 'cluster', 'f.k8s.local', '--cluster-id', 'another-uid', '--yes'], { env });
    twoLines(r, 2, /--cluster-id another-uid is not the id of f\.k8s\.local in this state store/, /drop --cluster-id/);
  });

  it('replace -f of the current spec writes nothing, not even a lock; one that changes metadata.uid exits 2 before the lock', async () => {
    const doc = JSON.parse((await k8sup(['get', 'cluster', 'f.k8s.local', '-o', 'json'], { env })).stdout);
    const dir = mkdtempSync(join(tmpdir(), 'k8sup-audit-spec-'));
    try {
      writeFileSync(join(dir, 'same.json'), JSON.stringify(doc));
      const same = await k8sup(['replace', '-f', join(dir, 'same.json'), '-o', 'json'], { env });
      assert.equal(same.code, 0, same.stderr);
      assert.deepEqual(JSON.parse(same.stdout), { cluster: 'f.k8s.local', revision: 1, changed: false, written: false, changes: [] });
      writeFileSync(join(dir, 'uid.json'), JSON.stringify({ ...doc, metadata: { ...doc.metadata, uid: 'another-uid' } }));
      const uid = await k8sup(['replace', '-f', join(dir, 'uid.json')], { env });
      twoLines(uid, 2, /metadata\.uid "another-uid" is not the uid of f\.k8s\.local/, /set metadata\.uid back/);
      // --name against the file's metadata.name is a contradiction for create -f as for replace -f; the environment's
      // K8SUP_CLUSTER_NAME is only a default.
      for (const verb of [['create'], ['replace']]) {
        const twice = await k8sup([...verb, '-f', join(dir, 'same.json'), '--name', 'other.k8s.local'], { env });
        twoLines(twice, 2, /the cluster is named twice: "f\.k8s\.local" \(metadata\.name of \S+same\.json\) and "other\.k8s\.local" \(--name\)/, /give the name once/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rollback --yes to the revision that is already current writes nothing, not even a lock', async () => {
    const noop = await k8sup(['rollback', 'cluster', 'f.k8s.local', '--revision', '1', '--yes', '-o', 'json'], { env });
    assert.equal(noop.code, 0, noop.stderr);
    assert.deepEqual(JSON.parse(noop.stdout), { cluster: 'f.k8s.local', revision: 1, changed: false, written: false, changes: [] });
  });
});
