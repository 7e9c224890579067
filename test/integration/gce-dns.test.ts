// spec.api.dnsZone on GCE, end to end on the fakes (Compute and Cloud DNS on one K8SUP_GCE_ENDPOINT, state in gs://
// on the GCS fake), through the real clients: the engine (create → the A record holds the API address → re-plan is
// empty → a drifted record is put back with one atomic change, also when it changes under us → destroy removes it and
// nothing else in the zone), and the CLI in-process (cluster-info endpoint is the DNS name; a missing zone or a name
// outside the zone is exit 2 before any write).

import { bundleOf } from '../helpers/loader.js';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { loadCluster, type Cluster } from '../../src/api/index.js';
import { run } from '../../src/cli/main.js';
import { apply, destroy, isEmptyPlan, plan, type EngineDeps } from '../../src/core/engine.js';
import { InvalidInputError, K8supError } from '../../src/core/errors.js';
import { RecordingIo } from '../../src/core/io.js';
import { MemoryBlobStore } from '../../src/state/memory.js';
import { createGceProvider, type CallRecord, type GceClients } from '../../providers/gce/index.js';
import { FakeCompute } from '../fakes/gce-compute.js';
import { FakeGcs } from '../fakes/gcs.js';
import { tempHome } from '../helpers/cli.js';
import { providerState } from '../../src/lifecycle/provider-state.js';

const PROJECT = 'dns-project';
const ZONE = 'example-com';
const inputs = { stateStore: 'gs://k8sup-state/prod', caCertPem: 'PEM', caCertHash: `sha256:${'ab'.repeat(32)}` };
const WWW = { name: 'www.example.com.', type: 'A', ttl: 60, rrdatas: ['192.0.2.80'] };

function cluster(name: string, dnsZone: string | null): Cluster {
  return loadCluster({
    apiVersion: 'k8sup.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name },
    spec: {
      cloud: 'gce',
      project: PROJECT,
      zones: ['us-central1-b'],
      nodeGroups: [{ name: 'nodes', minSize: 1, maxSize: 1, zones: ['us-central1-b'] }],
      api: { adminAccess: ['203.0.113.0/24'], dnsZone },
    },
  });
}

const fake = new FakeCompute({ project: PROJECT, pendingOperations: true });
const gcs = new FakeGcs();
const home = tempHome();
const calls: CallRecord[] = [];
const provider = createGceProvider({ onCall: (c) => calls.push(c) });

async function deps(c: Cluster): Promise<EngineDeps<GceClients>> {
  const io = new RecordingIo();
  const clients = await provider.connect(c, { io, env: { K8SUP_GCE_ENDPOINT: fake.endpoint, STORAGE_EMULATOR_HOST: gcs.url }, home: '/nonexistent', state: providerState(new MemoryBlobStore(inputs.stateStore), c.metadata.name) });
  return { cluster: c.metadata.name, handlers: provider.handlers, clients, classifyError: provider.classifyError, io, retry: { baseDelayMs: 5, maxDelayMs: 50 } as never };
}

const apiRecords = (name: string) => fake.dns.records(ZONE).filter((r) => r.name === `api.${name}.`);
// Found by its ownership marker: a cluster with an identity has a hash in its resource names.
const apiAddress = (name: string) => fake.list('addresses').find((a) => String(a.description).includes(`k8sup-cluster=${name} k8sup-id=address/api `) || String(a.description).includes(`k8sup-cluster=${name} k8sup-id=address/api]`))?.address;

before(async () => {
  await fake.start();
  await gcs.start();
  gcs.createBucket('k8sup-dns-state', { uniformBucketLevelAccess: true });
  gcs.createBucket('k8sup-state', { uniformBucketLevelAccess: true });
  // A private zone of the same name comes first by name: only the public one can serve the record.
  fake.dns.createZone('example.com.', 'a-example-com-private', 'private');
  fake.dns.createZone('example.com.', ZONE);
  fake.dns.createZone('other.org.', 'other-org');
  fake.dns.seedRecord(ZONE, WWW);
});
after(async () => {
  await fake.stop();
  await gcs.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('GCE api.<cluster> record in Cloud DNS (engine)', () => {
  const name = 'demo.example.com';

  it('create: the A record api.<name>. holds the static address; the endpoint is the DNS name; nodes join through the internal address', async () => {
    const c = cluster(name, 'example.com');
    const nodes = provider.buildGraph(c, inputs);
    const d = await deps(c);
    assert.deepEqual(d.clients.settings.dnsZone, { managedZone: ZONE, dnsName: 'example.com.' });
    const first = await plan(nodes, d);
    assert.ok(first.plan.steps.some((s) => s.id === 'dns-record/api' && s.action === 'create'));
    const result = await apply(first.plan, nodes, first.live, d);
    assert.equal(provider.apiEndpoint!(result.outputs), 'https://api.demo.example.com:6443');

    const address = apiAddress(name);
    assert.match(address ?? '', /^203\.0\.113\.\d+$/);
    assert.deepEqual(apiRecords(name), [{ name: 'api.demo.example.com.', type: 'A', ttl: 300, rrdatas: [address] }]);
    // The change was awaited: it was pending until read back with changes.get.
    assert.ok(calls.some((x) => x.service === 'changes' && x.method === 'get' && x.ok));
    // Admins use the DNS name; nodes join through the internal load balancer (its address from metadata), so a
    // restricted admin range never cuts them off. The certificate carries the DNS name for admins.
    // (The startup script is the loader of the group's bundle, which holds the script.)
    const bundles = provider.bootstrapBundles!(c, inputs);
    const scripts = fake.list('instances').map((i) => bundleOf(i.metadata.items.find((m: { key: string }) => m.key === 'startup-script').value as string, bundles));
    for (const script of scripts) {
      assert.doesNotMatch(script, /(controlPlaneEndpoint|apiServerEndpoint): "?api\.demo\.example\.com/);
      assert.match(script, /k8sup-var-api-address\.invalid:6443/);
    }
    assert.ok(scripts.some((script) => /- "?api\.demo\.example\.com"?\n/.test(script)), 'the init control plane names the DNS name in the certificate');
  });

  it('a second plan has zero changes and reads the record with one resourceRecordSets.list', async () => {
    const c = cluster(name, 'example.com');
    const from = calls.length;
    const again = await plan(provider.buildGraph(c, inputs), await deps(c));
    assert.ok(isEmptyPlan(again.plan), JSON.stringify(again.plan.steps.filter((s) => s.action !== 'noop')));
    const dnsCalls = calls.slice(from).filter((x) => ['managedZones', 'resourceRecordSets', 'changes'].includes(x.service));
    assert.deepEqual(dnsCalls.map((x) => `${x.service}.${x.method}`), ['managedZones.list', 'resourceRecordSets.list']);
  });

  it('a record changed out of band is put back in place, also when it changes again between read and write (412)', async () => {
    const c = cluster(name, 'example.com');
    const nodes = provider.buildGraph(c, inputs);
    const d = await deps(c);
    // Someone points the record elsewhere (through the API, as a user would).
    const [cur] = apiRecords(name);
    const res = await fetch(`${fake.endpoint}/dns/v1/projects/${PROJECT}/managedZones/${ZONE}/changes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deletions: [cur], additions: [{ ...cur, ttl: 30, rrdatas: ['198.51.100.7'] }] }),
    });
    assert.equal(res.status, 200);
    const p = await plan(nodes, d);
    const step = p.plan.steps.find((s) => s.id === 'dns-record/api')!;
    assert.equal(step.action, 'update');
    assert.deepEqual(step.changes.map((x) => x.field).sort(), ['rrdatas', 'ttl']);
    assert.equal(p.plan.steps.filter((s) => s.action !== 'noop').length, 1);
    // The first change attempt loses a race (Cloud DNS answers 412 when a deletion no longer matches): read again.
    fake.injectFault((m, path) => m === 'POST' && path.endsWith('/changes'), 412, 'conditionNotMet');
    await apply(p.plan, nodes, p.live, d);
    assert.equal(fake.requests.filter((r) => r.status === 412).length, 1, 'the injected 412 was answered');
    assert.deepEqual(apiRecords(name), [{ name: 'api.demo.example.com.', type: 'A', ttl: 300, rrdatas: [apiAddress(name)] }]);
    assert.ok(isEmptyPlan((await plan(nodes, d)).plan));
  });

  it('destroy removes the record and leaves every other record of the zone alone', async () => {
    const c = cluster(name, 'example.com');
    const others = fake.dns.records(ZONE).filter((r) => r.name !== `api.${name}.`);
    assert.equal(others.length, 3, 'NS, SOA and www');
    await destroy(provider.buildGraph(c, inputs), await deps(c));
    assert.deepEqual(apiRecords(name), []);
    assert.deepEqual(fake.dns.records(ZONE), others);
    assert.deepEqual(fake.all(), [], 'the Compute resources are gone too');
  });

  it('a zone that does not exist is an InvalidInputError at connect, naming it; a private zone does not count', async () => {
    fake.dns.createZone('private-only.example.', 'private-only', 'private');
    const connectError = (c: Cluster) =>
      provider.connect(c, { io: new RecordingIo(), env: { K8SUP_GCE_ENDPOINT: fake.endpoint }, home: '/nonexistent', state: providerState(new MemoryBlobStore(), c.metadata.name) }).then(
        () => assert.fail('connect should fail'),
        (e: unknown) => e as InvalidInputError,
      );
    const missing = await connectError(cluster(name, 'missing.example.net'));
    assert.ok(missing instanceof InvalidInputError, String(missing));
    assert.equal(missing.exitCode, 2);
    assert.equal(missing.message, `spec.api.dnsZone: no public Cloud DNS managed zone with DNS name missing.example.net. in project ${PROJECT} (found none)`);
    assert.match(missing.hint ?? '', /gcloud dns managed-zones create NAME --dns-name missing\.example\.net\./);
    const privateOnly = await connectError(cluster('demo.private-only.example', 'private-only.example'));
    assert.ok(privateOnly instanceof InvalidInputError);
    assert.match(privateOnly.message, /DNS name private-only\.example\. .*only private zones \(private-only\)/);
  });
});

describe('GCE --dns-zone through the CLI (in-process)', () => {
  const NAME = 'cli.example.com';
  const env = { HOME: home, PATH: process.env.PATH, K8SUP_GCE_ENDPOINT: fake.endpoint, STORAGE_EMULATOR_HOST: gcs.url, K8SUP_STATE_STORE: 'gs://k8sup-dns-state/prod', K8SUP_PROGRESS: 'plain' };
  async function cli(args: string[]) {
    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = '';
    let stderr = '';
    out.on('data', (x) => (stdout += String(x)));
    err.on('data', (x) => (stderr += String(x)));
    try {
      return { code: await run(args, { env: { ...env, STORAGE_EMULATOR_HOST: gcs.url, K8SUP_GCE_ENDPOINT: fake.endpoint }, stdout: out, stderr: err }), stdout, stderr };
    } catch (e) {
      if (!(e instanceof K8supError)) throw e;
      return { code: e.exitCode, stdout, stderr: `${stderr}${e.message}` };
    }
  }
  const base = ['--zones', 'us-central1-b', '--project', PROJECT, '--node-count', '1', '--yes'];
  const stateKeys = (name: string) => [...gcs.objects('k8sup-dns-state').keys()].filter((k) => k.startsWith(`prod/${name}/`));
  const writes = () => fake.requests.filter((r) => r.method !== 'GET').length;

  it('create --dns-zone with a missing zone: exit 2 naming the zone, nothing created, nothing stored', async () => {
    const before = writes();
    const r = await cli(['create', 'cluster', 'x.nowhere.example', ...base, '--dns-zone', 'nowhere.example']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /nowhere\.example\./);
    assert.equal(writes(), before, 'no Compute or DNS write');
    assert.deepEqual(stateKeys('x.nowhere.example'), []);
  });

  it('create with a cluster name outside the zone: exit 2 before anything', async () => {
    const before = writes();
    const r = await cli(['create', 'cluster', 'demo.k8s.local', ...base, '--dns-zone', 'example.com']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /api\.demo\.k8s\.local\. is not inside the DNS zone example\.com\./);
    assert.equal(writes(), before);
    assert.deepEqual(stateKeys('demo.k8s.local'), []);
  });

  it('create --dns-zone records https://api.<name>:6443 as the endpoint; delete removes the record', async () => {
    const create = await cli(['create', 'cluster', NAME, ...base, '--dns-zone', 'example.com']);
    assert.equal(create.code, 0, create.stderr);
    assert.deepEqual(apiRecords(NAME).map((r) => r.rrdatas), [[apiAddress(NAME)]]);
    const info = gcs.objects('k8sup-dns-state').get(`prod/${NAME}/cluster-info.json`);
    assert.equal(JSON.parse(String(info?.data)).apiEndpoint, 'https://api.cli.example.com:6443');
    const update = await cli(['update', 'cluster', NAME, '--detailed-exitcode']);
    assert.equal(update.code, 0, `${update.stdout}\n${update.stderr}`);
    const del = await cli(['delete', 'cluster', NAME, '--yes']);
    assert.equal(del.code, 0, del.stderr);
    assert.deepEqual(apiRecords(NAME), []);
    assert.ok(fake.dns.records(ZONE).some((r) => r.name === WWW.name));
    assert.deepEqual(stateKeys(NAME), []);
  });
});
