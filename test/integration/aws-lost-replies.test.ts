// The state store (S3) is reached directly: its own lost-reply suite is test/integration/state-s3.test.ts.
// Also: kill -9 in the middle of a delete, then the same delete again.
// Every mutating AWS call k8sup makes during a create, with its reply lost after moto executed it (the proxy resets
// the connection once per operation): the create still converges, the next plan is empty, nothing exists twice, and
// delete leaves nothing behind. This is the fault soak's "extra object made under a dropped reply", made
// deterministic: each create() must find the object its lost call made (tags, names, or the parent's children)
// instead of making a second one.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { k8sup, tempHome } from '../helpers/cli.js';
import { runKilledOnCall } from '../helpers/kill-on-call.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { startThrottleProxy, type ThrottleProxy } from '../helpers/throttle-proxy.js';
import { createAwsClients } from '../../providers/aws/clients.js';
import { taggedResources, total } from './aws-helpers.js';

// Each operation's first call loses its reply. Tag writes and attribute changes are in the list too: repeating them
// must be harmless.
const MUTATING = [
  'ec2:CreateVpc', 'ec2:ModifyVpcAttribute', 'ec2:CreateSubnet', 'ec2:ModifySubnetAttribute', 'ec2:CreateInternetGateway',
  'ec2:AttachInternetGateway', 'ec2:CreateRouteTable', 'ec2:AssociateRouteTable', 'ec2:CreateSecurityGroup',
  'ec2:AuthorizeSecurityGroupIngress', 'ec2:ImportKeyPair', 'ec2:CreateLaunchTemplate', 'ec2:CreateTags',
  'iam:CreateRole', 'iam:PutRolePolicy', 'iam:CreateInstanceProfile', 'iam:AddRoleToInstanceProfile',
  'elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateTargetGroup',
  'elasticloadbalancing:ModifyTargetGroupAttributes', 'elasticloadbalancing:CreateListener',
  'autoscaling:CreateAutoScalingGroup', 'autoscaling:AttachLoadBalancerTargetGroups',
];

let moto: Moto;
let proxy: ThrottleProxy;
let home: string;
let onCall: ((key: string) => void) | undefined;
before(async () => {
  moto = await startMoto();
  proxy = await startThrottleProxy(moto.endpoint, { throttleRate: 0, resetRate: 0, onCall: (key) => onCall?.(key) });
  home = tempHome();
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: 'k8sup-lossy', CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
});
after(async () => {
  await proxy?.stop();
  await moto?.stop();
});

const env = () => ({ HOME: home, ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, AWS_ENDPOINT_URL_S3: moto.endpoint, K8SUP_STATE_STORE: 's3://k8sup-lossy/state' });
const run = (...args: string[]) => k8sup(args, { env: env(), timeoutMs: 600_000 });

async function listenerCount(name: string): Promise<number> {
  const c = createAwsClients({ cluster: name, region: 'us-east-2', dnsZone: null, imageLookup: false }, { env: moto.env });
  let n = 0;
  for (const arn of (await taggedResources(moto.env, name)).loadBalancers) n += ((await c.elbv2.call('DescribeListeners', { LoadBalancerArn: arn })).Listeners ?? []).length;
  return n;
}

test('a lost reply on every mutating call of a create: converges, empty plan, no duplicates, clean delete', { timeout: 900_000 }, async () => {
  const clean = 'clean.k8s.local';
  const first = await run('create', 'cluster', clean, '--zones', 'us-east-2a', '--yes');
  assert.equal(first.code, 0, first.stderr);
  const yardstick = await taggedResources(moto.env, clean);
  const yardstickListeners = await listenerCount(clean);

  const name = 'lossy.k8s.local';
  proxy.resetStats();
  proxy.dropReplyOfNext(MUTATING);
  const created = await run('create', 'cluster', name, '--zones', 'us-east-2a', '--yes');
  assert.equal(created.code, 0, `${created.stderr}\nmoto:\n${moto.log()}`);
  assert.ok(proxy.stats.resetAfter >= 15, `replies were lost (${proxy.stats.resetAfter})`);
  const noop = await run('update', 'cluster', name, '--detailed-exitcode');
  assert.equal(noop.code, 0, `the plan after a create under lost replies is empty:\n${noop.stdout}`);
  const live = await taggedResources(moto.env, name);
  for (const [kind, ids] of Object.entries(yardstick)) assert.equal(live[kind].length, ids.length, `${kind}: ${live[kind].join(', ')}`);
  assert.equal(await listenerCount(name), yardstickListeners, 'one listener per load balancer port');

  const deleted = await run('delete', 'cluster', name, '--yes');
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(total(await taggedResources(moto.env, name)), 0);
  assert.equal((await run('delete', 'cluster', clean, '--yes')).code, 0);
});

test('kill -9 in the middle of delete: the same delete again finishes it (no unlock) and leaves nothing', { timeout: 900_000 }, async () => {
  const name = 'halfgone.k8s.local';
  const created = await run('create', 'cluster', name, '--zones', 'us-east-2a', '--yes');
  assert.equal(created.code, 0, created.stderr);
  // The load balancer goes after its listener and before the subnets: some objects are gone, most are not.
  const run9 = await runKilledOnCall(['delete', 'cluster', name, '--yes'], env(), 'elasticloadbalancing:DeleteLoadBalancer', (hook) => (onCall = hook));
  assert.ok(run9.killed, `never saw DeleteLoadBalancer:\n${run9.stderr}`);
  assert.equal(run9.signal, 'SIGKILL');
  assert.ok(total(await taggedResources(moto.env, name)) > 0, 'the killed delete left work to do');

  const again = await run('delete', 'cluster', name, '--yes');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /lock|took over|dead/i, 'the dead holder of the lock is taken over, not waited for');
  assert.equal(total(await taggedResources(moto.env, name)), 0);
  const listed = await run('get', 'clusters', '-o', 'json');
  assert.doesNotMatch(listed.stdout, /halfgone/, 'the state is gone too');
});
