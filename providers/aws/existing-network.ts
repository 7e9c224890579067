// An existing VPC and subnets (spec.networking.networkId / subnets): checked at connect, before any change, so a typo
// or a mismatch is bad input (exit 2) rather than a half-built cluster. k8sup only adds (and on delete removes) the
// `kubernetes.io/cluster/<name>=shared` tag on them (resources/shared-tag.ts); the graph has no resource that could
// change or delete them.

import type { Cluster } from '../../src/api/types.js';
import { cidrContains, parseCidr } from '../../src/api/cidr.js';
import { topologyOf } from '../../src/api/topology.js';
import { InvalidInputError } from '../../src/core/errors.js';
import type { AwsClients } from './clients.js';
import { errorCode } from './errors.js';
import type { DescribeSubnetsCommandInput, DescribeVpcsCommandInput, Subnet, Vpc } from '@aws-sdk/client-ec2';

type Described = Vpc & Subnet;

async function describe(clients: AwsClients, op: 'DescribeVpcs' | 'DescribeSubnets', input: DescribeVpcsCommandInput & DescribeSubnetsCommandInput, key: 'Vpcs' | 'Subnets'): Promise<Described[] | null> {
  try {
    const out = (op === 'DescribeVpcs' ? await clients.ec2.call('DescribeVpcs', input) : await clients.ec2.call('DescribeSubnets', input)) as { Vpcs?: Described[]; Subnets?: Described[] };
    return out[key] ?? [];
  } catch (err) {
    // EC2 answers an unknown id with InvalidVpcID.NotFound / InvalidSubnetID.NotFound rather than an empty list.
    if (/NotFound|Malformed/.test(errorCode(err) ?? '')) return null;
    throw err;
  }
}

export async function checkExistingNetwork(cluster: Cluster, clients: AwsClients): Promise<void> {
  const s = cluster.spec;
  const vpcId = s.networking.networkId;
  const subnetIds = s.networking.subnets;
  if (vpcId === undefined || subnetIds === undefined) return;
  const refuse = (path: string, message: string, hint: string): never => {
    throw InvalidInputError.fromIssues([{ path, message }], hint);
  };
  const [vpc] = (await describe(clients, 'DescribeVpcs', { VpcIds: [vpcId] }, 'Vpcs')) ?? [];
  if (!vpc) refuse('spec.networking.networkId', `VPC ${vpcId} does not exist in ${s.region}`, `List them with \`aws ec2 describe-vpcs --region ${s.region}\` and pass one with --network-id.`);
  // The security groups' VPC-side rules (API from the internal load balancer, health checks) use networkCIDR.
  const declared = parseCidr(s.networking.networkCIDR);
  const vpcCidr = parseCidr(String(vpc!.CidrBlock));
  if (!declared || !vpcCidr || !cidrContains(declared, vpcCidr)) {
    refuse('spec.networking.networkCIDR', `${s.networking.networkCIDR} does not contain VPC ${vpcId}'s range ${vpc!.CidrBlock}`, `Set spec.networking.networkCIDR to ${vpc!.CidrBlock} before the first apply: networkCIDR in the cluster file (create -f), or \`k8sup edit cluster ${cluster.metadata.name}\` once the spec is stored (\`create cluster\` without --yes stores it).`);
  }
  const subnets = await describe(clients, 'DescribeSubnets', { SubnetIds: subnetIds }, 'Subnets');
  if (!subnets) refuse('spec.networking.subnets', `not every subnet of ${subnetIds.join(', ')} exists in ${s.region}`, `List them with \`aws ec2 describe-subnets --filters Name=vpc-id,Values=${vpcId}\`.`);
  subnetIds.forEach((id, i) => {
    const subnet = subnets!.find((x) => x.SubnetId === id);
    const path = `spec.networking.subnets[${i}]`;
    if (!subnet) refuse(path, `subnet ${id} does not exist in ${s.region}`, `List them with \`aws ec2 describe-subnets --filters Name=vpc-id,Values=${vpcId}\`.`);
    if (subnet!.VpcId !== vpcId) refuse(path, `subnet ${id} is in VPC ${subnet!.VpcId}, not ${vpcId}`, 'Pass subnets of the --network-id VPC.');
    if (subnet!.AvailabilityZone !== s.zones[i]) refuse(path, `subnet ${id} is in zone ${subnet!.AvailabilityZone}, but it is listed for ${s.zones[i]}`, `List the subnets in --zones order (${s.zones.join(', ')}), one per zone.`);
    // Public topology: instances reach the internet (packages, images) through their public address.
    // The internal API load balancer takes its addresses from these subnets, and its connections (no client address
    // preservation) and health checks reach the control planes from them: only networkCIDR lets them in. A subnet of
    // a secondary VPC range outside it would leave every node unable to join.
    const range = parseCidr(String(subnet!.CidrBlock));
    if (!range || !cidrContains(declared!, range)) {
      refuse(path, `subnet ${id}'s range ${subnet!.CidrBlock} is outside spec.networking.networkCIDR ${s.networking.networkCIDR}, which the control planes' security group admits the internal API load balancer from`, `Set spec.networking.networkCIDR to a range holding the VPC's ${vpc!.CidrBlock} and every subnet's range, or use subnets of ${s.networking.networkCIDR}.`);
    }
    if (topologyOf(cluster) === 'public' && !subnet!.MapPublicIpOnLaunch) {
      refuse(path, `subnet ${id} does not give instances public addresses, which the public topology needs`, `Enable it (aws ec2 modify-subnet-attribute --subnet-id ${id} --map-public-ip-on-launch), or use --topology private --api-loadbalancer-type internal with subnets that route out through your NAT.`);
    }
  });
}
