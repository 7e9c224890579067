// An existing VPC whose subnets are in a secondary range (AssociateVpcCidrBlock), against moto: the internal API load
// balancer takes its addresses from those subnets and reaches the control planes from them, and the security group
// admits it from spec.networking.networkCIDR only. A subnet outside networkCIDR is refused at connect (exit 2, nothing
// made); a networkCIDR holding both ranges is accepted.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidInputError } from '../../src/core/errors.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { cluster, engineDeps, taggedResources, total } from './aws-helpers.js';

let moto: Moto;
before(async () => {
  moto = await startMoto();
});
after(async () => {
  await moto?.stop();
});

const ZONES = ['us-east-2a', 'us-east-2b'];
type Any = Record<string, any>;

test('subnets of a secondary VPC range outside networkCIDR are refused before anything is made', async () => {
  await moto.reset();
  const probe = await engineDeps(cluster('probe.k8s.local', ZONES), moto.env);
  const api = probe.clients.ec2 as unknown as { call(op: string, input?: Any): Promise<Any> };
  const vpc = (await api.call('CreateVpc', { CidrBlock: '10.40.0.0/16' })).Vpc;
  await api.call('AssociateVpcCidrBlock', { VpcId: vpc.VpcId, CidrBlock: '10.41.0.0/16' });
  const subnetIds: string[] = [];
  for (const [i, zone] of ZONES.entries()) {
    const s = (await api.call('CreateSubnet', { VpcId: vpc.VpcId, CidrBlock: `10.41.${i}.0/24`, AvailabilityZone: zone })).Subnet;
    await api.call('ModifySubnetAttribute', { SubnetId: s.SubnetId, MapPublicIpOnLaunch: { Value: true } });
    subnetIds.push(s.SubnetId);
  }
  const name = 'secondary.k8s.local';
  const err = await engineDeps(cluster(name, ZONES, { networking: { networkId: vpc.VpcId, subnets: subnetIds, networkCIDR: '10.40.0.0/16' } }), moto.env).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof InvalidInputError, String(err));
  assert.match(err.message, /subnet subnet-\w+'s range 10\.41\.0\.0\/24 is outside spec\.networking\.networkCIDR 10\.40\.0\.0\/16/);
  assert.match(String(err.hint), /holding the VPC's 10\.40\.0\.0\/16 and every subnet's range/);
  assert.equal(total(await taggedResources(moto.env, name)), 0, 'nothing made');
  // One range holding both is what the security group needs: accepted.
  await engineDeps(cluster(name, ZONES, { networking: { networkId: vpc.VpcId, subnets: subnetIds, networkCIDR: '10.40.0.0/15' } }), moto.env);
});
