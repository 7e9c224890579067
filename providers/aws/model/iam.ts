// IAM roles, least-privilege inline policies and instance profiles for the control plane and the nodes.
//
// Control plane: read/write its own cluster's keys in the state store (kubeadm join material, certificates it
// uploads), the read-only EC2 / ELB / Auto Scaling calls of the cloud-controller-manager, and — while their addons are
// on — what the aws-cloud-controller-manager (Services of type LoadBalancer) and the EBS CSI controller (volumes) may
// change, each scoped to objects tagged kubernetes.io/cluster/<name> wherever the API evaluates tag conditions. Both
// addons run on control planes only, so nodes get no rights beyond reading `<cluster>/bootstrap/*`, describing
// instances and regions, and pulling from ECR. docs/aws.md lists every statement (a test compares it with moto's).

import type { Cluster } from '../../../src/api/types.js';
import type { ResourceNode } from '../../../src/core/resource.js';
import { iamRole } from '../resources/iam-role.js';
import { instanceProfile } from '../resources/instance-profile.js';
import type { BuildInputs } from '../../../src/core/provider.js';
import { partitionOf } from './partition.js';
import { autoscalerStatements } from '../autoscaler.js';
import { iamRoleId, instanceProfileId, type Role } from './ids.js';
import { clusterKeyPrefix, clusterTags, iamName, iamPath, kubernetesClusterTag, parseS3Store } from './names.js';
import { enabledAddons } from '../../../src/addons/index.js';
import { CCM_ADDON, EBS_CSI_ADDON } from '../addons.js';

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

/** The read-only calls of cloud-provider-aws' control-plane policy (its docs/prerequisites.md). */
const CLOUD_PROVIDER_READ = [
  'autoscaling:DescribeAutoScalingGroups',
  'autoscaling:DescribeLaunchConfigurations',
  'autoscaling:DescribeTags',
  'ec2:DescribeAvailabilityZones',
  'ec2:DescribeInstanceTopology',
  'ec2:DescribeInstances',
  'ec2:DescribeRegions',
  'ec2:DescribeRouteTables',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVolumes',
  'ec2:DescribeVpcs',
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeLoadBalancerAttributes',
  'elasticloadbalancing:DescribeLoadBalancerPolicies',
  'elasticloadbalancing:DescribeLoadBalancers',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetHealth',
];

/**
 * What the CCM changes for Services of type LoadBalancer (classic ELB and NLB), from cloud-provider-aws' control-plane
 * policy. Left out on purpose: the volume calls (in-tree EBS is gone; the CSI driver has its own statements), routes
 * and ModifyInstanceAttribute (--configure-cloud-routes=false) and kms:DescribeKey (encrypted in-tree volumes).
 */
const CCM_LOAD_BALANCER_WRITE = [
  'elasticloadbalancing:AddTags',
  'elasticloadbalancing:ApplySecurityGroupsToLoadBalancer',
  'elasticloadbalancing:AttachLoadBalancerToSubnets',
  'elasticloadbalancing:ConfigureHealthCheck',
  'elasticloadbalancing:CreateListener',
  'elasticloadbalancing:CreateLoadBalancerListeners',
  'elasticloadbalancing:CreateLoadBalancerPolicy',
  'elasticloadbalancing:DeleteListener',
  'elasticloadbalancing:DeleteLoadBalancer',
  'elasticloadbalancing:DeleteLoadBalancerListeners',
  'elasticloadbalancing:DeleteTargetGroup',
  'elasticloadbalancing:DeregisterInstancesFromLoadBalancer',
  'elasticloadbalancing:DeregisterTargets',
  'elasticloadbalancing:DetachLoadBalancerFromSubnets',
  'elasticloadbalancing:ModifyListener',
  'elasticloadbalancing:ModifyLoadBalancerAttributes',
  'elasticloadbalancing:ModifyTargetGroup',
  'elasticloadbalancing:RegisterInstancesWithLoadBalancer',
  'elasticloadbalancing:RegisterTargets',
  'elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer',
  'elasticloadbalancing:SetLoadBalancerPoliciesOfListener',
];

/** Image pulls from ECR (the kubelet's credential provider asks for a token, containerd pulls the layers). */
const ECR_PULL = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];

/** The cloud-controller-manager's statements: LoadBalancer Services of this cluster only. */
function ccmStatements(cluster: Cluster, partition: string): Statement[] {
  const owned = { [`aws:ResourceTag/${kubernetesClusterTag(cluster.metadata.name)}`]: 'owned' };
  const ec2 = (type: string) => `arn:${partition}:ec2:${cluster.spec.region}:*:${type}/*`;
  const ec2Owned = { [`ec2:ResourceTag/${kubernetesClusterTag(cluster.metadata.name)}`]: 'owned' };
  return [
    // It tags what it creates (load balancers, target groups, security groups) on creation, so creations can require
    // the cluster tag; everything later requires it on the object.
    { Sid: 'CcmCreateLoadBalancers', Effect: 'Allow', Action: ['elasticloadbalancing:AddTags', 'elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateTargetGroup'], Resource: '*', Condition: { StringEquals: { [`aws:RequestTag/${kubernetesClusterTag(cluster.metadata.name)}`]: 'owned' } } },
    { Sid: 'CcmLoadBalancers', Effect: 'Allow', Action: CCM_LOAD_BALANCER_WRITE, Resource: '*', Condition: { StringEquals: owned } },
    { Sid: 'CcmCreateSecurityGroups', Effect: 'Allow', Action: ['ec2:CreateSecurityGroup'], Resource: ec2('security-group'), Condition: { StringEquals: { [`aws:RequestTag/${kubernetesClusterTag(cluster.metadata.name)}`]: 'owned' } } },
    // The VPC side of CreateSecurityGroup: the cluster's own VPC, or one the user brought (tagged shared).
    { Sid: 'CcmSecurityGroupsInClusterVpc', Effect: 'Allow', Action: ['ec2:CreateSecurityGroup'], Resource: ec2('vpc'), Condition: { StringEquals: { [`ec2:ResourceTag/${kubernetesClusterTag(cluster.metadata.name)}`]: ['owned', 'shared'] } } },
    { Sid: 'CcmTagSecurityGroupsOnCreate', Effect: 'Allow', Action: ['ec2:CreateTags'], Resource: ec2('security-group'), Condition: { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' } } },
    // Its load balancers' groups and the nodes' group (which lets their traffic in): all tagged owned.
    { Sid: 'CcmSecurityGroups', Effect: 'Allow', Action: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:DeleteSecurityGroup', 'ec2:RevokeSecurityGroupIngress'], Resource: ec2('security-group'), Condition: { StringEquals: ec2Owned } },
    { Sid: 'CcmLoadBalancerServiceLinkedRole', Effect: 'Allow', Action: ['iam:CreateServiceLinkedRole'], Resource: '*', Condition: { StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } } },
  ];
}

/**
 * The EBS CSI controller's statements, from the driver's docs/example-iam-policy-strict.json without snapshots (no
 * snapshotter runs): volumes it creates must carry this cluster's tag (--k8s-tag-cluster-id), and only such volumes and
 * this cluster's instances may be attached, detached, resized or deleted.
 */
function ebsCsiStatements(cluster: Cluster, partition: string): Statement[] {
  const tag = kubernetesClusterTag(cluster.metadata.name);
  const ec2 = (type: string) => `arn:${partition}:ec2:${cluster.spec.region}:*:${type}/*`;
  return [
    { Sid: 'EbsCsiDescribe', Effect: 'Allow', Action: ['ec2:DescribeAvailabilityZones', 'ec2:DescribeInstances', 'ec2:DescribeTags', 'ec2:DescribeVolumes', 'ec2:DescribeVolumesModifications'], Resource: '*' },
    { Sid: 'EbsCsiCreateVolumes', Effect: 'Allow', Action: ['ec2:CreateVolume'], Resource: ec2('volume'), Condition: { StringEquals: { [`aws:RequestTag/${tag}`]: 'owned', 'aws:RequestTag/ebs.csi.aws.com/cluster': 'true' } } },
    { Sid: 'EbsCsiTagVolumesOnCreate', Effect: 'Allow', Action: ['ec2:CreateTags'], Resource: ec2('volume'), Condition: { StringEquals: { 'ec2:CreateAction': 'CreateVolume' } } },
    { Sid: 'EbsCsiVolumes', Effect: 'Allow', Action: ['ec2:AttachVolume', 'ec2:DeleteTags', 'ec2:DeleteVolume', 'ec2:DetachVolume', 'ec2:ModifyVolume'], Resource: ec2('volume'), Condition: { StringEquals: { [`ec2:ResourceTag/${tag}`]: 'owned' } } },
    { Sid: 'EbsCsiInstances', Effect: 'Allow', Action: ['ec2:AttachVolume', 'ec2:DetachVolume'], Resource: ec2('instance'), Condition: { StringEquals: { [`ec2:ResourceTag/${tag}`]: 'owned' } } },
  ];
}

function ecrStatements(partition: string): Statement[] {
  return [
    // GetAuthorizationToken has no resource-level permissions; the pulls are limited to repositories.
    { Sid: 'EcrAuthorization', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' },
    { Sid: 'EcrPull', Effect: 'Allow', Action: ECR_PULL, Resource: `arn:${partition}:ecr:*:*:repository/*` },
  ];
}

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
  const enabled = new Set(enabledAddons(cluster).map((a) => a.name));
  if (role === 'control-plane' && enabled.has(CCM_ADDON)) statements.push(...ccmStatements(cluster, partition));
  if (role === 'control-plane' && enabled.has(EBS_CSI_ADDON)) statements.push(...ebsCsiStatements(cluster, partition));
  statements.push(...ecrStatements(partition));
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
