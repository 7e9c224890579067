// rolling-update on AWS: which Auto Scaling group instances run an older launch template version than their group,
// and replacing one of them without shrinking the group (TerminateInstanceInAutoScalingGroup with
// ShouldDecrementDesiredCapacity=false, after which the group launches a replacement from its current version).
//
// An instance's launched version comes from the `aws:ec2launchtemplate:version` tag EC2 puts on every instance launched
// from a template (the ASG's own per-instance field is used when the tag is missing). Groups follow `$Latest`, which is
// resolved to a number through DescribeLaunchTemplates, so both sides compare as `lt-id:number`.

import type { Instance as AsgInstance } from '@aws-sdk/client-auto-scaling';
import type { Instance, LaunchTemplate } from '@aws-sdk/client-ec2';
import type { Cluster } from '../../src/api/types.js';
import type { CloudInstanceGroup, GroupInstance, ReplaceOptions, RollingUpdateCapability } from '../../src/core/provider.js';
import type { AwsClients } from './clients.js';
import { TAG_CLUSTER } from './model/names.js';
import { isOurs, paginate, tagMap } from './resources/common.js';
import { CONTROL_PLANE_GROUP, NODE_GROUP_LABEL } from '../../src/api/labels.js';
import { waitForGroup } from '../../src/core/group-wait.js';
import { OperationError } from '../../src/core/errors.js';

const NODE_GROUP_TAG = NODE_GROUP_LABEL;
const CONTROL_PLANE = CONTROL_PLANE_GROUP;
const LT_ID_TAG = 'aws:ec2launchtemplate:id';
const LT_VERSION_TAG = 'aws:ec2launchtemplate:version';
/** Lifecycle states of instances that are leaving the group: not listed, not waited for. */
const LEAVING = /^(Terminating|Terminated|Detaching|Detached)/;

/** `$Latest` / `$Default` / a number → the version number it names today. */
function resolveVersion(spec: string | undefined, template: LaunchTemplate | undefined): string {
  if (!template) return spec ?? '?';
  if (!spec || spec === '$Latest') return String(template.LatestVersionNumber);
  if (spec === '$Default') return String(template.DefaultVersionNumber);
  return spec;
}

async function describeTemplates(clients: AwsClients, ids: string[]): Promise<Map<string, LaunchTemplate>> {
  if (!ids.length) return new Map();
  const templates = await paginate(clients.ec2, 'DescribeLaunchTemplates', { LaunchTemplateIds: [...new Set(ids)] }, 'LaunchTemplates');
  return new Map(templates.map((t) => [t.LaunchTemplateId ?? '', t]));
}

async function describeInstances(clients: AwsClients, ids: string[]): Promise<Map<string, Instance>> {
  if (!ids.length) return new Map();
  const reservations = await paginate(clients.ec2, 'DescribeInstances', { InstanceIds: ids }, 'Reservations');
  return new Map(reservations.flatMap((r) => r.Instances ?? []).map((i) => [i.InstanceId ?? '', i]));
}

/** The cluster's groups (or the named ones), with their instances and versions. */
async function describeGroups(clients: AwsClients, metadata: Cluster['metadata'], names?: string[]): Promise<CloudInstanceGroup[]> {
  const cluster = metadata.name;
  const input = names ? { AutoScalingGroupNames: names } : { Filters: [{ Name: `tag:${TAG_CLUSTER}`, Values: [cluster] }] };
  // Never replaces instances of another cluster of the same name (exit 2, see core/ownership.ts).
  const identity = { cluster, clusterId: metadata.uid };
  const groups = (await paginate(clients.autoscaling, 'DescribeAutoScalingGroups', input, 'AutoScalingGroups')).filter(
    (g) => isOurs(tagMap(g.Tags), identity, `auto scaling group ${g.AutoScalingGroupName}`) && g.Status !== 'Delete in progress',
  );
  const templates = await describeTemplates(clients, groups.flatMap((g) => (g.LaunchTemplate?.LaunchTemplateId ? [g.LaunchTemplate.LaunchTemplateId] : [])));
  const staying = (i: AsgInstance) => !LEAVING.test(i.LifecycleState ?? '');
  const members = groups.flatMap((g) => (g.Instances ?? []).filter(staying));
  const ec2 = await describeInstances(clients, members.flatMap((i) => (i.InstanceId ? [i.InstanceId] : [])));

  const out = groups.map((g): CloudInstanceGroup => {
    const cloudName = g.AutoScalingGroupName ?? '';
    const group = tagMap(g.Tags)[NODE_GROUP_TAG] ?? cloudName;
    const ltId = g.LaunchTemplate?.LaunchTemplateId ?? '?';
    const currentVersion = `${ltId}:${resolveVersion(g.LaunchTemplate?.Version, templates.get(ltId))}`;
    const instances = (g.Instances ?? [])
      .filter(staying)
      .map((i): GroupInstance => {
        const detail = ec2.get(i.InstanceId ?? '');
        const tags = tagMap(detail?.Tags);
        const launchedId = tags[LT_ID_TAG] ?? i.LaunchTemplate?.LaunchTemplateId ?? '?';
        const launchedVersion = tags[LT_VERSION_TAG] ?? resolveVersion(i.LaunchTemplate?.Version, templates.get(launchedId));
        const version = `${launchedId}:${launchedVersion}`;
        return {
          id: i.InstanceId ?? '',
          version,
          needsUpdate: version !== currentVersion,
          status: i.LifecycleState ?? 'Unknown',
          zone: i.AvailabilityZone ?? detail?.Placement?.AvailabilityZone,
          // kubeadm on AWS registers the node under the instance's local hostname (its private DNS name).
          nodeNames: [detail?.PrivateDnsName].filter((n): n is string => Boolean(n)),
        };
      })
      .sort((a: GroupInstance, b: GroupInstance) => a.id.localeCompare(b.id));
    return { group, role: group === CONTROL_PLANE ? 'control-plane' : 'node', cloudName, currentVersion, desired: Number(g.DesiredCapacity ?? 0), instances };
  });
  return out.sort((a, b) => Number(b.role === 'control-plane') - Number(a.role === 'control-plane') || a.cloudName.localeCompare(b.cloudName));
}

/** The group is whole again: the old instance is gone, and `desired` instances are in service, new ones on the current version. */
function settled(g: CloudInstanceGroup, oldId: string, before: Set<string>): boolean {
  if (g.instances.some((i) => i.id === oldId)) return false;
  const inService = g.instances.filter((i) => i.status === 'InService');
  if (inService.length < g.desired) return false;
  return g.instances.filter((i) => !before.has(i.id)).every((i) => i.status === 'InService' && !i.needsUpdate);
}

/** The group's MaxSize before a surge raised it, kept on the group so an interrupted upgrade restores it. */
const SURGE_MAX_TAG = 'k8sup.io/max-size-before-surge';

async function rawGroup(clients: AwsClients, name: string) {
  const [g] = await paginate(clients.autoscaling, 'DescribeAutoScalingGroups', { AutoScalingGroupNames: [name] }, 'AutoScalingGroups');
  if (!g) throw new OperationError(`auto scaling group ${name} is gone`, { hint: 'run `k8sup update cluster NAME --yes` to recreate it' });
  return g;
}

export const awsRollingUpdate: RollingUpdateCapability<AwsClients> = {
  listGroups: (cluster: Cluster, clients) => describeGroups(clients, cluster.metadata),

  async replaceInstance(cluster, clients, group, instance, opts: ReplaceOptions) {
    const before = new Set(group.instances.map((i) => i.id));
    await clients.autoscaling.call('TerminateInstanceInAutoScalingGroup', { InstanceId: instance.id, ShouldDecrementDesiredCapacity: false });
    opts.io.emit({ code: 'rolling-update.terminated', level: 'info', message: `terminated ${instance.id} in ${group.cloudName}; waiting for its replacement`, task: group.cloudName, data: { instance: instance.id } });
    return waitForGroup({
      read: async () => (await describeGroups(clients, cluster.metadata, [group.cloudName]))[0],
      settled: (now) => settled(now, instance.id, before),
      what: `auto scaling group ${group.cloudName}`,
      want: 'in-service instances',
      oldMark: 'old version',
      hint: 'check the group\'s scaling activities in the AWS console; re-run rolling-update to continue',
    }, { ...opts, pollMs: opts.pollMs ?? clients.pollMs });
  },

  async surgeInstance(cluster, clients, group, opts: ReplaceOptions) {
    const old = group.instances.filter((i) => i.needsUpdate).map((i) => i.id);
    const fresh = (g: CloudInstanceGroup) => g.instances.filter((i) => !i.needsUpdate && i.status === 'InService');
    // Surged already (an interrupted run): the group is one above its spec size; only the wait is left.
    const specSize = group.role === 'control-plane' ? cluster.spec.controlPlane.count : cluster.spec.nodeGroups.find((g) => g.name === group.group)?.minSize;
    if (specSize === undefined || group.desired <= specSize) {
      const raw = await rawGroup(clients, group.cloudName);
      const desired = Number(raw.DesiredCapacity ?? 0) + 1;
      const max = Number(raw.MaxSize ?? 0);
      if (max < desired) {
        await clients.autoscaling.call('CreateOrUpdateTags', { Tags: [{ ResourceId: group.cloudName, ResourceType: 'auto-scaling-group', Key: SURGE_MAX_TAG, Value: String(max), PropagateAtLaunch: false }] });
        await clients.autoscaling.call('UpdateAutoScalingGroup', { AutoScalingGroupName: group.cloudName, MaxSize: desired });
      }
      await clients.autoscaling.call('SetDesiredCapacity', { AutoScalingGroupName: group.cloudName, DesiredCapacity: desired, HonorCooldown: false });
      opts.io.emit({ code: 'rolling-update.surge', level: 'info', message: `${group.cloudName}: launching one instance on ${group.currentVersion} beside ${old.join(', ') || 'the running ones'}`, task: group.cloudName, data: { desired } });
    }
    return waitForGroup({
      read: async () => (await describeGroups(clients, cluster.metadata, [group.cloudName]))[0],
      settled: (now) => fresh(now).length > 0 && now.instances.filter((i) => i.status === 'InService').length >= now.desired,
      what: `auto scaling group ${group.cloudName}`,
      want: 'in-service instances',
      oldMark: 'old version',
      hint: 'check the group\'s scaling activities in the AWS console; run the same upgrade again to continue',
    }, { ...opts, pollMs: opts.pollMs ?? clients.pollMs });
  },

  async retireInstance(cluster, clients, group, instance, opts: ReplaceOptions) {
    if (group.instances.some((i) => i.id === instance.id)) {
      await clients.autoscaling.call('TerminateInstanceInAutoScalingGroup', { InstanceId: instance.id, ShouldDecrementDesiredCapacity: true });
      opts.io.emit({ code: 'rolling-update.terminated', level: 'info', message: `terminated ${instance.id} in ${group.cloudName}; the group shrinks back by one`, task: group.cloudName, data: { instance: instance.id } });
    }
    const raw = await rawGroup(clients, group.cloudName);
    const before = tagMap(raw.Tags)[SURGE_MAX_TAG];
    if (before !== undefined && /^\d+$/.test(before)) {
      await clients.autoscaling.call('UpdateAutoScalingGroup', { AutoScalingGroupName: group.cloudName, MaxSize: Math.max(Number(before), Number(raw.DesiredCapacity ?? 0)) });
      await clients.autoscaling.call('DeleteTags', { Tags: [{ ResourceId: group.cloudName, ResourceType: 'auto-scaling-group', Key: SURGE_MAX_TAG }] });
    }
    return waitForGroup({
      read: async () => (await describeGroups(clients, cluster.metadata, [group.cloudName]))[0],
      settled: (now) => !now.instances.some((i) => i.id === instance.id) && now.instances.filter((i) => i.status === 'InService').length >= now.desired,
      what: `auto scaling group ${group.cloudName}`,
      want: 'in-service instances',
      oldMark: 'old version',
      hint: 'check the group\'s scaling activities in the AWS console; run the same upgrade again to continue',
    }, { ...opts, pollMs: opts.pollMs ?? clients.pollMs });
  },
};
