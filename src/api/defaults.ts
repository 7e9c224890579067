// Fills in everything a user may leave out: the cloud and region from the zones, sizes, CIDRs, version.
// Input is a shape-checked document (schema.ts); output is a complete Cluster that rules.ts then judges.

import { allClouds, cloudFacts, DEFAULT_CLOUD } from '../../providers/index.js';
import { API_VERSION, KIND, type Cluster, type ClusterSpecBody, type NodeGroupSpec } from './types.js';
import { DEFAULT_KUBERNETES_VERSION, parseKubeVersion } from './version.js';
import { zoneRegion } from './zones.js';
import { etcdWithDefaults } from './etcd-backups.js';

export const DEFAULT_NETWORKING = { cni: 'calico', podCIDR: '100.96.0.0/11', serviceCIDR: '100.64.0.0/13', networkCIDR: '172.20.0.0/16' } as const;

type Doc = { [k: string]: any };

const NODE_GROUP_SHAPE_FIELDS = ['labels', 'taints', 'rootVolume', 'spot', 'image'] as const;

/**
 * Settings `create` writes into a NEW cluster's spec when the input leaves them out. They are not defaults: a stored
 * spec without them (a cluster created before they existed) keeps its behaviour (off).
 */
export function withNewClusterSettings(c: Cluster): Cluster {
  const api = c.spec.kubeAPIServer ?? {};
  return { ...c, spec: { ...c.spec, kubeAPIServer: { ...api, auditLogging: api.auditLogging ?? true, encryptionAtRest: api.encryptionAtRest ?? true } } };
}

/** The cloud and region a zone's name is shaped like (the first registered cloud it fits), or null. */
export function zoneShape(zone: string): { cloud: string; region: string } | null {
  for (const cloud of allClouds()) {
    const region = cloud.zones ? zoneRegion(cloud.zones, zone) : null;
    if (region !== null) return { cloud: cloud.name, region };
  }
  return null;
}

/** The cloud implied by the zones' names, or by the presence of hosts (the cloud whose machines are the user's hosts). */
export function inferCloud(zones: string[] | undefined, hasHosts: boolean): string | undefined {
  const first = zones?.map(zoneShape).find((s) => s !== null);
  if (first) return first.cloud;
  return hasHosts ? allClouds().find((c) => c.ownHosts)?.name : undefined;
}

/** A complete Cluster from a partial document. Never throws: impossible values are left for the rules to report. */
export function withDefaults(doc: Doc): Cluster {
  const spec: Doc = doc.spec ?? {};
  const hosts = spec.hosts as ClusterSpecBody['hosts'];
  const cloud: string = spec.cloud ?? inferCloud(spec.zones, (hosts?.length ?? 0) > 0) ?? DEFAULT_CLOUD;
  // An unknown cloud gets no cloud defaults; the rules then report it.
  const facts = cloudFacts(cloud);
  const fixedZone = facts?.fixedZone;
  const zones: string[] = spec.zones ?? (fixedZone !== undefined ? [fixedZone] : []);
  const region: string = spec.region ?? fixedZone ?? (zones.map(zoneShape).find((s) => s)?.region ?? '');
  const machineType = facts?.defaultMachineType as string;
  const ownHosts = facts?.ownHosts === true;
  const cpHosts = hosts?.filter((h) => h.role === 'control-plane').length ?? 0;
  // Where the machines are the user's hosts, the control plane is the hosts with role control-plane: the count is
  // their number, not what an older revision or a copied spec says (like the worker group's size below).
  const cpCount: number = ownHosts && cpHosts > 0 ? cpHosts : (spec.controlPlane?.count ?? spec.controlPlane?.zones?.length ?? 1);
  const workerHosts = hosts?.filter((h) => h.role === 'worker').length ?? 0;
  const defaultGroups: NodeGroupSpec[] =
    ownHosts
      ? workerHosts > 0 ? [{ name: 'nodes', machineType, minSize: workerHosts, maxSize: workerHosts, zones }] : []
      : [{ name: 'nodes', machineType, minSize: 1, maxSize: 1, zones }];

  const out: ClusterSpecBody = {
    cloud,
    region,
    zones,
    // `v1.35.1` (kubeadm's spelling) is stored as 1.35.1: every comparison of versions, and what nodes get, reads X.Y.Z.
    kubernetesVersion: spec.kubernetesVersion === undefined ? DEFAULT_KUBERNETES_VERSION : (parseKubeVersion(spec.kubernetesVersion)?.text ?? spec.kubernetesVersion),
    networking: { ...DEFAULT_NETWORKING, ...(spec.networking ?? {}) },
    api: { adminAccess: ['0.0.0.0/0'], dnsZone: null, ...(spec.api ?? {}) },
    ssh: { publicKey: null, access: ['0.0.0.0/0'], ...(spec.ssh ?? {}) },
    controlPlane: {
      count: cpCount,
      machineType: spec.controlPlane?.machineType ?? machineType,
      zones: spec.controlPlane?.zones ?? zones.slice(0, Math.max(1, Math.min(cpCount, zones.length))),
      ...(spec.controlPlane?.schedulable !== undefined ? { schedulable: spec.controlPlane.schedulable } : {}),
    },
    nodeGroups: (spec.nodeGroups ?? defaultGroups).map((g: Doc, i: number) => {
      // Where the machines are the user's hosts, the first group is the worker hosts (one node per host, the metal
      // model's workerGroup): its size is their number, not what an older revision or a copied spec says — else a
      // host added or removed by `replace -f` leaves validate expecting the old count.
      const hostCount = ownHosts && hosts !== undefined && i === 0 ? workerHosts : undefined;
      return {
        name: g.name,
        machineType: g.machineType ?? machineType,
        minSize: hostCount ?? g.minSize ?? g.maxSize ?? 1,
        maxSize: hostCount ?? g.maxSize ?? g.minSize ?? 1,
        zones: g.zones ?? zones,
        // Shape settings stay absent unless given, so specs written before them read back unchanged.
        ...Object.fromEntries(NODE_GROUP_SHAPE_FIELDS.filter((f) => g[f] !== undefined).map((f) => [f, g[f]])),
      };
    }),
  };
  if (spec.topology !== undefined) out.topology = spec.topology;
  if (spec.bastion !== undefined) out.bastion = { machineType: spec.bastion?.machineType ?? facts?.topology?.bastionMachineType ?? machineType };
  if (spec.project !== undefined) out.project = spec.project;
  if (spec.image !== undefined) out.image = spec.image;
  if (hosts !== undefined) out.hosts = hosts.map((h) => ({ ...h, port: h.port ?? 22, user: h.user ?? 'root' }));
  if (spec.assets !== undefined) out.assets = { baseURL: null, registryMirror: null, ...spec.assets };
  if (spec.stateStore !== undefined) out.stateStore = { ...spec.stateStore };
  if (spec.addons !== undefined) out.addons = Object.fromEntries(Object.entries(spec.addons as Record<string, Doc>).map(([name, a]) => [name, { ...a }]));
  // Component settings are kept as written: an absent field means the component's (or kubeadm's) own default.
  for (const f of ['kubeAPIServer', 'kubelet', 'kubeProxy'] as const) if (spec[f] !== undefined) out[f] = spec[f];
  if (spec.etcd !== undefined) out.etcd = etcdWithDefaults(spec.etcd);
  return {
    apiVersion: doc.apiVersion ?? API_VERSION,
    kind: doc.kind ?? KIND,
    metadata: {
      name: doc.metadata?.name ?? '',
      ...(doc.metadata?.uid !== undefined ? { uid: doc.metadata.uid } : {}),
      ...(doc.metadata?.revision !== undefined ? { revision: doc.metadata.revision } : {}),
    },
    spec: out,
  };
}
