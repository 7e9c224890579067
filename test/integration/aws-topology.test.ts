// AWS topologies end to end against moto through the real SDK and the real engine:
//  - private topology with a bastion: every cluster instance in a private subnet (no public address, default route
//    to its own zone's NAT gateway), NAT gateways with Elastic IPs in the utility subnets, the bastion in a utility
//    subnet, SSH to the cluster only from the bastion's security group; create → no-op plan → delete, nothing left;
//  - `nat: single`: one NAT gateway, every private route table points at it;
//  - an existing VPC with subnets: used, tagged `kubernetes.io/cluster/<name>=shared`, survives delete untouched with
//    its tags restored; mismatched input is refused at connect (exit 2) before anything is made.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apply, destroy, isEmptyPlan, plan } from '../../src/core/engine.js';
import { InvalidInputError } from '../../src/core/errors.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { SSH_KEY, cluster, engineDeps, taggedResources, total } from './aws-helpers.js';

let moto: Moto;
before(async () => {
  moto = await startMoto();
});
after(async () => {
  await moto?.stop();
});

const ZONES = ['us-east-2a', 'us-east-2b'];
type Any = Record<string, any>;

async function createAndReplan(c: ReturnType<typeof cluster>) {
  const deps = await engineDeps(c, moto.env);
  const first = await plan(deps.nodes, deps);
  const applied = await apply(first.plan, deps.nodes, first.live, deps);
  const again = await plan(deps.nodes, deps);
  assert.ok(isEmptyPlan(again.plan), `a second plan is empty: ${JSON.stringify(again.plan.steps.filter((s) => s.action !== 'noop'), null, 1)}`);
  return { deps, applied };
}

/** Raw EC2 reads (the test's own view, not the handlers'). */
const ec2 = (deps: Awaited<ReturnType<typeof engineDeps>>) => deps.clients.ec2 as unknown as { call(op: string, input?: Any): Promise<Any> };

test('private topology with a bastion: instances only in private subnets, a NAT route per zone; no-op plan; delete leaves nothing', async () => {
  await moto.reset();
  const name = 'private.k8s.local';
  const c = cluster(name, ZONES, { topology: 'private', bastion: {}, nodeGroups: [{ name: 'nodes', minSize: 2, maxSize: 2, zones: ZONES }], ssh: { publicKey: SSH_KEY, access: ['203.0.113.0/24'] } });
  const { deps } = await createAndReplan(c);
  const api = ec2(deps);
  const byCluster = { Filters: [{ Name: 'tag:k8sup.io/cluster', Values: [name] }] };
  const subnets: Any[] = (await api.call('DescribeSubnets', byCluster)).Subnets;
  const tagOf = (o: Any, k: string) => (o.Tags ?? []).find((t: Any) => t.Key === k)?.Value;
  const privateSubnets = subnets.filter((s) => !tagOf(s, 'k8sup.io/id').endsWith('/utility'));
  const utilitySubnets = subnets.filter((s) => tagOf(s, 'k8sup.io/id').endsWith('/utility'));
  assert.equal(privateSubnets.length, 2);
  assert.equal(utilitySubnets.length, 2);
  assert.ok(privateSubnets.every((s) => s.MapPublicIpOnLaunch === false), 'private subnets give no public addresses');

  // One NAT gateway per zone, each in its zone's utility subnet with an Elastic IP.
  const nats: Any[] = (await api.call('DescribeNatGateways', {})).NatGateways.filter((n: Any) => n.State !== 'deleted' && tagOf(n, 'k8sup.io/cluster') === name);
  assert.equal(nats.length, 2);
  const zoneOf = (subnetId: string) => subnets.find((s) => s.SubnetId === subnetId)!.AvailabilityZone;
  assert.deepEqual(nats.map((n) => zoneOf(n.SubnetId)).sort(), ZONES);
  assert.ok(nats.every((n) => utilitySubnets.some((s) => s.SubnetId === n.SubnetId)));
  const eips: Any[] = (await api.call('DescribeAddresses', byCluster)).Addresses;
  assert.deepEqual(nats.map((n) => n.NatGatewayAddresses[0].AllocationId).sort(), eips.map((e) => e.AllocationId).sort());

  // Each private subnet's route table: 0.0.0.0/0 → the NAT gateway of the same zone, no internet gateway.
  const tables: Any[] = (await api.call('DescribeRouteTables', byCluster)).RouteTables;
  for (const s of privateSubnets) {
    const table = tables.find((t) => (t.Associations ?? []).some((a: Any) => a.SubnetId === s.SubnetId))!;
    const defaults = table.Routes.filter((r: Any) => r.DestinationCidrBlock === '0.0.0.0/0');
    assert.equal(defaults.length, 1);
    const nat = nats.find((n) => n.NatGatewayId === defaults[0].NatGatewayId);
    assert.ok(nat, `${s.SubnetId} routes out through a NAT gateway, not ${JSON.stringify(defaults[0])}`);
    assert.equal(zoneOf(nat.SubnetId), s.AvailabilityZone, 'the NAT gateway of its own zone');
  }
  for (const s of utilitySubnets) {
    const table = tables.find((t) => (t.Associations ?? []).some((a: Any) => a.SubnetId === s.SubnetId))!;
    assert.ok(table.Routes.some((r: Any) => r.DestinationCidrBlock === '0.0.0.0/0' && String(r.GatewayId).startsWith('igw-')), 'utility subnets route to the internet gateway');
  }

  // Instances: the cluster's in private subnets without public addresses; the bastion in a utility subnet.
  const instances: Any[] = (await api.call('DescribeInstances', { Filters: [...byCluster.Filters, { Name: 'instance-state-name', Values: ['pending', 'running'] }] })).Reservations.flatMap((r: Any) => r.Instances);
  const bastions = instances.filter((i) => tagOf(i, 'k8sup.io/role') === 'bastion');
  const members = instances.filter((i) => tagOf(i, 'k8sup.io/role') !== 'bastion');
  assert.equal(bastions.length, 1);
  assert.equal(members.length, 4, 'two control planes, two nodes');
  for (const i of members) {
    assert.ok(privateSubnets.some((s) => s.SubnetId === i.SubnetId), `${i.InstanceId} is in a private subnet`);
    assert.equal(i.PublicIpAddress, undefined, `${i.InstanceId} has no public address`);
  }
  assert.ok(utilitySubnets.some((s) => s.SubnetId === bastions[0].SubnetId), 'the bastion is in a public subnet');

  // SSH: the bastion from ssh.access; the cluster's instances from the bastion's group only.
  const groups: Any[] = (await api.call('DescribeSecurityGroups', byCluster)).SecurityGroups;
  const group = (id: string) => groups.find((g) => tagOf(g, 'k8sup.io/id') === id)!;
  const port22 = (g: Any) => (g.IpPermissions ?? []).filter((p: Any) => p.FromPort === 22);
  const bastionGroup = group('security-group/bastion');
  assert.deepEqual(port22(bastionGroup).flatMap((p: Any) => p.IpRanges.map((r: Any) => r.CidrIp)), ['203.0.113.0/24']);
  for (const id of ['security-group/control-plane', 'security-group/nodes']) {
    const rules = port22(group(id));
    assert.deepEqual(rules.flatMap((p: Any) => p.IpRanges ?? []), [], `${id}: no CIDR may reach port 22`);
    assert.deepEqual(rules.flatMap((p: Any) => (p.UserIdGroupPairs ?? []).map((u: Any) => u.GroupId)), [bastionGroup.GroupId], `${id}: SSH from the bastion only`);
  }

  // The internal API load balancer is in the private subnets, the public one in the utility subnets.
  const lbs: Any[] = (await deps.clients.elbv2.call('DescribeLoadBalancers', {}) as Any).LoadBalancers;
  const lbSubnets = (scheme: string) => lbs.filter((l) => l.Scheme === scheme).flatMap((l) => l.AvailabilityZones.map((z: Any) => z.SubnetId)).sort();
  assert.deepEqual(lbSubnets('internal'), privateSubnets.map((s) => s.SubnetId).sort());
  assert.deepEqual(lbSubnets('internet-facing'), utilitySubnets.map((s) => s.SubnetId).sort());

  await destroy(deps.nodes, deps);
  assert.equal(total(await taggedResources(moto.env, name)), 0, JSON.stringify(await taggedResources(moto.env, name)));
  assert.deepEqual((await api.call('DescribeNatGateways', {})).NatGateways.filter((n: Any) => n.State !== 'deleted'), [], 'no NAT gateway left');
  assert.deepEqual((await api.call('DescribeAddresses', {})).Addresses, [], 'every Elastic IP released');
});

test('nat single: one NAT gateway, every private route table points at it', async () => {
  await moto.reset();
  const name = 'single.k8s.local';
  const c = cluster(name, ZONES, { topology: 'private', networking: { nat: 'single' } });
  const { deps } = await createAndReplan(c);
  const api = ec2(deps);
  const nats: Any[] = (await api.call('DescribeNatGateways', {})).NatGateways.filter((n: Any) => n.State !== 'deleted');
  assert.equal(nats.length, 1);
  const tables: Any[] = (await api.call('DescribeRouteTables', { Filters: [{ Name: 'tag:k8sup.io/cluster', Values: [name] }] })).RouteTables;
  const natRoutes = tables.flatMap((t) => t.Routes.filter((r: Any) => r.NatGatewayId));
  assert.equal(natRoutes.length, 2);
  assert.ok(natRoutes.every((r: Any) => r.NatGatewayId === nats[0].NatGatewayId));
  await destroy(deps.nodes, deps);
  assert.equal(total(await taggedResources(moto.env, name)), 0);
});

test('an existing VPC with subnets is used, tagged shared, and survives delete untouched with its tags restored', async () => {
  await moto.reset();
  const name = 'shared.k8s.local';
  const probe = await engineDeps(cluster('probe.k8s.local', ZONES), moto.env);
  const api = ec2(probe);
  const vpc = (await api.call('CreateVpc', { CidrBlock: '10.40.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'corp' }, { Key: 'team', Value: 'net' }] }] })).Vpc;
  const subnetIds: string[] = [];
  for (const [i, zone] of ZONES.entries()) {
    const s = (await api.call('CreateSubnet', { VpcId: vpc.VpcId, CidrBlock: `10.40.${i}.0/24`, AvailabilityZone: zone, TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'Name', Value: `corp-${zone}` }] }] })).Subnet;
    await api.call('ModifySubnetAttribute', { SubnetId: s.SubnetId, MapPublicIpOnLaunch: { Value: true } });
    subnetIds.push(s.SubnetId);
  }
  const snapshot = async () => {
    const v = (await api.call('DescribeVpcs', { VpcIds: [vpc.VpcId] })).Vpcs[0];
    const ss = (await api.call('DescribeSubnets', { SubnetIds: subnetIds })).Subnets;
    // AvailableIpAddressCount is a count of free addresses, not a property of the subnet (moto does not give back
    // the addresses of terminated instances and deleted load balancers).
    const norm = ({ AvailableIpAddressCount: _free, ...o }: Any) => ({ ...o, Tags: [...(o.Tags ?? [])].sort((a: Any, b: Any) => a.Key.localeCompare(b.Key)) });
    return JSON.stringify([norm(v), ...ss.map(norm).sort((a: Any, b: Any) => a.SubnetId.localeCompare(b.SubnetId))]);
  };
  const before = await snapshot();

  // Refused at connect, before anything is made: subnets in the wrong zone order, a networkCIDR not holding the VPC.
  for (const [networking, message] of [
    [{ networkId: vpc.VpcId, subnets: [...subnetIds].reverse(), networkCIDR: '10.40.0.0/16' }, /is in zone us-east-2b, but it is listed for us-east-2a/],
    [{ networkId: vpc.VpcId, subnets: subnetIds }, /172\.20\.0\.0\/16 does not contain VPC vpc-\w+'s range 10\.40\.0\.0\/16/],
  ] as const) {
    const err = await engineDeps(cluster(name, ZONES, { networking }), moto.env).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof InvalidInputError, String(err));
    assert.match(err.message, message);
    assert.equal(await snapshot(), before);
  }

  const c = cluster(name, ZONES, { networking: { networkId: vpc.VpcId, subnets: subnetIds, networkCIDR: '10.40.0.0/16' } });
  const { deps } = await createAndReplan(c);
  const tagged = await taggedResources(moto.env, name);
  assert.deepEqual(tagged.vpcs, [], 'no VPC of its own');
  assert.deepEqual(tagged.subnets, [], 'no subnets of its own');
  assert.deepEqual(tagged.internetGateways, []);
  assert.deepEqual(tagged.routeTables, []);
  const shared = (o: Any) => (o.Tags ?? []).some((t: Any) => t.Key === `kubernetes.io/cluster/${name}` && t.Value === 'shared');
  assert.ok(shared((await api.call('DescribeVpcs', { VpcIds: [vpc.VpcId] })).Vpcs[0]), 'the VPC is tagged shared');
  assert.ok((await api.call('DescribeSubnets', { SubnetIds: subnetIds })).Subnets.every(shared), 'the subnets are tagged shared');
  const instances: Any[] = (await api.call('DescribeInstances', { InstanceIds: tagged.instances })).Reservations.flatMap((r: Any) => r.Instances);
  assert.ok(instances.length >= 3 && instances.every((i) => subnetIds.includes(i.SubnetId)), 'instances are in the given subnets');
  assert.ok(tagged.securityGroups.length === 2);

  await destroy(deps.nodes, deps);
  assert.equal(total(await taggedResources(moto.env, name)), 0);
  assert.equal(await snapshot(), before, 'the VPC and subnets are as they were, tags included');
});
