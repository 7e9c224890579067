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
