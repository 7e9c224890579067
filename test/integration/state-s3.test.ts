// The shared conformance suite against real S3 semantics (moto_server), plus S3-only checks: SSE on every object,
// a missing bucket, list pagination.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetBucketVersioningCommand, HeadObjectCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { NotFoundError } from '../../src/core/errors.js';
import { ClusterStore } from '../../src/state/cluster-store.js';
import { openBlobStore } from '../../src/state/open.js';
import { s3ClientConfig } from '../../src/state/s3.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { startSerialWritesProxy, type SerialWritesProxy } from '../helpers/serial-writes-proxy.js';
import { blobStoreConformance, type LostReplies } from '../helpers/state-conformance.js';
import { startThrottleProxy, type ThrottleProxy } from '../helpers/throttle-proxy.js';

const BUCKET = 'k8sup-state-test';
let moto: Moto;
let proxy: SerialWritesProxy;
// moto's environment, pointed at the proxy that makes its conditional writes atomic (see serial-writes-proxy.ts).
let env: Record<string, string>;
let s3: S3Client;
let counter = 0;
// In front of the serialising proxy: loses the replies of chosen requests after moto applied them.
let lossy: ThrottleProxy;
let lossyEnv: Record<string, string>;

before(async () => {
  moto = await startMoto();
  proxy = await startSerialWritesProxy(moto.endpoint);
  env = { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint };
  lossy = await startThrottleProxy(proxy.endpoint, { throttleRate: 0, resetRate: 0 });
  lossyEnv = { ...moto.env, AWS_ENDPOINT_URL: lossy.endpoint };
  s3 = new S3Client(s3ClientConfig(env));
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
});
after(async () => {
  s3?.destroy();
  await lossy?.stop();
  await proxy?.stop();
  await moto?.stop();
});

// Each store gets its own prefix in one versioned bucket, which also exercises prefix handling everywhere.
const lostS3Replies: LostReplies = {
  dropNextReply(op, keySuffix) {
    lossy.dropReplyOnce((r) => r.method === (op === 'put' ? 'PUT' : 'DELETE') && r.path.endsWith(`/${keySuffix}`));
  },
  dropped: () => lossy.stats.resetAfter,
};
blobStoreConformance(
  's3 (moto)',
  () => openBlobStore(`s3://${BUCKET}/t${++counter}/state`, env, '/nonexistent'),
  async () => ({ store: await openBlobStore(`s3://${BUCKET}/t${++counter}/state`, lossyEnv, '/nonexistent'), faults: lostS3Replies }),
);

describe('s3 store specifics', () => {
  it('the bucket is versioned (as the docs recommend)', async () => {
    assert.equal((await s3.send(new GetBucketVersioningCommand({ Bucket: BUCKET }))).Status, 'Enabled');
  });

  it('writes every object with server-side encryption AES256, under the URL prefix', async () => {
    const store = await openBlobStore(`s3://${BUCKET}/sse`, env, '/nonexistent');
    const c = new ClusterStore(store, 'enc.example');
    await c.writeRevision('a: 1\n', { expectedRevision: 0, author: 't' });
    await c.putObject('pki/ca.key', 'secret', { secret: true });
    await c.putObject('cluster-info.json', '{}');
    const lease = await c.acquireLock({ owner: 'o', host: 'h', pid: 1, command: 'c', ttlMs: 60_000, renewEveryMs: 0 });
    await lease.renew(); // a CAS overwrite must carry SSE too
    await c.journal.record({ id: 'x', kind: 'K', cloudId: 'i', action: 'created', at: 't' });
    const keys = await store.list('');
    assert.equal(keys.length, 5);
    for (const key of keys) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `sse/${key}` }));
      assert.equal(head.ServerSideEncryption, 'AES256', `${key} is not encrypted`);
    }
    await lease.release();
  });

  it('a missing bucket is a NotFoundError (exit 2, bad --state) naming the bucket, with a hint to create it', async () => {
    const store = await openBlobStore('s3://no-such-bucket-k8sup', env, '/nonexistent');
    for (const op of [() => store.list(''), () => store.put('a/b', 'x'), () => store.get('a/b')]) {
      await assert.rejects(op(), (e: unknown) => {
        assert.ok(e instanceof NotFoundError, String(e));
        assert.equal(e.exitCode, 2);
        assert.equal(e.code, 'StateStoreMissing');
        assert.match(e.message, /bucket no-such-bucket-k8sup does not exist/);
        assert.match(e.hint ?? '', /aws s3 mb s3:\/\/no-such-bucket-k8sup.*--state/);
        return true;
      });
    }
  });

  it('list follows pagination past 1000 keys', async () => {
    const store = await openBlobStore(`s3://${BUCKET}/many`, env, '/nonexistent');
    const keys = Array.from({ length: 1015 }, (_, i) => `c/k${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => store.put(k, 'x')));
    assert.deepEqual(await store.list('c/'), keys);
  });
});

describe('s3 state under throttling and lost replies (the retry budget)', () => {
  it('20% SlowDown and 6% connection resets (half after S3 applied the call): 60 journal records land exactly once', async () => {
    const faulty = await startThrottleProxy(proxy.endpoint, { throttleRate: 0.2, resetRate: 0.06, seed: 7 });
    try {
      const store = await openBlobStore(`s3://${BUCKET}/throttled`, { ...moto.env, AWS_ENDPOINT_URL: faulty.endpoint }, '/nonexistent');
      const c = new ClusterStore(store, 'busy.example');
      const lease = await c.acquireLock({ owner: 'o', host: 'h', pid: 1, command: 'c', ttlMs: 60_000, renewEveryMs: 0 });
      assert.equal(await c.writeRevision('a: 1\n', { expectedRevision: 0, author: 't' }), 1);
      for (let i = 0; i < 60; i++) {
        await c.journal.record({ id: `r${i}`, kind: 'K', cloudId: `c${i}`, action: 'created', at: 't' });
        if (i % 20 === 0) await lease.renew();
      }
      await lease.release();
      const ids = (await c.journal.load()).map((e) => e.id);
      assert.deepEqual(ids, Array.from({ length: 60 }, (_, i) => `r${i}`), 'every record once, in order');
      assert.equal(await c.lockInfo(), null);
      // The faults really happened (a journal append is one conditional PUT now, so ~70 calls, ~20% of them throttled).
      assert.ok(faulty.stats.throttled >= 8, `throttled ${faulty.stats.throttled} calls`);
      assert.ok(faulty.stats.resetAfter >= 1, `lost ${faulty.stats.resetAfter} replies`);
    } finally {
      await faulty.stop();
    }
  });
});
