// The machine side of the built CLI on a cluster applied to moto: every command that prints data, in every format
// (-o json parses; -o yaml parses to the same document; -o table and --no-headers; -o name on lists), and
// `--progress ndjson` where every stderr line of a real apply and delete is one catalogue event, ending in `result`.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { EVENT_CATALOGUE, EVENT_SCHEMA_VERSION } from '../../src/core/events.js';
import { healthyClusterState, makeTestPki, startFakeKubeApiserver, type FakeKubeApiserver, type TestPki } from '../fakes/kube-apiserver.js';
import { k8sup, tempHome, type CliResult } from '../helpers/cli.js';
import { startMoto, type Moto } from '../helpers/moto.js';

const NAME = 'out.k8s.local';
let moto: Moto;
let env: Record<string, string>;
let home: string;
let pki: TestPki;
let api: FakeKubeApiserver;

before(async () => {
  moto = await startMoto();
  home = tempHome();
  env = { HOME: home, ...moto.env, K8SUP_STATE_STORE: 's3://k8sup-state/clusters' };
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: 'k8sup-state', CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
});
after(async () => {
  await api?.stop();
  pki?.cleanup();
  await moto?.stop();
});

const run = (...args: string[]) => k8sup(args, { env, timeoutMs: 300_000 });

/** Every stderr line is one event of the catalogue, in the documented envelope; the last is the result. */
function events(r: CliResult): Record<string, any>[] {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  const parsed = lines.map((l) => {
    try {
      return JSON.parse(l);
    } catch {
      assert.fail(`a stderr line is not JSON: ${l}`);
    }
  });
  for (const e of parsed) {
    assert.equal(e.v, EVENT_SCHEMA_VERSION);
    assert.ok(Object.hasOwn(EVENT_CATALOGUE, e.code), `code ${e.code} is not in the catalogue`);
    assert.ok(!Number.isNaN(Date.parse(e.time)) && typeof e.message === 'string' && ['debug', 'info', 'warn', 'error'].includes(e.level), JSON.stringify(e));
  }
  const last = parsed.at(-1)!;
  assert.equal(last.code, 'result');
  assert.equal(last.exitCode, r.code);
  assert.equal(parsed.filter((e) => e.code === 'result').length, 1);
  return parsed;
}

test('create --yes and delete --yes under --progress ndjson: pure JSON, task events carry the cloud IDs', { timeout: 600_000 }, async () => {
  const created = await run('create', 'cluster', NAME, '--zones', 'us-east-2a', '--kubernetes-version', '1.34.4', '--yes', '--progress', 'ndjson');
  assert.equal(created.code, 0, created.stderr);
  const ev = events(created);
  const codes = ev.map((e) => e.code);
  for (const c of ['cluster.stored', 'apply.start', 'task.start', 'task.done', 'apply.done', 'cluster.applied', 'next']) assert.ok(codes.includes(c), `no ${c} event`);
  const creates = ev.filter((e) => e.code === 'task.done' && e.action === 'create');
  assert.ok(creates.length > 10);
  for (const e of creates) assert.ok(typeof e.cloudId === 'string' && e.cloudId.length > 0, `task.done without cloudId: ${JSON.stringify(e)}`);
  const vpc = creates.find((e) => e.kind === 'vpc');
  assert.match(vpc?.cloudId ?? '', /^vpc-/);
  assert.deepEqual(ev.at(-1)!, { ...ev.at(-1)!, exitCode: 0, level: 'info' });
  assert.match(ev.find((e) => e.code === 'next')!.command, /^k8sup validate cluster out\.k8s\.local --wait 10m$/);
});

/** The same document in json and yaml; a table with and without headers; names where the command lists things. */
async function everyFormat(args: string[], opts: { names?: boolean; expectCode?: number; headers?: RegExp } = {}): Promise<unknown> {
  const code = opts.expectCode ?? 0;
  const json = await run(...args, '-o', 'json');
  assert.equal(json.code, code, `${args.join(' ')} -o json: ${json.stderr}`);
  const doc = JSON.parse(json.stdout);
  const yaml = await run(...args, '-o', 'yaml');
  assert.equal(yaml.code, code, `${args.join(' ')} -o yaml: ${yaml.stderr}`);
  assert.deepEqual(parse(yaml.stdout), doc, `${args.join(' ')}: YAML and JSON are the same document`);
  const table = await run(...args, '-o', 'table');
  assert.equal(table.code, code, table.stderr);
  assert.ok(table.stdout.trim().length > 0, `${args.join(' ')} -o table printed nothing`);
  if (opts.headers) {
    assert.match(table.stdout.split('\n')[0], opts.headers);
    const bare = await run(...args, '--no-headers');
    assert.equal(bare.code, code, bare.stderr);
    assert.doesNotMatch(bare.stdout, opts.headers);
    assert.equal(bare.stdout.trim().split('\n').length, table.stdout.trim().split('\n').length - 1, `${args.join(' ')} --no-headers is the table without its header row`);
  }
  const name = await run(...args, '-o', 'name');
  if (opts.names) {
    assert.equal(name.code, 0, name.stderr);
  } else {
    assert.equal(name.code, 2, `${args.join(' ')} -o name must be refused: ${name.stderr}`);
    assert.match(name.stderr, /^error: -o name: /m);
  }
  return opts.names ? { doc, names: name.stdout.trim().split('\n') } : { doc };
}

test('every data-printing command in every format', { timeout: 900_000 }, async () => {
  const list = (await everyFormat(['get', 'clusters'], { names: true })) as { doc: any[]; names: string[] };
  assert.deepEqual(list.names, [NAME]);
  assert.equal(list.doc[0].appliedRevision, 1);

  const one = (await everyFormat(['get', 'cluster', NAME], { names: true, headers: /^NAME\s+CLOUD/ })) as { doc: any; names: string[] };
  assert.equal(one.doc.spec.region, 'us-east-2');
  assert.deepEqual(one.names, [NAME]);

  const history = (await everyFormat(['history', 'cluster', NAME], { names: true, headers: /^REVISION\s+CREATED/ })) as { doc: any[]; names: string[] };
  assert.deepEqual(history.names, ['1']);

  const plan = (await everyFormat(['update', 'cluster', NAME])) as { doc: any };
  assert.equal(plan.doc.cluster, NAME);
  assert.ok(plan.doc.steps.every((s: any) => s.action === 'noop'), 'right after the apply the plan is empty');

  const upgrade = (await everyFormat(['upgrade', 'cluster', NAME, '--kubernetes-version', '1.35.1'])) as { doc: any };
  assert.ok(upgrade.doc.steps.some((s: any) => s.action !== 'noop'), 'the upgrade preview plans changes');

  const del = (await everyFormat(['delete', 'cluster', NAME])) as { doc: any };
  assert.ok(del.doc.steps.length > 10 && del.doc.steps.every((s: any) => s.action === 'delete'));

  const roll = (await everyFormat(['rolling-update', 'cluster', NAME], { headers: /^GROUP\s+CLOUD GROUP/ })) as { doc: any };
  assert.ok(Array.isArray(roll.doc.groups) && roll.doc.groups.length >= 2);

  // validate: the document of the contract, from a fake API server of this cluster's shape.
  pki = makeTestPki();
  api = await startFakeKubeApiserver({ pki, state: healthyClusterState(one.doc) });
  const kubeconfig = join(home, 'admin.conf');
  writeFileSync(kubeconfig, api.kubeconfig(), { mode: 0o600 });
  const report = (await everyFormat(['validate', 'cluster', NAME, '--kubeconfig', kubeconfig])) as { doc: any };
  assert.deepEqual(Object.keys(report.doc).sort(), ['cluster', 'failures', 'nodes', 'valid']);
  assert.equal(report.doc.valid, true);

  // A cluster that was never applied: create prints its offline plan, and delete a document too.
  const fresh = ['create', 'cluster', 'fresh-json.k8s.local', '--zones', 'us-east-2b'];
  const created = await run(...fresh, '-o', 'json');
  assert.equal(created.code, 0, created.stderr);
  assert.ok(JSON.parse(created.stdout).steps.every((s: any) => s.action === 'create'));
  const createdYaml = await run('create', 'cluster', 'fresh-yaml.k8s.local', '--zones', 'us-east-2b', '-o', 'yaml');
  assert.equal(createdYaml.code, 0, createdYaml.stderr);
  assert.ok(parse(createdYaml.stdout).steps.length > 10);
  const never = (await everyFormat(['delete', 'cluster', 'fresh-json.k8s.local'])) as { doc: any };
  assert.deepEqual(never.doc.steps, []);
  assert.ok(never.doc.stateObjects > 0);

  // version is data too.
  assert.deepEqual(JSON.parse((await run('version', '-o', 'json')).stdout), { version: JSON.parse((await import('node:fs')).readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')).version });
});

test('delete --yes under --progress ndjson: deletes carry the cloud IDs, the state goes, the run ends in result', { timeout: 600_000 }, async () => {
  const deleted = await run('delete', 'cluster', NAME, '--yes', '--progress', 'ndjson');
  assert.equal(deleted.code, 0, deleted.stderr);
  const ev = events(deleted);
  const deletes = ev.filter((e) => e.code === 'task.done' && e.action === 'delete');
  assert.ok(deletes.length > 10);
  for (const e of deletes) assert.ok(typeof e.cloudId === 'string' && e.cloudId.length > 0, JSON.stringify(e));
  assert.ok(ev.some((e) => e.code === 'cluster.deleted' && e.cluster === NAME));
  // And a failure: the cluster is gone now, so the same command fails; the error is in the result event.
  const again = await run('delete', 'cluster', NAME, '--progress', 'ndjson');
  assert.equal(again.code, 2);
  const last = events(again).at(-1)!;
  assert.match(last.error, /not found/);
  assert.equal(typeof last.hint, 'string');
});
