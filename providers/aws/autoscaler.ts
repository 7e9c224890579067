// cluster-autoscaler on AWS (CloudFacts.clusterAutoscaler): it finds the node groups' Auto Scaling groups by
// upstream's auto-discovery tags and keeps each between the group's own MinSize and MaxSize (the ASG's bounds are
// the spec's minSize/maxSize). Only node groups carry the tags: the control planes' groups are never resized. The
// control planes' role gets the autoscaler's own statements (upstream's cloudprovider/aws README policy: reads on
// "*", resizing only of groups tagged as this cluster's), apart from the cloud-controller-manager's.
// Light (imported by cloud.ts): no SDK, no provider.

import type { Cluster } from '../../src/api/types.js';
import type { ClusterAutoscalerFacts } from '../../src/core/provider.js';

export const AUTOSCALER_ENABLED_TAG = 'k8s.io/cluster-autoscaler/enabled';
export const autoscalerClusterTag = (cluster: string) => `k8s.io/cluster-autoscaler/${cluster}`;

/** Whether spec.addons turns cluster-autoscaler on (it is opt-in: docs/autoscaling.md). */
export function autoscalerEnabled(cluster: Cluster): boolean {
  return cluster.spec.addons?.['cluster-autoscaler']?.enabled === true;
}

/** The auto-discovery tags of a node group's Auto Scaling group (none when the autoscaler is off). */
export function autoscalerTags(cluster: Cluster): Record<string, string> {
  return autoscalerEnabled(cluster) ? { [AUTOSCALER_ENABLED_TAG]: 'true', [autoscalerClusterTag(cluster.metadata.name)]: 'owned' } : {};
}

export function awsClusterAutoscaler(cluster: Cluster): ClusterAutoscalerFacts {
  return {
    cloudProvider: 'aws',
    args: [`--node-group-auto-discovery=asg:tag=${AUTOSCALER_ENABLED_TAG},${autoscalerClusterTag(cluster.metadata.name)}`],
    env: [{ name: 'AWS_REGION', value: cluster.spec.region }],
  };
}

/** The control planes' statements for the autoscaler (separate Sids from the cloud-controller-manager's). */
export function autoscalerStatements(cluster: Cluster) {
  if (!autoscalerEnabled(cluster)) return [];
  return [
    {
      Sid: 'ClusterAutoscalerDescribe',
      Effect: 'Allow' as const,
      Action: [
        'autoscaling:DescribeAutoScalingGroups',
        'autoscaling:DescribeAutoScalingInstances',
        'autoscaling:DescribeLaunchConfigurations',
        'autoscaling:DescribeScalingActivities',
        'autoscaling:DescribeTags',
        'ec2:DescribeImages',
        'ec2:DescribeInstanceTypes',
        'ec2:DescribeLaunchTemplateVersions',
        'ec2:GetInstanceTypesFromInstanceRequirements',
      ],
      // Describe calls do not support resource-level permissions.
      Resource: '*',
    },
    {
      Sid: 'ClusterAutoscalerResize',
      Effect: 'Allow' as const,
      Action: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
      Resource: '*',
      // Only this cluster's node groups carry the tag (control planes' groups do not).
      Condition: { StringEquals: { [`aws:ResourceTag/${autoscalerClusterTag(cluster.metadata.name)}`]: 'owned' } },
    },
  ];
}
