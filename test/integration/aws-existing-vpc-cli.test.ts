// An existing VPC through the CLI on moto, as docs/aws.md describes it for a new user: `--network-id/--subnets` with
// a VPC outside the default networkCIDR is refused with a hint that works for a cluster not stored yet, and the VPC,
// its subnet, internet gateway, route table and a security group of the user's stay exactly as they were — the
// cluster's own tag comes and goes, nothing else is modified or deleted.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { k8sup, tempHome } from '../helpers/cli.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { taggedResources, total } from './aws-helpers.js';

let moto: Moto;
let env: Record<string, string>;
const home = tempHome();
const NAME = 'byo.k8s.local';
const run = (...args: string[]) => k8sup(args, { env, timeoutMs: 180_000 });

before(async () => {
  moto = await startMoto();
  env = { HOME: home, ...moto.env, K8SUP_STATE_STORE: 's3://k8sup-state/clusters' };
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: 'k8sup-state', CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
  s3.destroy();
});
after(async () => {
  await moto?.stop();
});

test('an existing VPC with its own gateway, routes and security group: refused with a working hint, used, and left exactly as it was', { timeout: 300_000 }, async () => {
  const { EC2Client, CreateVpcCommand, CreateInternetGatewayCommand, AttachInternetGatewayCommand, CreateSubnetCommand, ModifySubnetAttributeCommand, CreateRouteTableCommand, CreateRouteCommand, AssociateRouteTableCommand, CreateSecurityGroupCommand, DescribeVpcsCommand, DescribeSubnetsCommand, DescribeInternetGatewaysCommand, DescribeRouteTablesCommand, DescribeSecurityGroupsCommand } = await import('@aws-sdk/client-ec2');
  const ec2 = new EC2Client({ endpoint: moto.endpoint, region: 'us-east-2', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  try {
    const tags = (ResourceType: 'vpc' | 'internet-gateway' | 'route-table' | 'subnet', Name: string) => [{ ResourceType, Tags: [{ Key: 'Name', Value: Name }] }];
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.50.0.0/16', TagSpecifications: tags('vpc', 'corp') }))).Vpc!.VpcId!;
    const igw = (await ec2.send(new CreateInternetGatewayCommand({ TagSpecifications: tags('internet-gateway', 'corp-igw') }))).InternetGateway!.InternetGatewayId!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpc }));
    const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.50.1.0/24', AvailabilityZone: 'us-east-2a', TagSpecifications: tags('subnet', 'corp-a') }))).Subnet!.SubnetId!;
    await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: subnet, MapPublicIpOnLaunch: { Value: true } }));
    const rt = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpc, TagSpecifications: tags('route-table', 'corp-rt') }))).RouteTable!.RouteTableId!;
    await ec2.send(new CreateRouteCommand({ RouteTableId: rt, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }));
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rt, SubnetId: subnet }));
    const sg = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'corp-sg', Description: 'corp', VpcId: vpc }))).GroupId!;
    // Everything about the user's objects, with the cluster's own tag taken out, in a stable order.
    const snapshot = async (withoutOurTag = true) => {
      const strip = (o: unknown): unknown =>
        Array.isArray(o)
          ? o.map(strip).filter((t) => !(withoutOurTag && (t as { Key?: string })?.Key === `kubernetes.io/cluster/${NAME}`)).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
          : o && typeof o === 'object'
            ? Object.fromEntries(Object.entries(o).filter(([k]) => k !== '$metadata' && k !== 'AvailableIpAddressCount').sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, strip(v)]))
            : o;
      return JSON.stringify(strip([
        (await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpc] }))).Vpcs,
        (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnet] }))).Subnets,
        (await ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [igw] }))).InternetGateways,
        (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rt] }))).RouteTables,
        (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [sg] }))).SecurityGroups,
      ]));
    };
    const before = await snapshot(false);

    // The default networkCIDR (172.20.0.0/16) does not hold the VPC: refused, nothing written, and the hint's way
    // works for a cluster that is not stored yet.
    const refused = await run('create', 'cluster', NAME, '--zones', 'us-east-2a', '--network-id', vpc, '--subnets', subnet, '--yes');
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /networkCIDR: 172\.20\.0\.0\/16 does not contain VPC vpc-\w+'s range 10\.50\.0\.0\/16/);
    assert.equal((await run('get', 'cluster', NAME)).code, 2, 'nothing was stored');
    const hint = refused.stderr.split('\n').find((l) => l.startsWith('hint: '))!;
    assert.match(hint, /create cluster` without --yes/, hint);
    assert.equal(await snapshot(false), before);

    const stored = await run('create', 'cluster', NAME, '--zones', 'us-east-2a', '--network-id', vpc, '--subnets', subnet);
    assert.equal(stored.code, 0, stored.stderr);
    const spec = parse((await run('get', 'cluster', NAME, '-o', 'yaml')).stdout);
    spec.spec.networking.networkCIDR = '10.50.0.0/16';
    writeFileSync(join(home, 'byo.yaml'), stringify(spec));
    assert.equal((await run('replace', '-f', join(home, 'byo.yaml'))).code, 0);
    const applied = await run('update', 'cluster', NAME, '--yes');
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(await snapshot(), before, 'only the cluster tag was added to the user\'s objects');
    const again = await run('update', 'cluster', NAME, '--detailed-exitcode');
    assert.equal(again.code, 0, again.stdout + again.stderr);

    const deleted = await run('delete', 'cluster', NAME, '--yes');
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(total(await taggedResources(moto.env, NAME)), 0);
    assert.equal(await snapshot(false), before, 'the VPC, subnet, gateway, route table and security group are as they were, tags included');
  } finally {
    ec2.destroy();
  }
});
