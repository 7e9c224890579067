// Issue 17: a create that could not have been made before skips looking for its earlier object. The engine tells each
// create whether an earlier call may have made it (EarlierCreate, from the journal's intents and the attempt); the
// AWS kinds that look first (VPC, subnet, route table, gateways, load balancer, listener, Auto Scaling group) do so
// only then. Crash safety is the point of looking first, so each way an earlier call can have made the object is here:
//  - a first create looks for nothing (the calls are recorded whole, between the fault proxy and moto);
//  - a reply lost after moto made the object (the fault proxy resets the connection): the retry looks first and
//    adopts — no second VPC, no second CreateAutoScalingGroup;
//  - kill -9 between the create call and its record, and the re-run's listing not showing the object yet (an
//    eventually consistent describe, which moto never is): the journal's intent makes the re-run look first — one
//    VPC, one of each group, nothing left after delete.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { k8sup, tempHome } from '../helpers/cli.js';
import { runKilledOnCall } from '../helpers/kill-on-call.js';
import { filterValues, startLaggingListingProxy, type LaggingListingProxy, type SeenCall } from '../helpers/lagging-listing-proxy.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { startThrottleProxy, type ThrottleProxy } from '../helpers/throttle-proxy.js';
import { taggedResources, total } from './aws-helpers.js';

const BUCKET = 'k8sup-first-create';
const TAG_CLUSTER = 'tag:k8sup.io/cluster';
const TAG_ID = 'tag:k8sup.io/id';
let moto: Moto;
let lagging: LaggingListingProxy;
let proxy: ThrottleProxy;
let home: string;
let specDir: string;
let onCall: ((key: string) => void) | undefined;

before(async () => {
  moto = await startMoto();
  lagging = await startLaggingListingProxy(moto.endpoint);
  proxy = await startThrottleProxy(lagging.endpoint, { throttleRate: 0, resetRate: 0, onCall: (key) => onCall?.(key) });
  home = tempHome();
  specDir = mkdtempSync(join(tmpdir(), 'k8sup-first-create-'));
  await moto.createBucket(BUCKET);
});
after(async () => {
  await proxy?.stop();
  await lagging?.stop();
  await moto?.stop();
});

// The state store is reached directly: only cloud calls go through the proxies.
const env = () => ({ HOME: home, ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, AWS_ENDPOINT_URL_S3: moto.endpoint, K8SUP_STATE_STORE: `s3://${BUCKET}/state` });
const run = (...args: string[]) => k8sup(args, { env: env(), timeoutMs: 600_000 });

function specFile(name: string): string {
  const path = join(specDir, `${name}.yaml`);
  writeFileSync(path, JSON.stringify({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name }, spec: { zones: ['us-east-2a'] } }));
  return path;
}

/** The calls of one cluster's run that look for one object by its graph id (tag filter) or an Auto Scaling group by name. */
function lookups(calls: readonly SeenCall[], name: string): { action: string; what: string }[] {
  const out: { action: string; what: string }[] = [];
  for (const c of calls) {
    if (!c.action.startsWith('Describe')) continue;
    const ids = filterValues(c.params, TAG_ID);
    if (ids && filterValues(c.params, TAG_CLUSTER)?.includes(name)) out.push({ action: c.action, what: ids.join(',') });
    const group = c.params.get('AutoScalingGroupNames.member.1');
    if (c.action === 'DescribeAutoScalingGroups' && group?.endsWith(`.${name}`)) out.push({ action: c.action, what: group });
  }
  return out;
}

const groupCreates = (calls: readonly SeenCall[], group: string) => calls.filter((c) => c.action === 'CreateAutoScalingGroup' && c.params.get('AutoScalingGroupName') === group).length;

/** Polls (bounded: 30 s, for a loaded machine) until moto holds what a forwarded call of a killed run made. */
async function until(what: string, done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what} never appeared`);
}

async function assertConvergedAndDelete(name: string): Promise<void> {
  const noop = await run('update', 'cluster', name, '--detailed-exitcode');
  assert.equal(noop.code, 0, `the plan after the re-run is empty:\n${noop.stdout}`);
  const deleted = await run('delete', 'cluster', name, '--yes');
  assert.equal(deleted.code, 0, deleted.stderr);
  const left = await taggedResources(moto.env, name);
  assert.equal(total(left), 0, `left behind: ${JSON.stringify(left)}`);
}

test('a first create looks for no earlier object; a retry after a lost reply looks first and adopts', { timeout: 900_000 }, async () => {
  const clean = 'fresh.k8s.local';
  lagging.calls.length = 0;
  const first = await run('create', '-f', specFile(clean), '--yes');
  assert.equal(first.code, 0, first.stderr);
  const yardstick = await taggedResources(moto.env, clean);
  const groups = yardstick.autoScalingGroups;
  assert.ok(groups.length >= 2, `control plane and nodes: ${groups.join(', ')}`);
  // Discovery lists by cluster tag; no create of a fresh cluster looks for its own object by graph id or name first.
  assert.deepEqual(lookups(lagging.calls, clean).filter((l) => l.action !== 'DescribeAutoScalingGroups'), [], 'no look-first describes');
  for (const g of groups) {
    const named = lagging.calls.filter((c) => c.params.get('AutoScalingGroupName') === g || c.params.get('AutoScalingGroupNames.member.1') === g);
    assert.equal(named[0]?.action, 'CreateAutoScalingGroup', `${g}: the first call naming it is its create`);
  }
  assert.equal((await run('delete', 'cluster', clean, '--yes')).code, 0);

  const lossy = 'lossy-first.k8s.local';
  lagging.calls.length = 0;
  proxy.resetStats();
  proxy.dropReplyOfNext(['ec2:CreateVpc', 'ec2:CreateSubnet', 'autoscaling:CreateAutoScalingGroup']);
  const created = await run('create', '-f', specFile(lossy), '--yes');
  assert.equal(created.code, 0, `${created.stderr}\nmoto:\n${moto.log()}`);
  assert.equal(proxy.stats.resetAfter, 3, 'three replies were lost after moto did the work');
  const live = await taggedResources(moto.env, lossy);
  for (const [kind, ids] of Object.entries(yardstick)) assert.equal(live[kind].length, ids.length, `${kind}: as many as a clean create made (${live[kind].join(', ')})`);
  const looked = lookups(lagging.calls, lossy);
  assert.ok(looked.some((l) => l.action === 'DescribeVpcs' && l.what === 'vpc'), `the VPC's retry looked first: ${JSON.stringify(looked)}`);
  // The group whose reply was lost is found by its retry's lookup, not created (and refused) a second time.
  const lostGroup = lagging.calls.find((c) => c.action === 'CreateAutoScalingGroup')!.params.get('AutoScalingGroupName')!;
  assert.equal(groupCreates(lagging.calls, lostGroup), 1, `${lostGroup}: created once, adopted by its retry`);
  assert.ok(looked.some((l) => l.action === 'DescribeAutoScalingGroups' && l.what === lostGroup), `${lostGroup}: its retry looked first`);
  await assertConvergedAndDelete(lossy);
});

test('kill -9 after CreateVpc, re-run while the listing does not show it yet: the intent makes the create look first (one VPC)', { timeout: 900_000 }, async () => {
  const name = 'killed-vpc.k8s.local';
  const spec = specFile(name);
  const run9 = await runKilledOnCall(['create', '-f', spec, '--yes'], env(), 'ec2:CreateVpc', (hook) => (onCall = hook));
  assert.ok(run9.killed, `never saw CreateVpc:\n${run9.stderr}`);
  assert.equal(run9.signal, 'SIGKILL');
  await until('the killed run\'s VPC', async () => (await taggedResources(moto.env, name)).vpcs.length === 1);

  // The re-run's discovery does not see the VPC yet; a lookup by graph id does.
  lagging.calls.length = 0;
  lagging.lagNext(
    (c) => c.action === 'DescribeVpcs' && !filterValues(c.params, TAG_ID) && !!filterValues(c.params, TAG_CLUSTER)?.includes(name),
    '<?xml version="1.0" encoding="UTF-8"?><DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>lagging-1</requestId><vpcSet/></DescribeVpcsResponse>',
  );
  const again = await run('create', '-f', spec, '--yes');
  assert.equal(again.code, 0, again.stderr);
  assert.ok(lookups(lagging.calls, name).some((l) => l.action === 'DescribeVpcs' && l.what === 'vpc'), 'the re-run looked for the VPC before creating it');
  const live = await taggedResources(moto.env, name);
  assert.equal(live.vpcs.length, 1, `one VPC, not a second beside the killed run's: ${live.vpcs.join(', ')}`);
  await assertConvergedAndDelete(name);
});

test('kill -9 after CreateAutoScalingGroup, re-run while the listing does not show it yet: no duplicate group, no orphan', { timeout: 900_000 }, async () => {
  const name = 'killed-asg.k8s.local';
  const spec = specFile(name);
  lagging.calls.length = 0;
  const run9 = await runKilledOnCall(['create', '-f', spec, '--yes'], env(), 'autoscaling:CreateAutoScalingGroup', (hook) => (onCall = hook));
  assert.ok(run9.killed, `never saw CreateAutoScalingGroup:\n${run9.stderr}`);
  await until('the killed run\'s group', async () => lagging.calls.some((c) => c.action === 'CreateAutoScalingGroup') && (await taggedResources(moto.env, name)).autoScalingGroups.length >= 1);
  const killedGroup = lagging.calls.find((c) => c.action === 'CreateAutoScalingGroup')!.params.get('AutoScalingGroupName')!;

  lagging.calls.length = 0;
  lagging.lagNext(
    (c) => c.action === 'DescribeAutoScalingGroups' && !c.params.has('AutoScalingGroupNames.member.1') && !!filterValues(c.params, TAG_CLUSTER)?.includes(name),
    '<DescribeAutoScalingGroupsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><DescribeAutoScalingGroupsResult><AutoScalingGroups/></DescribeAutoScalingGroupsResult><ResponseMetadata><RequestId>lagging-1</RequestId></ResponseMetadata></DescribeAutoScalingGroupsResponse>',
  );
  const again = await run('create', '-f', spec, '--yes');
  assert.equal(again.code, 0, again.stderr);
  assert.ok(lookups(lagging.calls, name).some((l) => l.action === 'DescribeAutoScalingGroups' && l.what === killedGroup), `${killedGroup}: the re-run looked for it first`);
  assert.equal(groupCreates(lagging.calls, killedGroup), 0, `${killedGroup}: adopted, not created again`);
  const live = await taggedResources(moto.env, name);
  assert.equal(new Set(live.autoScalingGroups).size, live.autoScalingGroups.length, 'no group twice');
  assert.ok(live.autoScalingGroups.includes(killedGroup));
  await assertConvergedAndDelete(name);
});
