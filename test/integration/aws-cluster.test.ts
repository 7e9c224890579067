// End to end against moto through the real SDK and the real engine: create (one zone, HA on three), no-op plan,
// resize, exact delete next to an unrelated cluster; then the same under a throttling, connection-resetting proxy.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apply, destroy, plan } from '../../src/core/engine.js';
import { summarize } from '../../src/core/diff.js';
import { startMoto, type Moto, UBUNTU_AMI_ID } from '../helpers/moto.js';
import { startThrottleProxy, type ThrottleProxy } from '../helpers/throttle-proxy.js';
import { decodeUserData } from '../../providers/aws/resources/launch-template.js';
import { cluster, engineDeps, taggedResources, total } from './aws-helpers.js';

let moto: Moto;
let proxy: ThrottleProxy | undefined;
before(async () => {
  moto = await startMoto();
});
after(async () => {
  await proxy?.stop();
  await moto?.stop();
});

test('single zone: create, tags, IMDSv2, no private key; no-op plan; resize plans one ASG update; delete leaves nothing', async () => {
  await moto.reset();
  const c = cluster('demo.k8s.local', ['us-east-2a']);
  const deps = await engineDeps(c, moto.env);
  const first = await plan(deps.nodes, deps);
  assert.equal(summarize(first.plan).create, deps.nodes.length);
  const applied = await apply(first.plan, deps.nodes, first.live, deps);
  assert.match(deps.provider.apiEndpoint!(applied.outputs)!, /^https:\/\/api-demo-k8s-local.*elb.*:6443$/);

  const tagged = await taggedResources(moto.env, 'demo.k8s.local');
  assert.deepEqual(
    Object.fromEntries(Object.entries(tagged).map(([k, v]) => [k, v.length])),
    { vpcs: 1, subnets: 1, internetGateways: 1, routeTables: 1, securityGroups: 2, keyPairs: 1, launchTemplates: 2, instances: 2, autoScalingGroups: 2, roles: 2, instanceProfiles: 2, loadBalancers: 2, targetGroups: 2 },
  );

  // Launch templates as EC2 stores them.
  const ec2 = deps.clients.ec2;
  for (const name of tagged.launchTemplates) {
    const v = (await ec2.call('DescribeLaunchTemplateVersions', { LaunchTemplateName: name, Versions: ['$Latest'] })).LaunchTemplateVersions![0].LaunchTemplateData!;
    assert.equal(v.MetadataOptions!.HttpTokens, 'required', name);
    assert.equal(Number(v.MetadataOptions!.HttpPutResponseHopLimit), 1, name);
    assert.equal(v.ImageId, UBUNTU_AMI_ID, 'the newest Canonical Ubuntu 24.04 image');
    assert.equal(String(v.BlockDeviceMappings![0].Ebs!.Encrypted), 'true');
    const script = decodeUserData(v.UserData!);
    // User data installs the bootstrap script (inside it) as a retrying systemd unit.
    assert.match(script, /^#!\/bin\/bash\n[^]*k8sup-bootstrap.service[^]*\n#!\/usr\/bin\/env bash\n/);
    assert.doesNotMatch(script, /PRIVATE KEY/);
    const internal = String(applied.outputs['load-balancer/api-internal'].dns_name);
    assert.ok(script.includes(`${internal}:6443`), 'user data points at the internal API load balancer');
    assert.doesNotMatch(script, new RegExp(`(apiServerEndpoint|controlPlaneEndpoint): "?${String(applied.outputs['load-balancer/api'].dns_name).replace(/\./g, '\\.')}`), 'nodes never use the public endpoint');
    assert.ok(!script.includes('.invalid'), 'no placeholder left');
  }
  // The SSH key pair exists; instances got the cluster tags through the launch template / ASG.
  const inst = (await ec2.call('DescribeInstances', { InstanceIds: tagged.instances })).Reservations!.flatMap((r: any) => r.Instances);
  for (const i of inst) assert.ok(i.Tags.some((t: any) => t.Key === 'kubernetes.io/cluster/demo.k8s.local' && t.Value === 'owned'));
  // The control-plane ASG feeds the API target group.
  const cpAsg = (await deps.clients.autoscaling.call('DescribeAutoScalingGroups', { AutoScalingGroupNames: tagged.autoScalingGroups })).AutoScalingGroups!.find((g: any) =>
    g.AutoScalingGroupName.startsWith('control-plane'),
  );
  assert.deepEqual([...cpAsg!.TargetGroupARNs!].sort(), [...tagged.targetGroups].sort());

  const again = await plan(deps.nodes, deps);
  assert.deepEqual(again.plan.steps.filter((s) => s.action !== 'noop'), [], 'a second plan right after apply is empty');

  // Resize the node group: exactly one update, on its ASG.
  const bigger = cluster('demo.k8s.local', ['us-east-2a'], { nodeGroups: [{ name: 'nodes', minSize: 2, maxSize: 3 }] });
  const deps2 = await engineDeps(bigger, moto.env);
  const resize = await plan(deps2.nodes, deps2);
  const changed = resize.plan.steps.filter((s) => s.action !== 'noop');
  assert.deepEqual(changed.map((s) => [s.id, s.action, s.changes.map((ch) => ch.field).sort()]), [['autoscaling-group/node-group/nodes', 'update', ['maxSize', 'minSize']]]);
  await apply(resize.plan, deps2.nodes, resize.live, deps2);
  const ng = (await deps.clients.autoscaling.call('DescribeAutoScalingGroups', { AutoScalingGroupNames: ['nodes.demo.k8s.local'] })).AutoScalingGroups![0];
  assert.deepEqual([ng.MinSize, ng.MaxSize, ng.DesiredCapacity], [2, 3, 2]);
  assert.equal(summarize((await plan(deps2.nodes, deps2)).plan).noop, deps2.nodes.length);

  await destroy(deps2.nodes, deps2);
  assert.deepEqual(await taggedResources(moto.env, 'demo.k8s.local'), Object.fromEntries(Object.keys(tagged).map((k) => [k, []])));
});

test('HA on three zones next to a second cluster; deleting one leaves the other untouched', async () => {
  await moto.reset();
  const ha = cluster('prod.example.com', ['us-east-2a', 'us-east-2b', 'us-east-2c'], { api: { dnsZone: 'example.com' } });
  const other = cluster('other.k8s.local', ['us-east-2a']);
  // A public zone for the API record.
  const depsHa = await engineDeps(ha, moto.env);
  await depsHa.clients.route53.call('CreateHostedZone', { Name: 'example.com', CallerReference: 'k8sup-test' });
  const depsOther = await engineDeps(other, moto.env);
  for (const d of [depsHa, depsOther]) {
    const p = await plan(d.nodes, d);
    await apply(p.plan, d.nodes, p.live, d);
  }
  const haTagged = await taggedResources(moto.env, 'prod.example.com');
  assert.equal(haTagged.subnets.length, 3);
  assert.equal(haTagged.autoScalingGroups.length, 4, 'three control-plane groups and one node group');
  assert.equal(depsHa.provider.apiEndpoint!({ 'dns-record/api': { fqdn: 'api.prod.example.com' } }), 'https://api.prod.example.com:6443');
  const zones = await depsHa.clients.route53.call('ListHostedZonesByName', { DNSName: 'example.com.' });
  const records = (await depsHa.clients.route53.call('ListResourceRecordSets', { HostedZoneId: zones.HostedZones![0].Id! })).ResourceRecordSets!;
  assert.ok(records.some((r: any) => r.Name === 'api.prod.example.com.' && r.Type === 'A' && r.AliasTarget));

  for (const d of [depsHa, depsOther]) assert.equal(summarize((await plan(d.nodes, d)).plan).noop, d.nodes.length, `${d.cluster}: no changes`);

  const otherBefore = await taggedResources(moto.env, 'other.k8s.local');
  await destroy(depsHa.nodes, depsHa);
  assert.equal(total(await taggedResources(moto.env, 'prod.example.com')), 0);
  const after = (await depsHa.clients.route53.call('ListResourceRecordSets', { HostedZoneId: zones.HostedZones![0].Id! })).ResourceRecordSets!;
  assert.ok(!after.some((r: any) => r.Name === 'api.prod.example.com.'), 'API record removed');
  assert.deepEqual(await taggedResources(moto.env, 'other.k8s.local'), otherBefore, 'the other cluster is untouched');
  assert.equal(summarize((await plan(depsOther.nodes, depsOther)).plan).noop, depsOther.nodes.length);
});

test('through a proxy that throttles 20% of calls and resets connections, create and delete converge without duplicates', async (t) => {
  await moto.reset();
  proxy = await startThrottleProxy(moto.endpoint, { throttleRate: 0.2, resetRate: 0.08, seed: 7 });
  const env = { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint };
  const c = cluster('flaky.k8s.local', ['us-east-2a', 'us-east-2b']);
  const deps = await engineDeps(c, env);
  const p = await plan(deps.nodes, deps);
  await apply(p.plan, deps.nodes, p.live, deps);
  assert.ok(proxy.stats.throttled > 10, `throttled ${proxy.stats.throttled} calls`);
  assert.ok(proxy.stats.resetBefore + proxy.stats.resetAfter > 0, 'some connections were reset');
  t.diagnostic(`create: ${[...proxy.stats.calls.values()].reduce((a, b) => a + b, 0)} calls, ${proxy.stats.throttled} throttled, ${proxy.stats.resetBefore}/${proxy.stats.resetAfter} reset before/after moto`);

  const tagged = await taggedResources(moto.env, 'flaky.k8s.local');
  assert.deepEqual(
    Object.fromEntries(Object.entries(tagged).map(([k, v]) => [k, v.length])),
    { vpcs: 1, subnets: 2, internetGateways: 1, routeTables: 1, securityGroups: 2, keyPairs: 1, launchTemplates: 3, instances: 3, autoScalingGroups: 3, roles: 2, instanceProfiles: 2, loadBalancers: 2, targetGroups: 2 },
    'exactly one of everything: no duplicate from a retried create',
  );

  // A no-op plan is a handful of calls per kind, even with retries of throttled calls.
  proxy.setFaults({ throttleRate: 0, resetRate: 0 });
  proxy.resetStats();
  const noop = await plan(deps.nodes, deps);
  assert.equal(summarize(noop.plan).noop, deps.nodes.length);
  const calls = [...proxy.stats.calls.values()].reduce((a, b) => a + b, 0);
  const kinds = new Set(deps.nodes.map((n) => n.kind)).size;
  t.diagnostic(`no-op plan: ${calls} calls for ${kinds} kinds ${JSON.stringify(proxy.callsByService())}`);
  assert.ok(calls <= kinds * 3, `no-op plan made ${calls} calls for ${kinds} kinds: ${JSON.stringify(Object.fromEntries(proxy.stats.calls))}`);
  assert.ok(![...proxy.stats.calls.keys()].some((k) => /Create|Delete|Put|Modify|Authorize|Revoke/.test(k)), 'a plan never writes');

  proxy.setFaults({ throttleRate: 0.2, resetRate: 0.08 });
  await destroy(deps.nodes, deps);
  assert.equal(total(await taggedResources(moto.env, 'flaky.k8s.local')), 0);
});
