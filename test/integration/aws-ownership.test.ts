// Cluster identity on AWS, through the real CLI against moto (state in S3 on the same moto):
//  - two state stores holding a cluster of the same name: the second never adopts, changes or deletes the first's
//    objects (exit 2, naming the object and both cluster ids);
//  - names that sanitise alike (x-y.k8s.local, x.y.k8s.local) get different load balancer / target group names;
//  - kill -9 right after the first IAM CreateRole: the journal holds the intent, so delete finds and removes the roles;
//  - the state is lost: deleting a re-created spec, or `delete --cloud aws --region R` without any state, removes
//    everything carrying the cluster's tags, instances included.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { k8sup, tempHome } from '../helpers/cli.js';
import { runKilledOnCall } from '../helpers/kill-on-call.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { startSerialWritesProxy, type SerialWritesProxy } from '../helpers/serial-writes-proxy.js';
import { startThrottleProxy, type ThrottleProxy } from '../helpers/throttle-proxy.js';
import { createAwsClients } from '../../providers/aws/clients.js';
import { iamPath } from '../../providers/aws/model/names.js';
import { taggedResources, total } from './aws-helpers.js';

const BUCKET = 'k8sup-owner';
let moto: Moto;
let s3Proxy: SerialWritesProxy;
let cloudProxy: ThrottleProxy;
let onCall: ((key: string) => void) | undefined;
let home: string;
let specDir: string;

const envFor = (store: string) => ({ HOME: home, ...moto.env, AWS_ENDPOINT_URL: cloudProxy.endpoint, AWS_ENDPOINT_URL_S3: s3Proxy.endpoint, K8SUP_STATE_STORE: store });
const run = (store: string, ...args: string[]) => k8sup(args, { env: envFor(store), timeoutMs: 240_000 });
const aws = () => createAwsClients({ cluster: 'x', region: 'us-east-2', dnsZone: null, imageLookup: false }, { env: moto.env });

/** A spec file; `create` mints the cluster's identity (metadata.uid) itself, whatever the file says. */
function specFile(name: string, label: string, zone = 'us-east-2a'): string {
  const path = join(specDir, `${name}-${label}.yaml`);
  writeFileSync(path, JSON.stringify({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name }, spec: { zones: [zone] } }));
  return path;
}

/** The identity create minted for the cluster in that store. */
async function uidOf(store: string, name: string): Promise<string> {
  const uid = JSON.parse((await run(store, 'get', 'cluster', name, '-o', 'json')).stdout).metadata.uid;
  assert.match(uid, /^[0-9a-f-]{36}$/);
  return uid;
}

async function s3() {
  const { S3Client } = await import('@aws-sdk/client-s3');
  return new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
}

/** Deletes every state object under `prefix` (the state is lost). */
async function loseState(prefix: string): Promise<void> {
  const { ListObjectsV2Command, DeleteObjectCommand } = await import('@aws-sdk/client-s3');
  const client = await s3();
  const keys = ((await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);
  assert.ok(keys.length > 0, `no state under ${prefix}`);
  for (const Key of keys) await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key }));
}

/** What store 1's cluster looks like where store 2 might have written: role policies, launch template versions. */
async function fingerprint(name: string): Promise<string> {
  const c = aws();
  const roles = ((await c.iam.call('ListRoles', { PathPrefix: iamPath(name) })).Roles ?? []).map((r: any) => r.RoleName).sort();
  const out: unknown[] = [];
  for (const RoleName of roles) {
    const policies = (await c.iam.call('ListRolePolicies', { RoleName })).PolicyNames ?? [];
    for (const PolicyName of policies) out.push([RoleName, PolicyName, (await c.iam.call('GetRolePolicy', { RoleName, PolicyName })).PolicyDocument]);
    out.push([RoleName, (await c.iam.call('ListRoleTags', { RoleName })).Tags]);
  }
  const lts = (await c.ec2.call('DescribeLaunchTemplates', { Filters: [{ Name: 'tag:k8sup.io/cluster', Values: [name] }] })).LaunchTemplates ?? [];
  out.push(lts.map((t: any) => [t.LaunchTemplateName, t.LatestVersionNumber, t.DefaultVersionNumber]).sort());
  out.push(Object.entries(await taggedResources(moto.env, name)).map(([k, v]) => [k, [...v].sort()]));
  return JSON.stringify(out);
}

before(async () => {
  moto = await startMoto();
  s3Proxy = await startSerialWritesProxy(moto.endpoint);
  cloudProxy = await startThrottleProxy(moto.endpoint, { throttleRate: 0, resetRate: 0, onCall: (key) => onCall?.(key) });
  home = tempHome();
  specDir = mkdtempSync(join(tmpdir(), 'k8sup-specs-'));
  const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
  await (await s3()).send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
});
after(async () => {
  await cloudProxy?.stop();
  await s3Proxy?.stop();
  await moto?.stop();
});

test('two state stores, one cluster name: the second refuses (exit 2) and never touches the first', { timeout: 900_000 }, async () => {
  const name = 'dup.k8s.local';
  const s1 = `s3://${BUCKET}/s1`;
  const s2 = `s3://${BUCKET}/s2`;
  const first = await run(s1, 'create', '-f', specFile(name, 'uid-store-one'), '--yes');
  assert.equal(first.code, 0, first.stderr);
  const one = await uidOf(s1, name);
  const tagged = await taggedResources(moto.env, name);
  assert.ok(tagged.roles.length === 2 && tagged.launchTemplates.length === 2 && tagged.instances.length > 0, JSON.stringify(tagged));
  const vpcTags = (await aws().ec2.call('DescribeVpcs', { VpcIds: tagged.vpcs })).Vpcs![0].Tags!;
  assert.ok(vpcTags.some((t: any) => t.Key === 'k8sup.io/cluster-id' && t.Value === one), 'resources carry the cluster id tag');
  const before = await fingerprint(name);

  // Store 2's create stores its spec (that is create's job) but refuses to apply over store 1's objects.
  const second = await run(s2, 'create', '-f', specFile(name, 'uid-store-two'));
  assert.equal(second.code, 0, second.stderr);
  const two = await uidOf(s2, name);
  assert.notEqual(two, one);
  assert.match(second.stderr, /did not look at the cloud/, 'the offline plan says it did not check the cloud');
  const plan = await run(s2, 'update', 'cluster', name);
  assert.equal(plan.code, 2, `the online plan sees the conflict:\n${plan.stdout}${plan.stderr}`);
  assert.match(plan.stderr, new RegExp(`belongs to another cluster named dup\\.k8s\\.local \\(cluster id ${one}\\).*\\(cluster id ${two}\\)`));
  assert.match(plan.stderr, /^hint: /m);
  const update = await run(s2, 'update', 'cluster', name, '--yes');
  assert.equal(update.code, 2, update.stderr);
  assert.match(update.stderr, new RegExp(one));
  assert.equal(await fingerprint(name), before, "store 2's update changed nothing of store 1's cluster");

  const del = await run(s2, 'delete', 'cluster', name, '--yes');
  assert.equal(del.code, 2, del.stderr);
  assert.match(del.stderr, new RegExp(`${one}.*${two}`));
  assert.equal(await fingerprint(name), before, "store 2's delete deleted nothing of store 1's cluster");
  assert.equal((await run(s2, 'get', 'cluster', name)).code, 0, 'a refused delete keeps the state');

  // Scoped to its own identity, store 2 forgets its never-applied cluster and still leaves store 1's alone.
  const own = await run(s2, 'delete', 'cluster', name, '--yes', '--cluster-id', two);
  assert.equal(own.code, 0, own.stderr);
  assert.match(own.stdout, /never applied/);
  assert.notEqual((await run(s2, 'get', 'cluster', name)).code, 0, "store 2's state is gone");
  assert.equal(await fingerprint(name), before);
  assert.equal((await run(s1, 'update', 'cluster', name, '--detailed-exitcode')).code, 0, 'store 1 plans zero changes');

  assert.equal((await run(s1, 'delete', 'cluster', name, '--yes')).code, 0);
  assert.equal(total(await taggedResources(moto.env, name)), 0);
});

test('x-y.k8s.local and x.y.k8s.local both apply: their load balancer names differ', { timeout: 900_000 }, async () => {
  const store = `s3://${BUCKET}/names`;
  const a = await run(store, 'create', '-f', specFile('x-y.k8s.local', 'uid-dashes', 'us-east-2b'), '--yes');
  assert.equal(a.code, 0, a.stderr);
  const b = await run(store, 'create', '-f', specFile('x.y.k8s.local', 'uid-dots', 'us-east-2b'), '--yes');
  assert.equal(b.code, 0, b.stderr);
  const lbs = async (name: string) => {
    const c = aws();
    const arns = (await taggedResources(moto.env, name)).loadBalancers;
    return ((await c.elbv2.call('DescribeLoadBalancers', { LoadBalancerArns: arns })).LoadBalancers ?? []).map((l: any) => l.LoadBalancerName);
  };
  const [na, nb] = [await lbs('x-y.k8s.local'), await lbs('x.y.k8s.local')];
  // Each has its public and its internal API load balancer; no name is shared.
  assert.equal(na.length, 2);
  assert.equal(nb.length, 2);
  assert.equal(new Set([...na, ...nb]).size, 4, `${na} / ${nb}`);
  for (const name of ['x-y.k8s.local', 'x.y.k8s.local']) {
    assert.equal((await run(store, 'update', 'cluster', name, '--detailed-exitcode')).code, 0, `${name} plans zero changes`);
    assert.equal((await run(store, 'delete', 'cluster', name, '--yes')).code, 0);
    assert.equal(total(await taggedResources(moto.env, name)), 0);
  }
});

test('kill -9 right after the first CreateRole: unlock, then delete --yes removes both roles', { timeout: 600_000 }, async () => {
  const name = 'killed.k8s.local';
  const store = `s3://${BUCKET}/killed`;
  const run9 = await runKilledOnCall(['create', '-f', specFile(name, 'uid-killed', 'us-east-2c'), '--yes'], envFor(store), 'iam:CreateRole', (hook) => (onCall = hook));
  assert.ok(run9.killed, `never saw a CreateRole:\n${run9.stderr}`);
  assert.equal(run9.signal, 'SIGKILL');
  // Wait (bounded) until moto has finished the forwarded CreateRole.
  for (let i = 0; i < 50 && (await taggedResources(moto.env, name)).roles.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok((await taggedResources(moto.env, name)).roles.length >= 1, 'the role was created');

  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  const lock = JSON.parse(await (await (await s3()).send(new GetObjectCommand({ Bucket: BUCKET, Key: `killed/${name}/lock.json` }))).Body!.transformToString());
  const unlocked = await run(store, 'unlock', 'cluster', name, '--lock-id', lock.id, '--yes');
  assert.equal(unlocked.code, 0, unlocked.stderr);

  const del = await run(store, 'delete', 'cluster', name, '--yes');
  assert.equal(del.code, 0, del.stderr);
  assert.doesNotMatch(del.stdout, /never applied/);
  const left = await taggedResources(moto.env, name);
  assert.equal(total(left), 0, `left behind: ${JSON.stringify(left)}`);
});

test('state lost: a re-created spec deletes the whole cluster; without any state, delete --cloud aws does', { timeout: 900_000 }, async () => {
  const name = 'lost.k8s.local';
  const store = `s3://${BUCKET}/lost`;
  const spec = specFile(name, 'uid-lost', 'us-east-2a');
  assert.equal((await run(store, 'create', '-f', spec, '--yes')).code, 0);
  const original = await uidOf(store, name);
  assert.ok((await taggedResources(moto.env, name)).instances.length > 0);
  await loseState(`lost/${name}/`);

  // Re-created from the saved spec, never applied from this state: delete still asks the cloud, and the objects it
  // finds carry the lost identity, not the new one, so it refuses (exit 2) rather than say "never applied".
  assert.equal((await run(store, 'create', '-f', spec)).code, 0);
  const fresh = await uidOf(store, name);
  const del = await run(store, 'delete', 'cluster', name, '--yes');
  assert.equal(del.code, 2, del.stderr);
  assert.doesNotMatch(del.stdout, /never applied|no cloud resources/);
  assert.match(del.stderr, /belongs to another cluster named lost\.k8s\.local/);
  assert.ok(total(await taggedResources(moto.env, name)) > 0, 'nothing deleted');
  // The new, never-applied state is forgotten by its own identity; the cloud objects stay for the stateless delete.
  assert.equal((await run(store, 'delete', 'cluster', name, '--yes', '--cluster-id', fresh)).code, 0);
  let left = await taggedResources(moto.env, name);

  // No state at all. A stray object of another cluster id under the same name makes the name ambiguous.
  const c = aws();
  const stray = (await c.ec2.call('CreateVpc', {
    CidrBlock: '10.9.0.0/16',
    TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'k8sup.io/cluster', Value: name }, { Key: 'k8sup.io/cluster-id', Value: 'uid-other' }, { Key: 'k8sup.io/id', Value: 'vpc' }] }],
  })).Vpc!.VpcId;
  const before = total(await taggedResources(moto.env, name));
  const ambiguous = await run(store, 'delete', 'cluster', name, '--cloud', 'aws', '--region', 'us-east-2', '--yes');
  assert.equal(ambiguous.code, 2, ambiguous.stderr);
  assert.match(ambiguous.stderr, new RegExp([original, 'uid-other'].sort().join(', ')));
  assert.match(ambiguous.stderr, /--cluster-id/);
  assert.equal(total(await taggedResources(moto.env, name)), before, 'nothing deleted');

  const dry = await run(store, 'delete', 'cluster', name, '--cloud', 'aws', '--region', 'us-east-2', '--cluster-id', original);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /to delete/);
  assert.equal(total(await taggedResources(moto.env, name)), before, 'without --yes nothing is deleted');

  const gone = await run(store, 'delete', 'cluster', name, '--cloud', 'aws', '--region', 'us-east-2', '--cluster-id', original, '--yes');
  assert.equal(gone.code, 0, gone.stderr);
  left = await taggedResources(moto.env, name);
  assert.deepEqual(left.vpcs, [stray], 'only the other cluster id is left');
  assert.equal(total(left), 1, `left behind: ${JSON.stringify(left)}`);
  await c.ec2.call('DeleteVpc', { VpcId: stray });
});

test('Route53: the API record carries the cluster id; a same-named cluster of another id is refused, then deletes only its own', { timeout: 120_000 }, async () => {
  const { dnsRecordHandler } = await import('../../providers/aws/resources/dns-record.js');
  const { InvalidInputError } = await import('../../src/core/errors.js');
  const { silentIo } = await import('../../src/core/io.js');
  const clients = createAwsClients({ cluster: 'dns.example.org', region: 'us-east-2', dnsZone: 'example.org', imageLookup: false }, { env: moto.env });
  await clients.route53.call('CreateHostedZone', { Name: 'example.org', CallerReference: 'k8sup-owner-test' });
  const ctx = (clusterId: string, otherClusters?: 'skip') => ({ clients, cluster: 'dns.example.org', clusterId, otherClusters, signal: new AbortController().signal, io: silentIo });
  const fields = { zoneName: 'example.org', name: 'api.dns.example.org', target: { dnsName: 'lb-1.elb.us-east-2.amazonaws.com', hostedZoneId: 'Z3AADJGX6KTTL2' } };
  await dnsRecordHandler.create({ kind: 'dns-record', id: 'dns-record/api', fields: {} }, fields, ctx('uid-a'));
  const mine = await dnsRecordHandler.list(ctx('uid-a'));
  assert.equal(mine.length, 1);
  assert.equal(mine[0].clusterId, 'uid-a');
  await assert.rejects(dnsRecordHandler.list(ctx('uid-b')), (e: unknown) => e instanceof InvalidInputError && /Route53 record api\.dns\.example\.org .*uid-a.*uid-b/.test((e as Error).message));
  assert.deepEqual(await dnsRecordHandler.list(ctx('uid-b', 'skip')), []);
  await dnsRecordHandler.delete(mine[0], ctx('uid-a'));
  assert.deepEqual(await dnsRecordHandler.list(ctx('uid-a')), []);
});
