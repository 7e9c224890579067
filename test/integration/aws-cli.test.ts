// The headline use, through the real CLI against moto with the state in an S3 bucket on the same moto:
// create --yes, a no-op update, a resize that plans exactly one ASG update, export kubeconfig, and an exact delete
// that leaves a second cluster untouched.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { k8sup, tempHome } from '../helpers/cli.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { startSerialWritesProxy, type SerialWritesProxy } from '../helpers/serial-writes-proxy.js';
import { taggedResources, total } from './aws-helpers.js';
import { pinnedSha256 } from '../helpers/loader.js';
import { decodeUserData } from '../../providers/aws/resources/launch-template.js';

let moto: Moto;
let proxy: SerialWritesProxy;
let env: Record<string, string>;
let home: string;

before(async () => {
  moto = await startMoto();
  proxy = await startSerialWritesProxy(moto.endpoint);
  home = tempHome();
  env = { HOME: home, ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, K8SUP_STATE_STORE: 's3://k8sup-state/clusters' };
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: 'k8sup-state', CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
});
after(async () => {
  await proxy?.stop();
  await moto?.stop();
});

const run = (...args: string[]) => k8sup(args, { env, timeoutMs: 180_000 });

test('create --yes, no-op update, resize, kubeconfig, exact delete', { timeout: 600_000 }, async () => {
  const other = await run('create', 'cluster', 'other.k8s.local', '--zones', 'us-east-2b', '--yes');
  assert.equal(other.code, 0, other.stderr);
  const otherBefore = await taggedResources(moto.env, 'other.k8s.local');

  const created = await run('create', 'cluster', 'demo.k8s.local', '--zones', 'us-east-2a', '--yes');
  assert.equal(created.code, 0, created.stderr);
  const tagged = await taggedResources(moto.env, 'demo.k8s.local');
  for (const kind of ['vpcs', 'subnets', 'internetGateways', 'routeTables', 'securityGroups', 'launchTemplates', 'autoScalingGroups', 'roles', 'instanceProfiles', 'loadBalancers', 'targetGroups']) {
    assert.ok(tagged[kind]?.length > 0, `no ${kind} tagged for demo.k8s.local`);
  }
  // Every launch template's user data is a loader whose pinned bundle apply wrote to the state store first.
  const bundles = await bundleKeys('demo.k8s.local');
  assert.ok(bundles.length >= 2, bundles.join(', '));
  for (const userData of await launchTemplateUserData('demo.k8s.local')) {
    assert.ok(bundles.includes(`clusters/demo.k8s.local/bootstrap/bundles/${pinnedSha256(userData)}.sh`), `the bundle of\n${userData.slice(0, 300)}`);
  }

  const noop = await run('update', 'cluster', 'demo.k8s.local', '--detailed-exitcode');
  assert.equal(noop.code, 0, `a second plan right after apply must be empty:\n${noop.stdout}${noop.stderr}`);
  assert.match(noop.stdout, /0 to create, 0 to update, 0 to replace, 0 to delete/);

  const doc = parse((await run('get', 'cluster', 'demo.k8s.local', '-o', 'yaml')).stdout);
  doc.spec.nodeGroups[0].minSize = 3;
  doc.spec.nodeGroups[0].maxSize = 3;
  const file = join(home, 'demo.yaml');
  writeFileSync(file, JSON.stringify(doc));
  assert.equal((await run('replace', '-f', file)).code, 0);
  const pending = await run('update', 'cluster', 'demo.k8s.local', '--detailed-exitcode', '-o', 'json');
  assert.equal(pending.code, 5, pending.stderr);
  const plan = JSON.parse(pending.stdout);
  const changed = plan.steps.filter((s: any) => s.action !== 'noop');
  assert.deepEqual(changed.map((s: any) => [s.kind, s.action]), [['autoscaling-group', 'update']]);
  assert.deepEqual(changed[0].changes.map((c: any) => c.field).sort(), ['desiredCapacity', 'maxSize', 'minSize'].filter((f) => changed[0].changes.some((c: any) => c.field === f)).sort());

  const applied = async () => JSON.parse((await run('get', 'clusters', '-o', 'json')).stdout).find((c: any) => c.name === 'demo.k8s.local');
  assert.deepEqual([(await applied()).revision, (await applied()).appliedRevision], [2, 1], 'revision 2 is not applied yet');
  const resized = await run('update', 'cluster', 'demo.k8s.local', '--yes');
  assert.equal(resized.code, 0, resized.stderr);
  assert.equal((await applied()).appliedRevision, 2);
  assert.equal((await run('update', 'cluster', 'demo.k8s.local', '--detailed-exitcode')).code, 0);

  const kubeconfig = join(home, 'kubeconfig');
  const exported = await run('export', 'kubeconfig', 'demo.k8s.local', '--kubeconfig', kubeconfig);
  assert.equal(exported.code, 0, exported.stderr);
  assert.doesNotMatch(exported.stderr, /not been applied/);
  assert.match(parse((await import('node:fs')).readFileSync(kubeconfig, 'utf8')).clusters[0].cluster.server, /^https:\/\/.*elb.*:6443$/);

  const beforeDelete = total(await taggedResources(moto.env, 'demo.k8s.local'));
  const dry = await run('delete', 'cluster', 'demo.k8s.local');
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /to delete/);
  assert.equal(total(await taggedResources(moto.env, 'demo.k8s.local')), beforeDelete, 'delete without --yes deletes nothing');

  const deleted = await run('delete', 'cluster', 'demo.k8s.local', '--yes');
  assert.equal(deleted.code, 0, deleted.stderr);
  const left = await taggedResources(moto.env, 'demo.k8s.local');
  assert.equal(total(left), 0, `left behind: ${JSON.stringify(left)}`);
  assert.notEqual((await run('get', 'cluster', 'demo.k8s.local')).code, 0, 'state removed');
  assert.deepEqual(await bundleKeys('demo.k8s.local'), [], 'bundles removed with the state');
  assert.deepEqual(await taggedResources(moto.env, 'other.k8s.local'), otherBefore, 'the other cluster is untouched');
});

async function bundleKeys(cluster: string): Promise<string[]> {
  const { S3Client, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  try {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'k8sup-state', Prefix: `clusters/${cluster}/bootstrap/bundles/` }));
    return (listed.Contents ?? []).map((o) => o.Key!);
  } finally {
    s3.destroy();
  }
}

async function launchTemplateUserData(cluster: string): Promise<string[]> {
  const { EC2Client, DescribeLaunchTemplatesCommand, DescribeLaunchTemplateVersionsCommand } = await import('@aws-sdk/client-ec2');
  const ec2 = new EC2Client({ endpoint: moto.endpoint, region: 'us-east-2', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  try {
    const { LaunchTemplates = [] } = await ec2.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: 'tag:k8sup.io/cluster', Values: [cluster] }] }));
    assert.ok(LaunchTemplates.length >= 2);
    const out: string[] = [];
    for (const lt of LaunchTemplates) {
      const { LaunchTemplateVersions = [] } = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: lt.LaunchTemplateId, Versions: ['$Latest'] }));
      out.push(decodeUserData(LaunchTemplateVersions[0].LaunchTemplateData!.UserData!));
    }
    return out;
  } finally {
    ec2.destroy();
  }
}

test('Ctrl-C in the middle of create --yes: the lock is released and update --yes resumes with nothing duplicated', { timeout: 600_000 }, async () => {
  const name = 'interrupted.k8s.local';
  const { spawn } = await import('node:child_process');
  const { K8SUP } = await import('../helpers/cli.js');
  const child = spawn(process.execPath, [K8SUP, 'create', 'cluster', name, '--zones', 'us-east-2c', '--yes', '--progress', 'ndjson'], {
    env: { PATH: process.env.PATH, ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let interrupted = false;
  child.stdout.resume();
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  child.stderr.on('data', (d) => {
    stderr += d;
    const done = stderr.split('\n').filter((l) => l.includes('"code":"task.done"')).length;
    if (done >= 4 && !interrupted) {
      interrupted = true;
      child.kill('SIGINT');
    }
  });
  const code = await exited;
  assert.ok(interrupted, `never saw 4 finished tasks:\n${stderr}`);
  assert.equal(code, 130, stderr); // 128 + SIGINT, after the tasks in flight finished and the lock was released
  // Progress was NDJSON through the interrupt: every stderr line is one JSON event, the last the result.
  const events = stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.ok(events.some((e) => e.code === 'apply.start'));
  assert.ok(events.some((e) => e.code === 'run.interrupted' && e.level === 'warn'));
  assert.ok(events.every((e) => typeof e.code === 'string' && typeof e.time === 'string'));
  assert.deepEqual([events.at(-1).code, events.at(-1).exitCode], ['result', 130]);
  const partial = total(await taggedResources(moto.env, name));
  assert.ok(partial > 0, 'some resources were created before the interrupt');

  const resumed = await run('update', 'cluster', name, '--yes');
  assert.equal(resumed.code, 0, `the lock was left behind or the resume failed:\n${resumed.stderr}`);
  assert.equal((await run('update', 'cluster', name, '--detailed-exitcode')).code, 0);
  const counts = Object.fromEntries(Object.entries(await taggedResources(moto.env, name)).map(([k, v]) => [k, v.length]));
  for (const kind of ['vpcs', 'subnets', 'internetGateways', 'routeTables']) assert.equal(counts[kind], 1, `${kind}: ${counts[kind]}`);
  // The public (admins) and the internal (nodes, joiners) API load balancer, each with its target group.
  for (const kind of ['loadBalancers', 'targetGroups']) assert.equal(counts[kind], 2, `${kind}: ${counts[kind]}`);
  assert.equal(counts.autoScalingGroups, 2);
  assert.equal(counts.launchTemplates, 2);
  assert.equal((await run('delete', 'cluster', name, '--yes')).code, 0);
  assert.equal(total(await taggedResources(moto.env, name)), 0);
});

test('--target terraform writes main.tf.json and data/ without calling any cloud API', { timeout: 120_000 }, async () => {
  const out = join(home, 'tf');
  // Every AWS service but S3 (the state store) points at a closed port: any cloud call would fail the command.
  const offline = { ...env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ENDPOINT_URL_S3: proxy.endpoint };
  const r = await k8sup(['create', 'cluster', 'tf.k8s.local', '--zones', 'us-east-2a', '--target', 'terraform', '--out', out], { env: offline });
  assert.equal(r.code, 0, r.stderr);
  const { readFileSync, readdirSync } = await import('node:fs');
  const main = JSON.parse(readFileSync(join(out, 'main.tf.json'), 'utf8'));
  for (const type of ['aws_vpc', 'aws_subnet', 'aws_internet_gateway', 'aws_security_group', 'aws_iam_role', 'aws_launch_template', 'aws_autoscaling_group', 'aws_lb', 'aws_lb_target_group']) {
    assert.ok(main.resource[type], `no ${type} in main.tf.json`);
  }
  assert.ok(readdirSync(join(out, 'data')).length > 0, 'user data goes to data/');
  assert.doesNotMatch(readFileSync(join(out, 'main.tf.json'), 'utf8'), /PRIVATE KEY/);
  assert.equal(total(await taggedResources(moto.env, 'tf.k8s.local')), 0, 'nothing was created');
});

test('create --yes with a zone the account cannot use: exit 2 and nothing written to the store or the cloud', { timeout: 120_000 }, async () => {
  const { S3Client, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const keys = async () => ((await s3.send(new ListObjectsV2Command({ Bucket: 'k8sup-state' }))).Contents ?? []).map((o) => `${o.Key}@${o.ETag}`).sort();
  const before = await keys();
  // us-west-1c is a real zone name, but this account (moto) only offers us-west-1a and us-west-1b.
  const r = await run('create', 'cluster', 'nozone.k8s.local', '--zones', 'us-west-1c', '--yes');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /us-west-1c/);
  assert.match(r.stderr, /^hint: /m);
  assert.deepEqual(await keys(), before, 'the state store is unchanged');
  assert.equal(total(await taggedResources({ ...moto.env, AWS_REGION: 'us-west-1' }, 'nozone.k8s.local')), 0);
});

test('on a terminal, apply progress is one live listr2 task that ends with the count of finished resources', { timeout: 180_000 }, async () => {
  const { spawn } = await import('node:child_process');
  const { K8SUP } = await import('../helpers/cli.js');
  // `script` (util-linux, always on Debian) gives the command a pseudo-terminal, as a person's shell would; stty gives
  // it a width (a bare pty reports none, and k8sup then falls back to plain lines).
  const command = ['stty', 'cols', '120', 'rows', '40'].join(' ') + ' && ' + [process.execPath, K8SUP, 'create', 'cluster', 'tty.k8s.local', '--zones', 'us-east-2b', '--yes'].map((a) => `'${a}'`).join(' ');
  // Asynchronously: the S3 proxy in front of moto runs in this process and must keep serving meanwhile.
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    env: { PATH: process.env.PATH, TERM: 'xterm', ...env, K8SUP_PROGRESS: 'auto' } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  const r = { status, stdout };
  const screen = r.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  assert.equal(r.status, 0, screen);
  assert.match(screen, /Applying: (\d+)\/\1 done/, 'the listr2 task ends with every resource done');
  assert.doesNotMatch(screen, /task\.start|"code"|: create done/, 'no plain or NDJSON progress lines on a terminal');
  assert.doesNotMatch(screen, /MaxListenersExceeded/);
  assert.equal((await run('delete', 'cluster', 'tty.k8s.local', '--yes')).code, 0);
});
