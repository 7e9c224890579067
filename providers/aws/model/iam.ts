// IAM roles, least-privilege inline policies and instance profiles for the control plane and the nodes.
//
// Control plane: read/write its own cluster's keys in the state store (kubeadm join material, certificates it
// uploads), plus the read-only EC2 / ELB / Auto Scaling calls the AWS cloud provider makes to learn node addresses
// and zones. Nodes: read only `<cluster>/bootstrap/*` and describe instances/regions (kubelet's node name lookup).
// Nothing here can create or delete cloud resources: Service type=LoadBalancer is not granted (see docs/aws.md).

import type { Cluster } from '../../../src/api/types.js';
import type { ResourceNode } from '../../../src/core/resource.js';
import { iamRole } from '../resources/iam-role.js';
import { instanceProfile } from '../resources/instance-profile.js';
import type { BuildInputs } from '../../../src/core/provider.js';
import { partitionOf } from './partition.js';
import { autoscalerStatements } from '../autoscaler.js';
import { iamRoleId, instanceProfileId, type Role } from './ids.js';
import { clusterKeyPrefix, clusterTags, iamName, iamPath, parseS3Store } from './names.js';

type Statement = {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
};
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Statement[];
}

export function assumeRolePolicy(region: string): Record<string, unknown> {
  const service = partitionOf(region) === 'aws-cn' ? 'ec2.amazonaws.com.cn' : 'ec2.amazonaws.com';
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] };
}

const CLOUD_PROVIDER_READ = [
  'autoscaling:DescribeAutoScalingGroups',
  'autoscaling:DescribeTags',
  'ec2:DescribeAvailabilityZones',
  'ec2:DescribeInstances',
  'ec2:DescribeRegions',
  'ec2:DescribeRouteTables',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVolumes',
  'ec2:DescribeVpcs',
  'elasticloadbalancing:DescribeLoadBalancers',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetHealth',
];

export function rolePolicy(role: Role, cluster: Cluster, inputs: BuildInputs): PolicyDocument {
  const name = cluster.metadata.name;
  const partition = partitionOf(cluster.spec.region);
  const store = parseS3Store(inputs.stateStore);
  const statements: Statement[] = [];
  if (store) {
    const base = `arn:${partition}:s3:::${store.bucket}/${clusterKeyPrefix(store.prefix, name)}`;
    statements.push(
      role === 'control-plane'
        ? { Sid: 'ClusterState', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: `${base}/*` }
        : { Sid: 'BootstrapMaterial', Effect: 'Allow', Action: ['s3:GetObject'], Resource: `${base}/bootstrap/*` },
    );
    // Every node reports its bootstrap progress (src/bootstrap, status.sh); control planes have */ already.
    if (role !== 'control-plane') statements.push({ Sid: 'BootstrapReport', Effect: 'Allow', Action: ['s3:PutObject'], Resource: `${base}/nodes/status/*` });
    // The etcd backup timer deletes backups beyond spec.etcd.backups.retain (src/bootstrap/etcd-backup.ts): under
    // backups/etcd/ only, so a control plane cannot delete the PKI or the spec revisions.
    if (role === 'control-plane' && cluster.spec.etcd?.backups) {
      statements.push({ Sid: 'EtcdBackupRetention', Effect: 'Allow', Action: ['s3:DeleteObject'], Resource: `${base}/backups/etcd/*` });
    }
    if (role === 'control-plane') {
      // The first control plane's script lists `bootstrap/initialized` before it decides whether to run kubeadm
      // init (src/bootstrap): a GET cannot tell a missing key from a denied one. Listing is limited to this cluster.
      statements.push({
        Sid: 'ClusterStateExists',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: `arn:${partition}:s3:::${store.bucket}`,
        Condition: { StringLike: { 's3:prefix': `${clusterKeyPrefix(store.prefix, name)}/*` } },
      });
    }
  }
  statements.push({
    Sid: 'CloudProviderRead',
    Effect: 'Allow',
    Action: role === 'control-plane' ? CLOUD_PROVIDER_READ : ['ec2:DescribeInstances', 'ec2:DescribeRegions'],
    // Describe calls do not support resource-level permissions.
    Resource: '*',
  });
  // cluster-autoscaler's own statements (providers/aws/autoscaler.ts), when it is on.
  if (role === 'control-plane') statements.push(...autoscalerStatements(cluster));
  return { Version: '2012-10-17', Statement: statements };
}

export function iamNodes(cluster: Cluster, inputs: BuildInputs): ResourceNode[] {
  const name = cluster.metadata.name;
  const nodes: ResourceNode[] = [];
  for (const role of ['control-plane', 'nodes'] as Role[]) {
    const roleId = iamRoleId(role);
    nodes.push(
      iamRole.node(roleId, {
        name: iamName(role, name),
        path: iamPath(name),
        assumeRolePolicy: assumeRolePolicy(cluster.spec.region),
        policyName: 'k8sup',
        policy: rolePolicy(role, cluster, inputs),
        tags: clusterTags(name, roleId),
      }),
    );
    const profileId = instanceProfileId(role);
    nodes.push(instanceProfile.node(profileId, { name: iamName(role, name), path: iamPath(name), roleName: iamRole.ref(roleId, 'name'), tags: clusterTags(name, profileId) }));
  }
  return nodes;
}
