// The shared state-store conformance suite against the gs:// backend, driven through the real @google-cloud/storage
// library over HTTP to the GCS JSON API fake (test/fakes/gcs.ts); plus GCS-only checks (generation preconditions on
// the wire, paging, a missing bucket, retries on 503) and 8 processes racing on one cluster.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NotFoundError } from '../../src/core/errors.js';
import { PreconditionFailedError } from '../../src/state/blob.js';
import { ClusterStore } from '../../src/state/cluster-store.js';
import { gcsClientOptions } from '../../src/state/gcs.js';
import { openBlobStore } from '../../src/state/open.js';
import { crc32cBase64, FakeGcs } from '../fakes/gcs.js';
import { runAtOnce, type RaceResult } from '../helpers/race.js';
import { blobStoreConformance, type LostReplies } from '../helpers/state-conformance.js';
import { READY, type RacerTask } from '../helpers/state-racer.js';

const BUCKET = 'k8sup-state-test';
// A page size of 7 makes every list with more than 7 keys page, so paging is exercised by the whole suite.
const gcs = new FakeGcs(7);
const tmp = mkdtempSync(join(tmpdir(), 'k8sup-gcs-'));
let counter = 0;
const env = () => ({ STORAGE_EMULATOR_HOST: gcs.url });

before(async () => {
  await gcs.start();
  gcs.createBucket(BUCKET, { versioning: true });
  gcs.createBucket('race');
});
after(async () => {
  await gcs.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const lostGcsReplies: LostReplies = {
  dropNextReply(op, keySuffix) {
    gcs.dropReplyOnce((method, path, query) =>
      op === 'put'
        ? method === 'POST' && path.startsWith('/upload/') && (query.get('name') ?? '').endsWith(`/${keySuffix}`)
        : method === 'DELETE' && decodeURIComponent(path).endsWith(`/${keySuffix}`),
    );
  },
  dropped: () => gcs.droppedReplies,
};
blobStoreConformance(
  'gs (fake GCS JSON API)',
  () => openBlobStore(`gs://${BUCKET}/t${++counter}/state`, env(), tmp),
  async () => ({ store: await openBlobStore(`gs://${BUCKET}/t${++counter}/state`, env(), tmp), faults: lostGcsReplies }),
);

describe('gs store specifics', () => {
  it('create-only sends ifGenerationMatch=0, CAS sends the generation, and the version is the generation', async () => {
    const store = await openBlobStore(`gs://${BUCKET}/wire`, env(), tmp);
    const from = gcs.requests.length;
    const v1 = await store.put('c/obj.json', '{"n":1}', { ifNoneMatch: true });
    const v2 = await store.put('c/obj.json', '{"n":2}', { ifMatch: v1 });
    const uploads = gcs.requests.slice(from).filter((r) => r.path.startsWith('/upload/'));
    assert.deepEqual(
      uploads.map((r) => [r.query.uploadType, r.query.name, r.query.ifGenerationMatch]),
      [
        ['multipart', 'wire/c/obj.json', '0'],
        ['multipart', 'wire/c/obj.json', v1],
      ],
    );
    assert.equal(String(gcs.objects(BUCKET).get('wire/c/obj.json')!.generation), v2);
    assert.equal((await store.get('c/obj.json'))!.version, v2);
  });

  it('a version that is not a generation can never match: PreconditionFailedError without touching the object', async () => {
    const store = await openBlobStore(`gs://${BUCKET}/bad-version`, env(), tmp);
    await store.put('k', 'keep');
    await assert.rejects(store.put('k', 'x', { ifMatch: '"etag-like"' }), PreconditionFailedError);
    await assert.rejects(store.delete('k', { ifMatch: 'abc' }), PreconditionFailedError);
    assert.equal((await store.get('k'))!.data.toString(), 'keep');
  });

  it('lists across many pages (page size 7) and returns every key once, sorted', async () => {
    const store = await openBlobStore(`gs://${BUCKET}/paging`, env(), tmp);
    const keys = Array.from({ length: 23 }, (_, i) => `p/k${String(i).padStart(2, '0')}`);
    await Promise.all(keys.map((k) => store.put(k, k)));
    await store.put('q/other', 'not listed');
    const from = gcs.requests.length;
    assert.deepEqual(await store.list('p/'), keys);
    const listCalls = gcs.requests.slice(from).filter((r) => r.method === 'GET' && r.path.endsWith('/o'));
    assert.equal(listCalls.length, 4, 'ceil(23 / 7) pages');
    assert.ok(listCalls.slice(1).every((r) => r.query.pageToken), 'later pages carry the page token');
  });

  it('a missing bucket is a NotFoundError (exit 2) naming the bucket with a hint to create it', async () => {
    const store = await openBlobStore('gs://no-such-bucket-k8sup/x', env(), tmp);
    for (const op of [() => store.list(''), () => store.put('a/b', 'x'), () => store.get('a/b')]) {
      await assert.rejects(op(), (e: unknown) => {
        assert.ok(e instanceof NotFoundError, String(e));
        assert.equal((e as NotFoundError).code, 'StateStoreMissing');
        assert.equal((e as NotFoundError).exitCode, 2);
        assert.match((e as Error).message, /no-such-bucket-k8sup/);
        assert.match((e as NotFoundError).hint ?? '', /gcloud storage buckets create gs:\/\/no-such-bucket-k8sup/);
        return true;
      });
    }
  });

  it('a transient 503 on a read is retried, even after an unconditional write on the same client', async () => {
    const store = await openBlobStore(`gs://${BUCKET}/retry`, env(), tmp);
    await store.put('k', 'v'); // with the library's default strategy this switched retries off for the client
    gcs.injectFault((method, path) => method === 'GET' && path.endsWith('/o/retry%2Fk'), 503);
    assert.equal((await store.get('k'))!.data.toString(), 'v');
    assert.ok(gcs.requests.some((r) => r.status === 503), 'the fault was served');
  });

  it('throttling and backend errors are retried with the state budget: 5 failures in a row (the library default gave up after 4 attempts), then the write lands once', async () => {
    const store = await openBlobStore(`gs://${BUCKET}/budget`, env(), tmp);
    const c = new ClusterStore(store, 'budget.example');
    for (let i = 0; i < 5; i++) {
      gcs.injectFault((method, path) => method === 'POST' && path.startsWith('/upload/'), i % 2 ? 503 : 429, i % 2 ? 'backendError' : 'rateLimitExceeded');
    }
    await c.journal.record({ id: 'r', kind: 'K', cloudId: 'c', action: 'created', at: 't' });
    assert.deepEqual((await c.journal.load()).map((e) => e.id), ['r']);
  });

  it('the revisions of a cluster stay readable as objects in the bucket with correct crc32c', async () => {
    const store = await openBlobStore(`gs://${BUCKET}/rev`, env(), tmp);
    const c = new ClusterStore(store, 'demo.k8s.local');
    await c.writeRevision('kind: Cluster\n', { expectedRevision: 0, author: 't' });
    await c.writeRevision('kind: Cluster\n# 2\n', { expectedRevision: 1, author: 't' });
    assert.deepEqual(await c.revisionNumbers(), [1, 2]);
    const objs = [...gcs.objects(BUCKET).keys()].filter((k) => k.startsWith('rev/'));
    assert.deepEqual(objs.sort(), ['rev/demo.k8s.local/revisions/000001.yaml', 'rev/demo.k8s.local/revisions/000002.yaml']);
  });

  it('client options: the emulator host needs no credentials; otherwise the standard chain and the injected env', () => {
    const { retryOptions, ...emulator } = gcsClientOptions({ STORAGE_EMULATOR_HOST: '127.0.0.1:4443' });
    assert.deepEqual(emulator, { apiEndpoint: 'http://127.0.0.1:4443', projectId: 'k8sup-emulator' });
    // Retries are k8sup's (state/retry.ts), so the library must not retry on its own as well.
    assert.deepEqual(retryOptions, { autoRetry: false, maxRetries: 0, idempotencyStrategy: 2 /* RetryNever */ });
    const { retryOptions: _, ...real } = gcsClientOptions({ GOOGLE_APPLICATION_CREDENTIALS: '/k.json', GOOGLE_CLOUD_PROJECT: 'p' });
    assert.deepEqual(real, { keyFilename: '/k.json', projectId: 'p' });
    assert.deepEqual(Object.keys(gcsClientOptions({})), ['retryOptions']);
  });
});

describe('the GCS fake speaks the wire protocol of the real library', () => {
  it('resumable uploads, versions listing and crc32c', async () => {
    const { Storage } = await import('@google-cloud/storage');
    const storage = new Storage({ apiEndpoint: gcs.url, projectId: 'p' });
    const file = storage.bucket(BUCKET).file('fake/resumable.bin');
    const big = Buffer.alloc(600 * 1024, 7);
    await file.save(big, { resumable: true, chunkSize: 256 * 1024, validation: 'crc32c', preconditionOpts: { ifGenerationMatch: 0 } });
    assert.deepEqual(gcs.objects(BUCKET).get('fake/resumable.bin')!.data, big);
    assert.ok(gcs.requests.some((r) => r.query.uploadType === 'resumable' && r.query.upload_id), 'chunks went to the session URL');
    await file.save(Buffer.from('second'), { resumable: false });
    const [versions] = await storage.bucket(BUCKET).getFiles({ prefix: 'fake/', versions: true });
    assert.equal(versions.length, 2);
    const [meta] = await file.getMetadata();
    assert.equal(meta.crc32c, crc32cBase64(Buffer.from('second')));
    // A stale create-only upload is refused with 412 on completion of a resumable session too.
    await assert.rejects(file.save(Buffer.from('x'), { resumable: true, preconditionOpts: { ifGenerationMatch: 0 } }), (e: { code?: number }) => e.code === 412);
  });
});

describe('the GCS fake is as strict as GCS about preconditions and paging', () => {
  const object = (name: string, query = '') => `${gcs.url}/storage/v1/b/${BUCKET}/o/${encodeURIComponent(name)}${query}`;
  const upload = (name: string, body: string, query = '') =>
    fetch(`${gcs.url}/upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=${encodeURIComponent(name)}${query}`, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });

  it('NotMatch preconditions: 304 on a read, 412 on a write or a delete; a value that is not an integer is a 400', async () => {
    const first = (await (await upload('strict/a', 'one')).json()) as { generation: string; metageneration: string };
    const g = first.generation;
    assert.equal((await fetch(object('strict/a', `?alt=media&ifGenerationNotMatch=${g}`))).status, 304);
    assert.equal((await fetch(object('strict/a', '?ifMetagenerationNotMatch=1'))).status, 304);
    assert.equal((await upload('strict/a', 'two', `&ifGenerationNotMatch=${g}`)).status, 412, 'a write whose NotMatch fails is refused, not "not modified"');
    assert.equal((await upload('strict/a', 'two', '&ifMetagenerationNotMatch=1')).status, 412);
    assert.equal((await fetch(object('strict/a', `?ifGenerationNotMatch=${g}`), { method: 'DELETE' })).status, 412);
    assert.equal(gcs.objects(BUCKET).get('strict/a')!.data.toString(), 'one', 'nothing was written or deleted');
    for (const bad of ['ifGenerationMatch=abc', 'ifGenerationMatch=', 'ifMetagenerationMatch=1.5', 'ifGenerationNotMatch=x']) {
      const r = await upload('strict/a', 'three', `&${bad}`);
      assert.equal(r.status, 400, bad);
      assert.equal(((await r.json()) as { error: { errors: { reason: string }[] } }).error.errors[0].reason, 'invalid');
    }
    assert.equal((await upload('strict/a', 'two', `&ifGenerationNotMatch=1&ifGenerationMatch=${g}`)).status, 200);
  });

  it('a page token continues after the last name listed: a key deleted or added before it meanwhile skips nothing', async () => {
    for (let i = 0; i < 10; i++) await upload(`strict-paging/k${i}`, String(i));
    const page = async (token?: string) =>
      (await (await fetch(`${gcs.url}/storage/v1/b/${BUCKET}/o?prefix=strict-paging/${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`)).json()) as { items: { name: string }[]; nextPageToken?: string };
    const one = await page();
    assert.deepEqual(one.items.map((o) => o.name), ['strict-paging/k0', 'strict-paging/k1', 'strict-paging/k2', 'strict-paging/k3', 'strict-paging/k4', 'strict-paging/k5', 'strict-paging/k6']);
    // Between the pages another client deletes a listed key and adds one that sorts before the cursor.
    await fetch(object('strict-paging/k0'), { method: 'DELETE' });
    await upload('strict-paging/a-early', 'x');
    const two = await page(one.nextPageToken);
    assert.deepEqual(two.items.map((o) => o.name), ['strict-paging/k7', 'strict-paging/k8', 'strict-paging/k9']);
    assert.equal(two.nextPageToken, undefined);
    assert.equal((await fetch(`${gcs.url}/storage/v1/b/${BUCKET}/o?pageToken=not-a-token`)).status, 400);
  });
});

describe('gs concurrency: 8 processes', () => {
  const RACERS = 8;
  const racerScript = join(import.meta.dirname, '..', 'helpers', 'state-racer.ts');
  // The child processes get STORAGE_EMULATOR_HOST in their process.env, the way the CLI runs: the library then
  // also reads it itself (and uses it as its base URL), which the fake serves too.
  const race = (task: Omit<RacerTask, 'stateUrl' | 'racer'>): Promise<RaceResult[]> =>
    runAtOnce(
      Array.from({ length: RACERS }, (_, i) => ({
        command: process.execPath,
        args: ['--import', 'tsx', racerScript, JSON.stringify({ ...task, stateUrl: 'gs://race/state', racer: `racer-${i}` })],
        env: { PATH: process.env.PATH, HOME: tmp, ...env() },
      })),
      { readyLine: READY, runTimeoutMs: 45_000 },
    );

  it('CAS increments of one key: no lost update', async () => {
    const results = await race({ mode: 'increment', cluster: 'counter', increments: 5 });
    for (const r of results) assert.equal(r.code, 0, `${r.stdout} ${r.stderr}`);
    const store = await openBlobStore('gs://race/state', env(), tmp);
    assert.equal((await store.get('counter/counter'))!.data.toString(), String(RACERS * 5));
  });

  it('lock + write a revision at once: each exits 0 or 3, revisions grow by exactly the successes', async () => {
    const cluster = new ClusterStore(await openBlobStore('gs://race/state', env(), tmp), 'locked-race');
    await cluster.writeRevision('kind: Cluster\nspec: {seed: true}\n', { expectedRevision: 0, author: 'seed' });
    const results = await race({ mode: 'revision', cluster: 'locked-race' });
    for (const r of results) assert.ok(r.code === 0 || r.code === 3, `exit ${r.code}: ${r.stdout} ${r.stderr}`);
    const winners = results.filter((r) => r.code === 0).length;
    assert.ok(winners >= 1);
    assert.deepEqual(await cluster.revisionNumbers(), Array.from({ length: 1 + winners }, (_, i) => i + 1));
    assert.equal(await cluster.lockInfo(), null);
  });
});
