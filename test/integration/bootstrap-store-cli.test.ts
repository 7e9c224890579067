// The state bucket as nodes see it, through the real CLI on moto: create looks up the bucket's region once and keeps
// it in the spec (a dotted bucket in another region than the cluster), the nodes' scripts address that bucket
// path-style in its own region, and `get instances` / `validate cluster` show what the nodes reported.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { createHash } from 'node:crypto';
import { k8sup, tempHome } from '../helpers/cli.js';
import { pinnedSha256 } from '../helpers/loader.js';
import { startMoto, type Moto } from '../helpers/moto.js';

const BUCKET = 'state.k8s.example.test';
let moto: Moto;
let env: Record<string, string>;
let home: string;
let s3: import('@aws-sdk/client-s3').S3Client;

before(async () => {
  moto = await startMoto();
  home = tempHome();
  // The cluster runs in us-east-2; its state bucket lives in eu-west-1 (docs/state-store.md says that works).
  env = { HOME: home, ...moto.env, AWS_REGION: 'us-east-2', K8SUP_STATE_STORE: `s3://${BUCKET}/team-a` };
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  s3 = new S3Client({ endpoint: moto.endpoint, region: 'eu-west-1', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
});
after(async () => {
  s3?.destroy();
  await moto?.stop();
});

const run = (...args: string[]) => k8sup(args, { env, timeoutMs: 120_000 });

test('create keeps the bucket region in the spec; node scripts reach the dotted bucket path-style in that region', { timeout: 300_000 }, async () => {
  const created = await run('create', 'cluster', 'demo.k8s.local', '--zones', 'us-east-2a');
  assert.equal(created.code, 0, created.stderr);
  const spec = JSON.parse((await run('get', 'cluster', 'demo.k8s.local', '-o', 'json')).stdout).spec;
  assert.deepEqual(spec.stateStore, { region: 'eu-west-1' });
  assert.equal(spec.region, 'us-east-2');

  const out = join(home, 'tf');
  const tf = await run('update', 'cluster', 'demo.k8s.local', '--target', 'terraform', '--out', out);
  assert.equal(tf.code, 0, tf.stderr);
  const userData = readdirSync(join(out, 'data'))
    .filter((f) => /user.?data/i.test(f) || f.endsWith('.sh') || f.endsWith('.b64') || f.endsWith('.gz'))
    .map((f) => readFileSync(join(out, 'data', f)))
    .map((b) => (b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b).toString('utf8') : /^[A-Za-z0-9+/=\s]+$/.test(b.toString()) ? decode(b.toString()) : b.toString()));
  assert.ok(userData.length >= 2, `user data files: ${readdirSync(join(out, 'data')).join(', ')}`);
  for (const loader of userData) {
    // The user data is the loader: it reaches the bucket itself and pins the bundle it fetches.
    assert.match(loader, /^# k8sup loader, /m);
    assert.match(loader, /^S3_HOST='s3\.eu-west-1\.amazonaws\.com'$/m);
    assert.match(loader, /^S3_BUCKET_PATH='\/state\.k8s\.example\.test'$/m);
    assert.match(loader, /^STATE_REGION='eu-west-1'$/m);
  }
  // Without --yes nothing is written: the bundles are not in the store yet, and the output says how to write them.
  assert.deepEqual(await bundleKeys(), []);
  assert.match(tf.stderr, /write them with .*--yes/);
  const written = await run('update', 'cluster', 'demo.k8s.local', '--target', 'terraform', '--out', out, '--yes');
  assert.equal(written.code, 0, written.stderr);
  const keys = await bundleKeys();
  assert.ok(keys.length >= 2, keys.join(', '));
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  for (const loader of userData) {
    const sha = pinnedSha256(loader);
    const key = `team-a/demo.k8s.local/bootstrap/bundles/${sha}.sh`;
    assert.ok(keys.includes(key), `${key} not among ${keys.join(', ')}`);
    const body = await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();
    assert.equal(createHash('sha256').update(body).digest('hex'), sha);
    // The bundle is the installer with the whole script: what the user data used to be.
    assert.match(body, /systemctl start --no-block k8sup-bootstrap\.service/);
    assert.match(body, /^S3_HOST='s3\.eu-west-1\.amazonaws\.com'$/m);
  }
});

test('get instances lists what the nodes reported; validate names the node whose bootstrap is failing', { timeout: 300_000 }, async () => {
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const reports = [
    { v: 1, instance: 'i-0aaa', cluster: 'demo.k8s.local', role: 'worker', group: 'nodes', step: 'kubeadm', state: 'failed', attempt: 3, error: "'kubeadm join --config /etc/k8sup/kubeadm.yaml' exited with status 1", time: now },
    { v: 1, instance: 'i-0bbb', cluster: 'demo.k8s.local', role: 'control-plane-init', group: 'control-plane', step: 'done', state: 'done', attempt: 1, error: '', time: now },
  ];
  for (const r of reports) {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `team-a/demo.k8s.local/nodes/status/${r.instance}.json`, Body: JSON.stringify(r) }));
  }
  const listed = await run('get', 'instances', 'demo.k8s.local', '-o', 'json');
  assert.equal(listed.code, 0, listed.stderr);
  const doc = JSON.parse(listed.stdout);
  assert.equal(doc.cluster, 'demo.k8s.local');
  assert.deepEqual(doc.instances.map((i: any) => [i.instance, i.state, i.step, i.attempt]), [['i-0bbb', 'done', 'done', 1], ['i-0aaa', 'failed', 'kubeadm', 3]]);
  const table = await run('get', 'instances', 'demo.k8s.local');
  assert.match(table.stdout, /^INSTANCE\s+GROUP\s+ROLE\s+STATE\s+STEP/m);
  assert.match(table.stdout, /^i-0aaa\s+nodes\s+worker\s+failed\s+kubeadm\s+3/m);

  // The API is not up (nothing was applied): validate still says which node fails, where and why.
  const validated = await run('validate', 'cluster', 'demo.k8s.local', '-o', 'json');
  assert.equal(validated.code, 4, validated.stderr);
  const report = JSON.parse(validated.stdout);
  const bootstrap = report.failures.filter((f: any) => f.type === 'bootstrap');
  assert.deepEqual(bootstrap, [
    { type: 'bootstrap', name: 'i-0aaa', message: "node i-0aaa: bootstrap failing at step kubeadm (attempt 3): 'kubeadm join --config /etc/k8sup/kubeadm.yaml' exited with status 1" },
  ]);
});

async function bundleKeys(): Promise<string[]> {
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'team-a/demo.k8s.local/bootstrap/bundles/' }));
  return (listed.Contents ?? []).map((o) => o.Key!).sort();
}

test('delete removes the bundles with the rest of the state', { timeout: 300_000 }, async () => {
  assert.ok((await bundleKeys()).length > 0);
  const deleted = await run('delete', 'cluster', 'demo.k8s.local', '--yes');
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.deepEqual(await bundleKeys(), []);
});

function decode(b64: string): string {
  const raw = Buffer.from(b64, 'base64');
  return raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
}
