// A pipeline's view of the CLI against moto (state in S3 on the same moto), on inputs the other tests do not use:
// commands that cannot do anything for a cluster say so at once (exit 2, two lines, the bucket byte-for-byte the
// same) instead of waiting out a timeout.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { k8sup, tempHome } from '../helpers/cli.js';
import { startMoto, type Moto } from '../helpers/moto.js';

const BUCKET = 'k8sup-qa-state';
let moto: Moto;
let env: Record<string, string>;
let s3: import('@aws-sdk/client-s3').S3Client;

before(async () => {
  moto = await startMoto();
  env = { HOME: tempHome(), ...moto.env, K8SUP_STATE_STORE: `s3://${BUCKET}/clusters` };
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
});
after(async () => {
  s3?.destroy();
  await moto?.stop();
});

const run = (args: string[], opts: { timeoutMs?: number } = {}) => k8sup(args, { env, timeoutMs: opts.timeoutMs ?? 120_000 });

/** Every object of the bucket with its content and ETag: the same string means nothing was written (or deleted). */
async function bucketDigest(): Promise<string> {
  const { ListObjectsV2Command, GetObjectCommand } = await import('@aws-sdk/client-s3');
  const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map((o) => `${o.Key} ${o.ETag} ${o.LastModified?.toISOString()}`);
  const bodies = await Promise.all(keys.map(async (k) => (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: k.split(' ')[0] }))).Body!.transformToString()));
  return keys.map((k, i) => `${k}\n${bodies[i]}`).join('\n');
}

function assertRefused(r: { code: number; stdout: string; stderr: string }, error: RegExp, hint: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  const [what, how, ...rest] = r.stderr.split('\n').filter(Boolean);
  assert.match(what, error);
  assert.match(how, hint);
  assert.deepEqual(rest, []);
}

test('backup cluster of a cloud cluster never applied: exit 2 at once, no etcd command left in the control folder', { timeout: 300_000 }, async () => {
  const name = 'never.k8s.local';
  const created = await run(['create', 'cluster', name, '--zones', 'us-east-2a']);
  assert.equal(created.code, 0, created.stderr);
  const before = await bucketDigest();
  const started = Date.now();
  // The default wait is 10 minutes; the run is bounded at 60 s so the old behaviour fails here instead of hanging.
  const r = await run(['backup', 'cluster', name], { timeoutMs: 60_000 });
  assertRefused(
    r,
    /^error: never\.k8s\.local was never applied from this state store: no control plane runs to take an etcd backup$/,
    /^hint: apply it first with `k8sup update cluster never\.k8s\.local --yes`, then take the backup$/,
  );
  assert.ok(Date.now() - started < 30_000, 'refused without waiting for an answer');
  assert.equal(await bucketDigest(), before, 'nothing written: no control command, no claim, no lock');

  // Once applied (its nodes boot from the bundles in the store), the same command asks the control planes: no
  // instance in moto runs the poller, so it is the "nobody answered" failure (exit 1) after --wait.
  const applied = await run(['update', 'cluster', name, '--yes'], { timeoutMs: 300_000 });
  assert.equal(applied.code, 0, applied.stderr);
  const asked = await run(['backup', 'cluster', name, '--wait', '1s']);
  assert.equal(asked.code, 1, asked.stderr);
  assert.match(asked.stderr, /error: no control plane of never\.k8s\.local answered etcd backup command \S+ within 1s; it is cancelled/);
});

test('get backups of a cloud cluster without backups: the note names the command that takes one, with the --state given', async () => {
  const name = 'nobackup.k8s.local';
  const state = `s3://${BUCKET}/clusters`;
  assert.equal((await run(['create', 'cluster', name, '--zones', 'us-east-2a'])).code, 0);
  const r = await k8sup(['get', 'backups', name, '--state', state, '-o', 'json'], { env: { ...env, K8SUP_STATE_STORE: undefined } });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { cluster: name, backups: [] });
  // Taking a backup now works on every cloud (through the control folder), not only on bare metal.
  assert.equal(r.stderr.trim(), `${name} has no etcd backup yet (the control planes take one hourly; \`k8sup backup cluster ${name} --state ${state}\` takes one now)`);
});

test('a saved plan applied to another cluster of the same name (created again, or in another store): exit 2, nothing applied', { timeout: 300_000 }, async () => {
  const name = 'same.k8s.local';
  const storeA = { ...env, K8SUP_STATE_STORE: `s3://${BUCKET}/team-a` };
  const storeB = { ...env, K8SUP_STATE_STORE: `s3://${BUCKET}/team-b` };
  const { mkdtempSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const work = mkdtempSync(join(env.HOME, 'plan-'));
  assert.equal((await k8sup(['create', 'cluster', name, '--zones', 'us-east-2a'], { env: storeA })).code, 0);
  const planned = await k8sup(['update', 'cluster', name, '--out-plan', 'plan.json'], { env: storeA, cwd: work });
  assert.equal(planned.code, 0, planned.stderr);
  const saved = JSON.parse(readFileSync(join(work, 'plan.json'), 'utf8'));
  const uidA = JSON.parse((await k8sup(['get', 'cluster', name, '-o', 'json'], { env: storeA })).stdout).metadata.uid;
  assert.equal(saved.clusterUid, uidA);

  assert.equal((await k8sup(['create', 'cluster', name, '--zones', 'us-east-2a'], { env: storeB })).code, 0);
  const uidB = JSON.parse((await k8sup(['get', 'cluster', name, '-o', 'json'], { env: storeB })).stdout).metadata.uid;
  const before = await bucketDigest();
  const r = await k8sup(['update', 'cluster', name, '--plan', 'plan.json', '--yes'], { env: storeB, cwd: work, timeoutMs: 120_000 });
  assertRefused(
    r,
    new RegExp(`^error: plan\\.json is a plan for another cluster named same\\.k8s\\.local \\(uid ${uidA}, this one is ${uidB}\\): it was created again since, or the plan comes from another state store$`),
    /^hint: plan again: k8sup update cluster same\.k8s\.local --out-plan plan\.json, review it, then apply that$/,
  );
  assert.equal(await bucketDigest(), before, 'nothing written to either store');
  const { EC2Client, DescribeVpcsCommand } = await import('@aws-sdk/client-ec2');
  const ec2 = new EC2Client({ endpoint: moto.endpoint, region: 'us-east-2', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const vpcs = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:k8sup.io/cluster', Values: [name] }] }));
  ec2.destroy();
  assert.deepEqual(vpcs.Vpcs, [], 'nothing created in the cloud');
});

test('upgrade to the version a never-applied cluster already has: nothing to upgrade, nothing written or created', { timeout: 300_000 }, async () => {
  const name = 'sameversion.k8s.local';
  assert.equal((await run(['create', 'cluster', name, '--zones', 'us-east-2a', '--kubernetes-version', '1.34.4'])).code, 0);
  const before = await bucketDigest();
  for (const yes of [[], ['--yes']]) {
    const r = await run(['upgrade', 'cluster', name, '--kubernetes-version', '1.34.4', '-o', 'json', ...yes], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { cluster: name, from: '1.34.4', to: '1.34.4', steps: [] }, `${yes}: the upgrade's document, not a plan that creates the cluster`);
    const table = await run(['upgrade', 'cluster', name, '--kubernetes-version', '1.34.4', ...yes], { timeoutMs: 120_000 });
    assert.equal(table.stdout, `${name} runs Kubernetes 1.34.4: nothing to upgrade\n`);
    assert.doesNotMatch(table.stderr, /Apply with|Would set/);
    assert.equal(await bucketDigest(), before, `${yes}: nothing written`);
  }
  const { EC2Client, DescribeVpcsCommand } = await import('@aws-sdk/client-ec2');
  const ec2 = new EC2Client({ endpoint: moto.endpoint, region: 'us-east-2', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const vpcs = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:k8sup.io/cluster', Values: [name] }] }));
  ec2.destroy();
  assert.deepEqual(vpcs.Vpcs, [], 'nothing created in the cloud');
});

test("delete --cluster-id of another cluster of the same name: the hint's command deletes that one's objects, this store's cluster stays", { timeout: 300_000 }, async () => {
  const name = 'twice.k8s.local';
  const storeA = { ...env, K8SUP_STATE_STORE: `s3://${BUCKET}/first` };
  const storeB = { ...env, K8SUP_STATE_STORE: `s3://${BUCKET}/second` };
  const applied = await k8sup(['create', 'cluster', name, '--zones', 'us-east-2a', '--yes'], { env: storeA, timeoutMs: 300_000 });
  assert.equal(applied.code, 0, applied.stderr);
  const uidA = JSON.parse((await k8sup(['get', 'cluster', name, '-o', 'json'], { env: storeA })).stdout).metadata.uid;
  assert.equal((await k8sup(['create', 'cluster', name, '--zones', 'us-east-2a'], { env: storeB })).code, 0);
  const uidB = JSON.parse((await k8sup(['get', 'cluster', name, '-o', 'json'], { env: storeB })).stdout).metadata.uid;
  const { EC2Client, DescribeVpcsCommand } = await import('@aws-sdk/client-ec2');
  const ec2 = new EC2Client({ endpoint: moto.endpoint, region: 'us-east-2', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const vpcs = async () => (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:k8sup.io/cluster', Values: [name] }] }))).Vpcs ?? [];
  try {
    assert.equal((await vpcs()).length, 1);
    const refused = await k8sup(['delete', 'cluster', name, '--cluster-id', uidA, '--yes'], { env: storeB, timeoutMs: 120_000 });
    assert.equal(refused.code, 2, refused.stderr);
    const hinted = /^hint: drop --cluster-id, or delete the other cluster without its state: k8sup (delete cluster .*)$/m.exec(refused.stderr);
    assert.ok(hinted, refused.stderr);
    const before = await bucketDigest();
    const listed = await k8sup(hinted[1].split(' '), { env: storeB, timeoutMs: 120_000 });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /to delete/);
    assert.match(listed.stderr, new RegExp(`the twice\\.k8s\\.local of this state store \\(cluster id ${uidB}\\) stays`));
    assert.equal(await bucketDigest(), before, 'a listing writes nothing');
    const deleted = await k8sup([...hinted[1].split(' '), '--yes'], { env: storeB, timeoutMs: 300_000 });
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.deepEqual(await vpcs(), [], "the other cluster's objects are gone");
    assert.equal(JSON.parse((await k8sup(['get', 'cluster', name, '-o', 'json'], { env: storeB })).stdout).metadata.uid, uidB, "this store's cluster stays");
  } finally {
    ec2.destroy();
  }
});
