// `get instances` on moto through the CLI (issue 15: every machine, its group, zone, state, and whether it runs the
// current bootstrap): the cloud's instances joined with the bootstrap reports in the S3 state store, a changed
// launch template marking instances out of date, and a cloud that cannot be reached leaving the reports listed.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { k8sup, tempHome } from '../helpers/cli.js';
import { freePort } from '../helpers/net.js';
import { startMoto, type Moto } from '../helpers/moto.js';

let moto: Moto;
let env: Record<string, string>;
const home = tempHome();
const NAME = 'inst.k8s.local';
const BUCKET = 'k8sup-state';
const run = (args: string[], over: Record<string, string> = {}) => k8sup(args, { env: { ...env, ...over }, timeoutMs: 180_000 });
let s3: import('@aws-sdk/client-s3').S3Client;

before(async () => {
  moto = await startMoto();
  env = { HOME: home, ...moto.env, K8SUP_STATE_STORE: `s3://${BUCKET}/clusters` };
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
});
after(async () => {
  s3?.destroy();
  await moto?.stop();
});

interface Row { instance: string; group: string; role: string; zone?: string; cloudState?: string; version?: string; current?: boolean; state?: string; step?: string }

test('every instance with its group, zone, cloud state and current bootstrap, joined with its report', { timeout: 300_000 }, async () => {
  const created = await run(['create', 'cluster', NAME, '--zones', 'us-east-2a,us-east-2b', '--node-count', '2', '--yes']);
  assert.equal(created.code, 0, created.stderr);
  const first = await run(['get', 'instances', NAME, '-o', 'json']);
  assert.equal(first.code, 0, first.stderr);
  const rows: Row[] = JSON.parse(first.stdout).instances;
  assert.deepEqual(rows.map((r) => r.group).sort(), ['control-plane', 'nodes', 'nodes']);
  assert.ok(rows.every((r) => /^i-/.test(r.instance) && /^us-east-2[ab]$/.test(r.zone ?? '') && r.cloudState === 'InService' && r.current === true && /^lt-\w+:1$/.test(r.version ?? '')), first.stdout);

  // A node's report joins its row; the report of an instance the cloud no longer lists (replaced) stays, last.
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  const node = rows.find((r) => r.group === 'nodes')!;
  const now = new Date().toISOString();
  for (const [instance, state, step] of [[node.instance, 'done', 'done'], ['i-0gone', 'failed', 'kubeadm']]) {
    const report = { v: 1, instance, cluster: NAME, role: 'worker', group: 'nodes', step, state, attempt: 1, error: state === 'failed' ? 'kubeadm join exited with status 1' : '', time: now };
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `clusters/${NAME}/nodes/status/${instance}.json`, Body: JSON.stringify(report) }));
  }
  const joined: Row[] = JSON.parse((await run(['get', 'instances', NAME, '-o', 'json'])).stdout).instances;
  assert.equal(joined.length, 4);
  const nodeRow = joined.find((r) => r.instance === node.instance)!;
  assert.deepEqual([nodeRow.state, nodeRow.step, nodeRow.role, nodeRow.zone, nodeRow.current], ['done', 'done', 'worker', node.zone, true]);
  const gone = joined.at(-1) as Row & { error?: string };
  assert.deepEqual([gone.instance, gone.state, gone.step, gone.error, gone.cloudState, gone.current], ['i-0gone', 'failed', 'kubeadm', 'kubeadm join exited with status 1', undefined, undefined]);
  const table = await run(['get', 'instances', NAME]);
  assert.match(table.stdout, /^INSTANCE\s+GROUP\s+ROLE\s+STATE\s+STEP\s+ATTEMPT\s+ZONE\s+CLOUD STATE\s+CURRENT/m);
  assert.match(table.stdout, new RegExp(`^${node.instance}\\s+nodes\\s+worker\\s+done\\s+done\\s+1\\s+${node.zone}\\s+InService\\s+yes`, 'm'));

  // A new node machine type is a new launch template version: the nodes no longer run the current bootstrap.
  const spec = JSON.parse((await run(['get', 'cluster', NAME, '-o', 'json'])).stdout);
  spec.spec.nodeGroups[0].machineType = 't3.large';
  const { writeFileSync } = await import('node:fs');
  const file = `${home}/inst.json`;
  writeFileSync(file, JSON.stringify(spec));
  assert.equal((await run(['replace', '-f', file])).code, 0);
  const updated = await run(['update', 'cluster', NAME, '--yes']);
  assert.equal(updated.code, 0, updated.stderr);
  const outdated: Row[] = JSON.parse((await run(['get', 'instances', NAME, '-o', 'json'])).stdout).instances;
  assert.deepEqual(outdated.filter((r) => r.cloudState).map((r) => [r.group, r.current]).sort(), [['control-plane', true], ['nodes', false], ['nodes', false]]);

  // The cloud does not answer: a warning, and the reports are still listed (exit 0).
  const unreachable = await run(['get', 'instances', NAME, '-o', 'json'], { AWS_ENDPOINT_URL_EC2: `http://127.0.0.1:${await freePort()}`, AWS_ENDPOINT_URL_AUTO_SCALING: `http://127.0.0.1:${await freePort()}`, AWS_MAX_ATTEMPTS: '1' });
  assert.equal(unreachable.code, 0, unreachable.stderr);
  assert.match(unreachable.stderr, /warning: cannot list the instances of inst\.k8s\.local in the cloud/);
  assert.deepEqual(JSON.parse(unreachable.stdout).instances.map((r: Row) => r.instance).sort(), [node.instance, 'i-0gone'].sort());
});
