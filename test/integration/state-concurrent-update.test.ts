// Two pipelines run `update cluster --yes` on one cluster at the same moment (state in S3 on moto, the cloud behind a
// proxy with latency so the apply lasts). Exactly one takes the lock and applies; the other exits 3 at once, naming the
// holder and its lock id, having written nothing: no journal entry, no revision, no cloud call that changes anything.
// Runs that wait (--lock-timeout) instead take the lock one after the other, and the second finds nothing to do.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { k8sup, startK8sup, tempHome } from '../helpers/cli.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { startThrottleProxy, type ThrottleProxy } from '../helpers/throttle-proxy.js';
import { taggedResources } from './aws-helpers.js';

const BUCKET = 'k8sup-concurrent-update';
let moto: Moto;
let proxy: ThrottleProxy;
let env: Record<string, string>;
let s3: import('@aws-sdk/client-s3').S3Client;

before(async () => {
  moto = await startMoto();
  proxy = await startThrottleProxy(moto.endpoint, { throttleRate: 0, resetRate: 0, latencyFor: (service) => (service === 's3' ? 0 : 40) });
  env = { HOME: tempHome(), ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, K8SUP_STATE_STORE: `s3://${BUCKET}/st` };
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
});
after(async () => {
  await proxy?.stop();
  await moto?.stop();
});

const run = (...args: string[]) => k8sup(args, { env, timeoutMs: 300_000 });

async function stateObjects(name: string): Promise<Map<string, string>> {
  const { ListObjectsV2Command, GetObjectCommand } = await import('@aws-sdk/client-s3');
  const out = new Map<string, string>();
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `st/${name}/` }));
  for (const o of listed.Contents ?? []) {
    const body = await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: o.Key! }))).Body!.transformToString();
    out.set(o.Key!.slice(`st/${name}/`.length), body);
  }
  return out;
}

test('two update --yes at once: one applies, the other exits 3 naming the holder and writes nothing; runs that wait take turns', { timeout: 900_000 }, async () => {
  const name = 'twice.k8s.local';
  assert.equal((await run('create', 'cluster', name, '--zones', 'us-east-2a')).code, 0);
  const before = await stateObjects(name);
  const a = startK8sup(['update', 'cluster', name, '--yes'], { env, timeoutMs: 300_000 });
  const b = startK8sup(['update', 'cluster', name, '--yes'], { env, timeoutMs: 300_000 });
  const [ra, rb] = await Promise.all([a.done, b.done]);
  const codes = [ra.code, rb.code].sort();
  assert.deepEqual(codes, [0, 3], `exit codes ${ra.code}, ${rb.code}:\n--- a\n${ra.stderr}\n--- b\n${rb.stderr}`);
  const [winner, loser] = ra.code === 0 ? [ra, rb] : [rb, ra];
  assert.match(loser.stderr, /is locked by .* lock id [0-9a-f-]{36}, expires/);
  assert.match(loser.stderr, /^hint: /m);
  assert.doesNotMatch(loser.stderr, /task\.|creat(ed|ing) /i, `the loser started nothing:\n${loser.stderr}`);

  // The journal holds exactly the winner's records: one created entry per resource, none twice.
  const after = await stateObjects(name);
  assert.equal(after.has('lock.json'), false, 'the winner released the lock');
  for (const key of before.keys()) if (key.startsWith('revisions/')) assert.equal(after.get(key), before.get(key));
  assert.deepEqual([...after.keys()].filter((k) => k.startsWith('revisions/')), [...before.keys()].filter((k) => k.startsWith('revisions/')), 'no revision was written');
  const entries = JSON.parse(after.get('applied.json')!).entries as { id: string; action: string; entryId: string }[];
  const created = entries.filter((e) => e.action === 'created').map((e) => e.id);
  assert.equal(new Set(created).size, created.length, `a resource recorded as created twice: ${created.join(', ')}`);
  assert.equal(new Set(entries.map((e) => e.entryId)).size, entries.length, 'an entry was recorded twice');
  const shape = await taggedResources(moto.env, name);
  assert.ok(shape.instances.length > 0 && shape.vpcs.length === 1, JSON.stringify(shape));
  assert.match(winner.stderr, /Applied|applied|created/i);

  // Two more at once, both willing to wait: whichever takes the lock second finds nothing left to do.
  const holder = startK8sup(['update', 'cluster', name, '--yes', '--lock-timeout', '5m'], { env, timeoutMs: 300_000 });
  const waiter = startK8sup(['update', 'cluster', name, '--yes', '--lock-timeout', '5m'], { env, timeoutMs: 300_000 });
  const [rh, rw] = await Promise.all([holder.done, waiter.done]);
  assert.equal(rh.code, 0, rh.stderr);
  assert.equal(rw.code, 0, rw.stderr);
  assert.equal((await run('update', 'cluster', name, '--detailed-exitcode')).code, 0, 'nothing pending');
  assert.deepEqual(await taggedResources(moto.env, name), shape, 'nothing was created twice');
  assert.equal((await run('delete', 'cluster', name, '--yes')).code, 0);
});
