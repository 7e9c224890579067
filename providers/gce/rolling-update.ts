// rolling-update on GCE: managed instance groups whose members were created from an older instance template than the
// group's current one (the groups use the OPPORTUNISTIC update policy, so `update cluster` only switches the
// template), and replacing one member with `recreateInstances`. A recreated instance keeps its name, so its
// Kubernetes node keeps its name too; the group is settled when that instance runs the current template again and
// no member has a pending action.

import type { Cluster } from '../../src/api/types.js';
import type { CloudInstanceGroup, GroupInstance, ReplaceOptions, RollingUpdateCapability } from '../../src/core/provider.js';
import type { GceClients } from './clients.js';
import { instanceGroups } from './model/compute.js';
import { lastSegment, nameFilter, parseMarker, resourceName } from './model/names.js';
import { isOwnObject } from '../../src/core/ownership.js';
import { waitForGroup } from '../../src/core/group-wait.js';

/** Model keys of the control-plane groups (see model/compute.ts). */
const CONTROL_PLANE_KEYS = new Set(['cp', 'cp-join']);
const DEFAULT_POLL_MS = 3000;

/** `instance-group/<key>/<zone>` → the spec group ('control-plane' or the node group's name). */
function specGroup(id: string): string | undefined {
  const m = /^instance-group\/(.+)\/[^/]+$/.exec(id);
  if (!m) return undefined;
  return CONTROL_PLANE_KEYS.has(m[1]) ? 'control-plane' : m[1];
}

/** The fields of an instance group manager read here. */
interface GroupManager {
  name: string;
  zone?: string | null;
  description?: string | null;
  instanceTemplate?: string | null;
  targetSize?: number | string | null;
}

/** The fields of one managed instance (listManagedInstances) read here. */
interface ManagedInstance {
  instance?: string | null;
  name?: string | null;
  id?: string | number | null;
  currentAction?: string | null;
  instanceStatus?: string | null;
  version?: { instanceTemplate?: string | null } | null;
}

async function managedInstances(clients: GceClients, zone: string, name: string): Promise<ManagedInstance[]> {
  const res = await clients.api.call<ManagedInstance[] | { managedInstances?: ManagedInstance[] | null } | null>('instanceGroupManagers', 'listManagedInstances', { project: clients.settings.project, zone, instanceGroupManager: name });
  // With auto-pagination the library answers with the items; without it, with the response object.
  return Array.isArray(res) ? res : (res?.managedInstances ?? []);
}

async function toGroup(clients: GceClients, igm: GroupManager, group: string): Promise<CloudInstanceGroup> {
  const zone = lastSegment(igm.zone);
  const currentVersion = lastSegment(igm.instanceTemplate);
  const instances = (await managedInstances(clients, zone, igm.name))
    .filter((m) => m.currentAction !== 'DELETING' && m.currentAction !== 'ABANDONING')
    .map((m): GroupInstance => {
      const name = lastSegment(m.instance) || String(m.name ?? m.id);
      const version = lastSegment(m.version?.instanceTemplate) || '?';
      const action = m.currentAction;
      const busy = !!action && action !== 'NONE';
      return { id: name, version, needsUpdate: version !== currentVersion, status: busy && action ? action : (m.instanceStatus ?? 'UNKNOWN'), zone, nodeNames: [name] };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
  return { group, role: group === 'control-plane' ? 'control-plane' : 'node', cloudName: igm.name, zone, currentVersion, desired: Number(igm.targetSize ?? 0), instances };
}

async function describeGroups(clients: GceClients, metadata: Cluster['metadata'], only?: { name: string; zone: string }): Promise<CloudInstanceGroup[]> {
  const cluster = metadata.name;
  const igms = only
    ? [await clients.api.call<GroupManager>('instanceGroupManagers', 'get', { project: clients.settings.project, zone: only.zone, instanceGroupManager: only.name })]
    : await clients.api.aggregatedList<GroupManager>('instanceGroupManagers', { filter: nameFilter(cluster) });
  const out: CloudInstanceGroup[] = [];
  for (const igm of igms) {
    const marker = parseMarker(igm?.description);
    // Never replaces instances of another cluster of the same name (exit 2, see core/ownership.ts).
    const id = marker?.cluster === cluster && isOwnObject({ cluster, clusterId: metadata.uid }, marker.clusterId, `instance group manager ${igm.name}`) ? marker.id : undefined;
    const group = id && specGroup(id);
    if (group) out.push(await toGroup(clients, igm, group));
  }
  return out.sort((a, b) => Number(b.role === 'control-plane') - Number(a.role === 'control-plane') || a.cloudName.localeCompare(b.cloudName));
}

function settled(g: CloudInstanceGroup, replaced: string): boolean {
  const running = g.instances.filter((i) => i.status === 'RUNNING');
  if (running.length < g.desired || running.length !== g.instances.length) return false;
  const again = g.instances.find((i) => i.id === replaced);
  // Recreated under the same name; if the group chose another name, every member on the current template will do.
  return again ? !again.needsUpdate : g.instances.some((i) => !i.needsUpdate);
}

/** The group's size in the spec (what `update cluster` sets): a group above it was surged by upgrade cluster. */
function specSize(cluster: Cluster, group: CloudInstanceGroup): number | undefined {
  const zone = group.zone ?? '';
  // Groups are named after their model key and zone (model/compute.ts).
  return instanceGroups(cluster).find((g) => resourceName(cluster, `${g.key}-${zone}`) === group.cloudName)?.sizes.get(zone);
}

const groupUrl = (clients: GceClients, zone: string, instance: string) => `projects/${clients.settings.project}/zones/${zone}/instances/${instance}`;

export const gceRollingUpdate: RollingUpdateCapability<GceClients> = {
  listGroups: (cluster: Cluster, clients) => describeGroups(clients, cluster.metadata),

  async replaceInstance(cluster, clients, group, instance, opts: ReplaceOptions) {
    const zone = group.zone ?? instance.zone ?? '';
    const url = `projects/${clients.settings.project}/zones/${zone}/instances/${instance.id}`;
    await clients.api.mutate(
      'instanceGroupManagers',
      'recreateInstances',
      { zone, instanceGroupManager: group.cloudName, instanceGroupManagersRecreateInstancesRequestResource: { instances: [url] } },
      opts.signal,
    );
    opts.io.emit({ code: 'rolling-update.terminated', level: 'info', message: `recreating ${instance.id} in ${group.cloudName}`, task: group.cloudName, data: { instance: instance.id } });
    return waitForGroup({
      read: async () => (await describeGroups(clients, cluster.metadata, { name: group.cloudName, zone }))[0],
      settled: (now) => settled(now, instance.id),
      what: `instance group ${group.cloudName}`,
      want: 'running instances',
      oldMark: 'old template',
      hint: 'check the group in the Cloud console (gcloud compute instance-groups managed list-instances); re-run rolling-update to continue',
    }, { ...opts, pollMs: opts.pollMs ?? DEFAULT_POLL_MS });
  },

  async surgeInstance(cluster, clients, group, opts: ReplaceOptions) {
    const zone = group.zone ?? '';
    const size = specSize(cluster, group);
    // Surged already (an interrupted run): the group is one above its spec size; only the wait is left.
    if (size === undefined || group.desired <= size) {
      await clients.api.mutate('instanceGroupManagers', 'resize', { zone, instanceGroupManager: group.cloudName, size: group.desired + 1 }, opts.signal);
      opts.io.emit({ code: 'rolling-update.surge', level: 'info', message: `${group.cloudName}: launching one instance on ${group.currentVersion} beside the running ones`, task: group.cloudName, data: { desired: group.desired + 1 } });
    }
    return waitForGroup({
      read: async () => (await describeGroups(clients, cluster.metadata, { name: group.cloudName, zone }))[0],
      settled: (now) => {
        const running = now.instances.filter((i) => i.status === 'RUNNING');
        return running.length >= now.desired && running.length === now.instances.length && running.some((i) => !i.needsUpdate);
      },
      what: `instance group ${group.cloudName}`,
      want: 'running instances',
      oldMark: 'old template',
      hint: 'check the group in the Cloud console (gcloud compute instance-groups managed list-instances); run the same upgrade again to continue',
    }, { ...opts, pollMs: opts.pollMs ?? DEFAULT_POLL_MS });
  },

  async retireInstance(cluster, clients, group, instance, opts: ReplaceOptions) {
    const zone = group.zone ?? instance.zone ?? '';
    if (group.instances.some((i) => i.id === instance.id)) {
      // deleteInstances lowers the target size by one: the group is back to its spec size.
      await clients.api.mutate(
        'instanceGroupManagers',
        'deleteInstances',
        { zone, instanceGroupManager: group.cloudName, instanceGroupManagersDeleteInstancesRequestResource: { instances: [groupUrl(clients, zone, instance.id)] } },
        opts.signal,
      );
      opts.io.emit({ code: 'rolling-update.terminated', level: 'info', message: `deleted ${instance.id} from ${group.cloudName}; the group shrinks back by one`, task: group.cloudName, data: { instance: instance.id } });
    }
    return waitForGroup({
      read: async () => (await describeGroups(clients, cluster.metadata, { name: group.cloudName, zone }))[0],
      settled: (now) => !now.instances.some((i) => i.id === instance.id) && now.instances.filter((i) => i.status === 'RUNNING').length >= now.desired,
      what: `instance group ${group.cloudName}`,
      want: 'running instances',
      oldMark: 'old template',
      hint: 'check the group in the Cloud console (gcloud compute instance-groups managed list-instances); run the same upgrade again to continue',
    }, { ...opts, pollMs: opts.pollMs ?? DEFAULT_POLL_MS });
  },
};
