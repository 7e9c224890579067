// Eight pipelines run `k8sup replace -f` on one cluster at the same instant, on the file store and on S3 (moto):
// each exits 0 or 3, and the revision count grows by exactly the number of winners.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { k8sup, tempHome } from '../helpers/cli.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { startSerialWritesProxy, type SerialWritesProxy } from '../helpers/serial-writes-proxy.js';

const NAME = 'race.k8s.local';

async function race(env: Record<string, string>, home: string) {
  const created = await k8sup(['create', 'cluster', NAME, '--zones', 'us-east-2a'], { env });
  assert.equal(created.code, 0, created.stderr);
  const base = parse((await k8sup(['get', 'cluster', NAME, '-o', 'yaml'], { env })).stdout);
  const files = Array.from({ length: 8 }, (_, i) => {
    const doc = structuredClone(base);
    doc.spec.nodeGroups[0].minSize = i + 2;
    doc.spec.nodeGroups[0].maxSize = i + 2;
    const f = join(home, `spec-${i}.yaml`);
    writeFileSync(f, JSON.stringify(doc));
    return f;
  });
  const results = await Promise.all(files.map((f) => k8sup(['replace', '-f', f], { env })));
  for (const r of results) {
    assert.ok(r.code === 0 || r.code === 3, `exit ${r.code}: ${r.stderr}`);
    if (r.code === 3) assert.match(r.stderr, /lock|changed under us/i);
  }
  const winners = results.filter((r) => r.code === 0).length;
  assert.ok(winners >= 1, 'at least one replace wins');
  const history = JSON.parse((await k8sup(['history', 'cluster', NAME, '-o', 'json'], { env })).stdout);
  assert.equal(history.length, 1 + winners, `revisions ${history.length} vs 1 + ${winners} winners`);
  assert.deepEqual(history.map((h: any) => h.revision), Array.from({ length: 1 + winners }, (_, i) => i + 1));
  const final = await k8sup(['get', 'cluster', NAME, '-o', 'json'], { env });
  assert.equal(final.code, 0, 'the latest revision parses');
  return winners;
}

describe('8 concurrent replace -f', { timeout: 180_000 }, () => {
  let moto: Moto;
  let proxy: SerialWritesProxy;
  before(async () => {
    moto = await startMoto();
    // moto checks If-None-Match / If-Match and stores in separate steps; S3 does both atomically per key. The proxy
    // gives moto that property, so this measures k8sup's use of conditional writes, not moto's threading.
    proxy = await startSerialWritesProxy(moto.endpoint);
  });
  after(async () => {
    await proxy?.stop();
    await moto?.stop();
  });

  it('on the file store', async () => {
    const home = tempHome();
    await race({ HOME: home }, home);
  });

  it('on S3', async () => {
    const home = tempHome();
    const { S3Client, CreateBucketCommand, PutBucketVersioningCommand } = await import('@aws-sdk/client-s3');
    const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    await s3.send(new CreateBucketCommand({ Bucket: 'race-state', CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'race-state', VersioningConfiguration: { Status: 'Enabled' } }));
    await race({ HOME: home, ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, K8SUP_STATE_STORE: 's3://race-state/clusters' }, home);
  });
});

describe('8 concurrent read-modify-write jobs (get -o yaml, maxSize+1, replace -f, retry on exit 3)', { timeout: 600_000 }, () => {
  it('no update is lost: the final maxSize is 1 + 8', async () => {
    const home = tempHome();
    const env = { HOME: home };
    const name = 'rmw.k8s.local';
    assert.equal((await k8sup(['create', 'cluster', name, '--zones', 'us-east-2a'], { env })).code, 0);
    const job = async (i: number): Promise<number> => {
      for (let attempt = 1; attempt <= 60; attempt++) {
        const doc = parse((await k8sup(['get', 'cluster', name, '-o', 'yaml'], { env })).stdout);
        doc.spec.nodeGroups[0].maxSize += 1;
        const file = join(home, `job-${i}-${attempt}.yaml`);
        writeFileSync(file, JSON.stringify(doc));
        const r = await k8sup(['replace', '-f', file], { env });
        if (r.code === 0) return attempt;
        assert.equal(r.code, 3, r.stderr);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 200 * Math.min(attempt, 5)));
      }
      throw new Error(`job ${i} never got its change in`);
    };
    const attempts = await Promise.all(Array.from({ length: 8 }, (_, i) => job(i)));
    const final = JSON.parse((await k8sup(['get', 'cluster', name, '-o', 'json'], { env })).stdout);
    assert.equal(final.spec.nodeGroups[0].maxSize, 9, `attempts per job: ${attempts.join(',')}`);
    assert.equal(final.metadata.revision, 9);
  });

  it('a stale document is refused with exit 3; --force replaces anyway; the uid cannot change (exit 2)', async () => {
    const home = tempHome();
    const env = { HOME: home };
    const name = 'stale.k8s.local';
    assert.equal((await k8sup(['create', 'cluster', name, '--zones', 'us-east-2a'], { env })).code, 0);
    const old = parse((await k8sup(['get', 'cluster', name, '-o', 'yaml'], { env })).stdout);
    assert.equal(old.metadata.revision, 1);
    const write = (doc: unknown, f: string) => (writeFileSync(join(home, f), JSON.stringify(doc)), join(home, f));
    assert.equal((await k8sup(['replace', '-f', write({ ...old, spec: { ...old.spec, kubernetesVersion: old.spec.kubernetesVersion } , metadata: { ...old.metadata } }, 'same.yaml')], { env })).code, 0);
    const a = structuredClone(old);
    a.spec.nodeGroups[0].maxSize = 4;
    assert.equal((await k8sup(['replace', '-f', write(a, 'a.yaml')], { env })).code, 0);
    const b = structuredClone(old);
    b.spec.nodeGroups[0].maxSize = 7;
    const stale = await k8sup(['replace', '-f', write(b, 'b.yaml')], { env });
    assert.equal(stale.code, 3, stale.stderr);
    assert.match(stale.stderr, /based on revision 1.*at revision 2/);
    const forced = await k8sup(['replace', '-f', join(home, 'b.yaml'), '--force'], { env });
    assert.equal(forced.code, 0, forced.stderr);
    const now = parse((await k8sup(['get', 'cluster', name, '-o', 'yaml'], { env })).stdout);
    assert.equal(now.spec.nodeGroups[0].maxSize, 7);
    assert.equal(now.metadata.uid, old.metadata.uid, 'the identity stays');
    const hijack = { ...now, metadata: { ...now.metadata, uid: 'another-cluster-0000' } };
    const refused = await k8sup(['replace', '-f', write(hijack, 'h.yaml')], { env });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /metadata\.uid/);
    const noUid = { ...now, metadata: { name } };
    noUid.spec.nodeGroups[0].maxSize = 8;
    assert.equal((await k8sup(['replace', '-f', write(noUid, 'n.yaml')], { env })).code, 0, 'a document without uid keeps the stored one');
    assert.equal(parse((await k8sup(['get', 'cluster', name, '-o', 'yaml'], { env })).stdout).metadata.uid, old.metadata.uid);
  });
});
