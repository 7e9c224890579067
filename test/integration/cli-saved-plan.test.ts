// Saved plans and kubeconfig contexts through the built CLI against moto (state in S3 on the same moto):
// create --yes --admin writes a kubeconfig context (seen by real kubectl); the CI pipeline of docs/ci.md (plan job →
// plan.json artifact → apply job) applies exactly the reviewed plan of an admin-CIDR change, and refuses (exit 3,
// nothing applied) after an out-of-band change in the cloud or a new spec revision; delete --yes removes the
// context, user and cluster entries k8sup wrote and keeps the others.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { K8SUP, REPO, k8sup, tempHome } from '../helpers/cli.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { createAwsClients } from '../../providers/aws/clients.js';

const NAME = 'pipeline.k8s.local';
let moto: Moto;
let env: Record<string, string>;
let home: string;
let kubeconfig: string;

/** The shell scripts of docs/ci.md marked `<!-- pipeline:NAME -->`, run as they are. */
function pipelineScript(name: string): string {
  const doc = readFileSync(join(REPO, 'docs', 'ci.md'), 'utf8');
  const m = doc.match(new RegExp(`<!-- pipeline:${name} -->\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\``));
  assert.ok(m, `docs/ci.md has no pipeline:${name} script`);
  return m[1];
}

/** Runs a pipeline job in its own workspace folder, with k8sup on PATH as a CI image would have it. */
function job(name: string, workspace: string) {
  const bin = join(home, 'bin');
  mkdirSync(bin, { recursive: true });
  try {
    symlinkSync(K8SUP, join(bin, 'k8sup'));
  } catch {
    /* already linked */
  }
  const r = spawnSync('bash', ['-c', pipelineScript(name)], {
    cwd: workspace,
    env: { PATH: `${bin}:${process.env.PATH}`, K8SUP_PROGRESS: 'plain', ...env, K8SUP_CLUSTER_NAME: NAME } as NodeJS.ProcessEnv,
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const run = (...args: string[]) => k8sup(args, { env, timeoutMs: 300_000 });
const contexts = () => execFileSync('kubectl', ['config', 'get-contexts', '-o', 'name'], { env: { ...process.env, KUBECONFIG: kubeconfig }, encoding: 'utf8' }).trim().split('\n').filter(Boolean).sort();

async function apiRules(): Promise<string[]> {
  const c = createAwsClients({ cluster: NAME, region: 'us-east-2', dnsZone: null, imageLookup: false }, { env: moto.env });
  const res = await c.ec2.call('DescribeSecurityGroups', { Filters: [{ Name: 'tag:k8sup.io/id', Values: ['security-group/control-plane'] }, { Name: 'tag:k8sup.io/cluster', Values: [NAME] }] });
  return (res.SecurityGroups![0].IpPermissions ?? []).filter((p: any) => p.FromPort === 6443).flatMap((p: any) => (p.IpRanges ?? []).map((r: any) => r.CidrIp)).sort();
}

async function controlPlaneGroupId(): Promise<string> {
  const c = createAwsClients({ cluster: NAME, region: 'us-east-2', dnsZone: null, imageLookup: false }, { env: moto.env });
  const res = await c.ec2.call('DescribeSecurityGroups', { Filters: [{ Name: 'tag:k8sup.io/id', Values: ['security-group/control-plane'] }, { Name: 'tag:k8sup.io/cluster', Values: [NAME] }] });
  return res.SecurityGroups![0].GroupId!;
}

before(async () => {
  moto = await startMoto();
  home = tempHome();
  kubeconfig = join(home, 'kube', 'config');
  mkdirSync(join(home, 'kube'));
  // A kubeconfig that already holds someone else's context: it must survive create and delete.
  writeFileSync(
    kubeconfig,
    'apiVersion: v1\nkind: Config\nclusters:\n- name: other\n  cluster: {server: "https://127.0.0.1:1"}\nusers:\n- name: other\n  user: {token: abc}\ncontexts:\n- name: other-ctx\n  context: {cluster: other, user: other}\ncurrent-context: other-ctx\n',
    { mode: 0o600 },
  );
  env = { HOME: home, ...moto.env, K8SUP_STATE_STORE: 's3://k8sup-state/clusters', KUBECONFIG: kubeconfig };
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: 'k8sup-state', CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
});
after(async () => {
  await moto?.stop();
});

async function replaceSpec(change: (doc: any) => void) {
  const doc = parse((await run('get', 'cluster', NAME, '-o', 'yaml')).stdout);
  change(doc);
  delete doc.metadata.revision;
  const file = join(home, 'cluster.yaml');
  writeFileSync(file, JSON.stringify(doc));
  return run('replace', '-f', file);
}

test('saved plans through the docs/ci.md pipeline, kubeconfig written by --admin and removed by delete', { timeout: 900_000 }, async () => {
  const created = await run('create', 'cluster', NAME, '--zones', 'us-east-2a', '--admin-access', '198.51.100.0/24', '--yes', '--admin');
  assert.equal(created.code, 0, created.stderr);
  assert.deepEqual(contexts(), ['other-ctx', NAME].sort(), 'create --yes --admin writes the context, keeps the others');
  const written = parse(readFileSync(kubeconfig, 'utf8'));
  assert.equal(written['current-context'], NAME);
  assert.match(written.clusters.find((c: any) => c.name === NAME).cluster.server, /^https:\/\/.*elb.*:6443$/);

  // Fields that cannot change on an applied cluster are refused, nothing written.
  const immutable = await replaceSpec((d) => (d.spec.networking.networkCIDR = '10.10.0.0/16'));
  assert.equal(immutable.code, 2, immutable.stderr);
  assert.match(immutable.stderr, /spec\.networking\.networkCIDR cannot change on an applied cluster/);
  assert.match(immutable.stderr, /hint: set spec\.networking\.networkCIDR back to "172\.20\.0\.0\/16"/);

  // One admin CIDR changes: the plan job saves a plan that shows the rule that goes and the rule that comes.
  assert.equal((await replaceSpec((d) => (d.spec.api.adminAccess = ['192.0.2.0/24']))).code, 0);
  const planWs = mkdtempSync(join(home, 'plan-job-'));
  const planned = job('plan', planWs);
  assert.equal(planned.code, 0, planned.stderr);
  assert.match(planned.stdout, /changes=pending/);
  const planText = readFileSync(join(planWs, 'plan.txt'), 'utf8');
  assert.match(planText, /- \{ protocol = "tcp", fromPort = 6443, toPort = 6443, cidr = "198\.51\.100\.0\/24" \}/);
  assert.match(planText, /\+ \{ protocol = "tcp", fromPort = 6443, toPort = 6443, cidr = "192\.0\.2\.0\/24" \}/);
  const saved = JSON.parse(readFileSync(join(planWs, 'plan.json'), 'utf8'));
  assert.deepEqual([saved.kind, saved.cluster, saved.specRevision], ['k8sup.io/SavedPlan', NAME, 2]);
  assert.match(saved.liveDigest, /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual(saved.plan.steps.filter((s: any) => s.action !== 'noop').map((s: any) => [s.id, s.action]), [['security-group-rules/control-plane', 'update']]);

  // Someone changes the cloud by hand before the apply job runs: the saved plan is stale, nothing is applied.
  const c = createAwsClients({ cluster: NAME, region: 'us-east-2', dnsZone: null, imageLookup: false }, { env: moto.env });
  await c.ec2.call('AuthorizeSecurityGroupIngress', { GroupId: await controlPlaneGroupId(), IpPermissions: [{ IpProtocol: 'tcp', FromPort: 6443, ToPort: 6443, IpRanges: [{ CidrIp: '203.0.113.7/32' }] }] });
  const applyWs = mkdtempSync(join(home, 'apply-job-'));
  copyFileSync(join(planWs, 'plan.json'), join(applyWs, 'plan.json')); // the artifact
  const stale = job('apply', applyWs);
  assert.equal(stale.code, 3, stale.stderr);
  assert.match(stale.stderr, /cloud resources of pipeline\.k8s\.local changed since the plan was saved; nothing was applied/);
  assert.deepEqual(await apiRules(), ['172.20.0.0/16', '198.51.100.0/24', '203.0.113.7/32'], 'nothing was applied');

  // Plan again (it now also removes the hand-made rule), approve, apply: exactly that plan is applied.
  const replanned = job('plan', planWs);
  assert.equal(replanned.code, 0, replanned.stderr);
  assert.match(readFileSync(join(planWs, 'plan.txt'), 'utf8'), /- \{ protocol = "tcp", fromPort = 6443, toPort = 6443, cidr = "203\.0\.113\.7\/32" \}/);
  copyFileSync(join(planWs, 'plan.json'), join(applyWs, 'plan.json'));
  const applied = job('apply', applyWs);
  assert.equal(applied.code, 0, applied.stderr);
  assert.deepEqual(await apiRules(), ['172.20.0.0/16', '192.0.2.0/24']);
  assert.equal((await run('update', 'cluster', NAME, '--detailed-exitcode')).code, 0, 'nothing left to do');

  // A new spec revision after the plan was saved: refused, nothing applied.
  const noChange = job('plan', planWs);
  assert.match(noChange.stdout, /changes=none/);
  copyFileSync(join(planWs, 'plan.json'), join(applyWs, 'plan.json'));
  assert.equal((await replaceSpec((d) => (d.spec.api.adminAccess = ['192.0.2.0/24', '198.18.0.0/15']))).code, 0);
  const moved = job('apply', applyWs);
  assert.equal(moved.code, 3, moved.stderr);
  assert.match(moved.stderr, /spec of pipeline\.k8s\.local changed since the plan was saved \(revision 2 then, 3 now\); nothing was applied/);
  assert.deepEqual(await apiRules(), ['172.20.0.0/16', '192.0.2.0/24'], 'nothing was applied');

  // update --yes --admin=1h applies and writes a context whose credential lives one hour.
  const withAdmin = await run('update', 'cluster', NAME, '--yes', '--admin=1h');
  assert.equal(withAdmin.code, 0, withAdmin.stderr);
  const until = new Date(withAdmin.stderr.match(/valid until (\S+)\)/)![1]).getTime();
  assert.ok(Math.abs(until - Date.now() - 3_600_000) < 5 * 60_000, withAdmin.stderr);
  assert.deepEqual(await apiRules(), ['172.20.0.0/16', '192.0.2.0/24', '198.18.0.0/15']);

  // delete --yes removes what k8sup wrote, only that.
  const deleted = await run('delete', 'cluster', NAME, '--yes');
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.match(deleted.stderr, /Removed context pipeline\.k8s\.local, cluster pipeline\.k8s\.local, user pipeline\.k8s\.local from/);
  assert.deepEqual(contexts(), ['other-ctx']);
  const left = parse(readFileSync(kubeconfig, 'utf8'));
  assert.deepEqual([left.clusters.map((x: any) => x.name), left.users.map((x: any) => x.name)], [['other'], ['other']]);
});
