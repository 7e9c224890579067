// What k8sup knows about AWS before loading the provider (src/core/provider.ts CloudFacts): light and pure, read by
// the spec pipeline, the bootstrap renderer and the CLI. Registered in providers/index.ts.

import type { CloudFacts } from '../../src/core/provider.js';
import { AWS_ADDONS, AWS_VOLUME_SNAPSHOTS, CCM_ADDON } from './addons.js';
import { awsClusterAutoscaler } from './autoscaler.js';
import { ECR_CREDENTIAL_PROVIDER } from './ecr-credential-provider.js';

/** Known regions → zone letters, so a typo in --zones is caught before anything is written. Keep current. */
const REGIONS: Record<string, string> = {
  'us-east-1': 'abcdef', 'us-east-2': 'abc', 'us-west-1': 'abc', 'us-west-2': 'abcd',
  'ca-central-1': 'abd', 'ca-west-1': 'abc', 'mx-central-1': 'abc', 'sa-east-1': 'abc',
  'eu-west-1': 'abc', 'eu-west-2': 'abc', 'eu-west-3': 'abc', 'eu-central-1': 'abc', 'eu-central-2': 'abc',
  'eu-north-1': 'abc', 'eu-south-1': 'abc', 'eu-south-2': 'abc',
  'ap-south-1': 'abc', 'ap-south-2': 'abc', 'ap-east-1': 'abc', 'ap-east-2': 'abc',
  'ap-northeast-1': 'acd', 'ap-northeast-2': 'abcd', 'ap-northeast-3': 'abc',
  'ap-southeast-1': 'abc', 'ap-southeast-2': 'abc', 'ap-southeast-3': 'abc', 'ap-southeast-4': 'abc',
  'ap-southeast-5': 'abc', 'ap-southeast-7': 'abc',
  'me-south-1': 'abc', 'me-central-1': 'abc', 'il-central-1': 'abc', 'af-south-1': 'abc',
};

const AWS_VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const AWS_SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;

export const awsCloud: CloudFacts = {
  name: 'aws',
  title: 'AWS',
  defaultMachineType: 't3.medium',
  volumeTypes: ['gp3', 'gp2', 'io1', 'io2', 'st1', 'sc1', 'standard'],
  zones: { shape: /^([a-z]{2}(?:-[a-z]+)+-\d+)([a-z])$/, regions: REGIONS, example: 'us-east-2a' },
  ownHosts: false,
  // Nodes sign their S3 requests (SigV4) with the instance role, against the bucket's own region.
  nodes: { name: 'aws', title: 'AWS', store: { scheme: 's3', identity: 'their instance role', regionExample: 'us-east-2' }, ownHosts: false, imageCredentialProvider: ECR_CREDENTIAL_PROVIDER },
  orphanScope: { exampleRegion: 'us-east-2', needsProject: false },
  // AWS has accounts, not projects: accepting one would silently ignore it.
  newInputIssues: (c) => (c.spec.project ? [{ path: 'spec.project', message: `is a GCE setting; AWS clusters have none: drop --project ${c.spec.project}` }] : []),
  addons: AWS_ADDONS,
  providerId: { addon: CCM_ADDON, shape: /^aws:\/\/\/[a-z]{2}(?:-[a-z]+)+-\d+[a-z]\/i-[0-9a-f]{8,17}$/, example: 'aws:///us-east-2a/i-0123456789abcdef0' },
  clusterAutoscaler: awsClusterAutoscaler,
  volumeSnapshots: AWS_VOLUME_SNAPSHOTS,
  topology: {
    // A bastion only forwards SSH connections: the smallest general-purpose size does.
    bastionMachineType: 't3.micro',
    existingNetworkIssues(c, add) {
      const s = c.spec;
      const n = s.networking;
      const privateTopology = s.topology === 'private';
      if (!AWS_VPC_ID.test(n.networkId ?? '')) add('spec.networking.networkId', `"${n.networkId}" is not a VPC id (vpc-0123456789abcdef0)`);
      if (n.subnets === undefined) {
        add('spec.networking.subnets', `is required with --network-id: one existing subnet per zone, in --zones order (${s.zones.length} for ${s.zones.join(', ')})`);
        return;
      }
      if (n.subnets.length !== s.zones.length) add('spec.networking.subnets', `lists ${n.subnets.length} subnet(s) for ${s.zones.length} zone(s): give one per zone, in --zones order (${s.zones.join(', ')})`);
      n.subnets.forEach((id, i) => AWS_SUBNET_ID.test(id) || add(`spec.networking.subnets[${i}]`, `"${id}" is not a subnet id (subnet-0123456789abcdef0)`));
      if (new Set(n.subnets).size !== n.subnets.length) add('spec.networking.subnets', 'lists a subnet twice');
      // The given subnets are the cluster's only subnets: private ones have no place for an internet-facing NLB.
      if (privateTopology && (s.api.loadBalancerType ?? 'public') === 'public') {
        add('spec.api.loadBalancerType', 'must be internal with --topology private and --subnets (the subnets you bring hold the instances, and an internet-facing load balancer needs public ones); pass --api-loadbalancer-type internal');
      }
      if (privateTopology && n.nat !== undefined) add('spec.networking.nat', 'is not used with --subnets: your subnets already route their traffic out; drop --nat');
    },
  },
};
