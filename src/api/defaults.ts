// Fills in everything a user may leave out: the cloud and region from the zones, sizes, CIDRs, version.
// Input is a shape-checked document (schema.ts); output is a complete Cluster that rules.ts then judges.

import { API_VERSION, KIND, type Cluster, type CloudName, type ClusterSpecBody, type NodeGroupSpec } from './types.js';
import { DEFAULT_KUBERNETES_VERSION } from './version.js';
import { zoneShape } from './zones.js';
import { etcdWithDefaults } from './etcd-backups.js';

export const DEFAULT_MACHINE_TYPE: Record<CloudName, string> = { aws: 't3.medium', gce: 'e2-standard-2', metal: 'host' };
export const DEFAULT_NETWORKING = { cni: 'calico', podCIDR: '100.96.0.0/11', serviceCIDR: '100.64.0.0/13', networkCIDR: '172.20.0.0/16' } as const;
/** Bare-metal clusters have no zones; their nodes are in this one. */
export const METAL_ZONE = 'metal';

type Doc = { [k: string]: any };

/** The cloud implied by the zones' names, or by the presence of hosts. */
export function inferCloud(zones: string[] | undefined, hasHosts: boolean): CloudName | undefined {
  const first = zones?.map(zoneShape).find((s) => s !== null);
  if (first) return first.cloud;
  return hasHosts ? 'metal' : undefined;
}

/** A complete Cluster from a partial document. Never throws: impossible values are left for the rules to report. */
export function withDefaults(doc: Doc): Cluster {
  const spec: Doc = doc.spec ?? {};
  const hosts = spec.hosts as ClusterSpecBody['hosts'];
  const cloud: CloudName = spec.cloud ?? inferCloud(spec.zones, (hosts?.length ?? 0) > 0) ?? 'aws';
  const zones: string[] = spec.zones ?? (cloud === 'metal' ? [METAL_ZONE] : []);
  const region: string = spec.region ?? (cloud === 'metal' ? METAL_ZONE : (zones.map(zoneShape).find((s) => s)?.region ?? ''));
  const machineType = DEFAULT_MACHINE_TYPE[cloud];
  const cpHosts = hosts?.filter((h) => h.role === 'control-plane').length ?? 0;
  const cpCount: number = spec.controlPlane?.count ?? spec.controlPlane?.zones?.length ?? (cloud === 'metal' && cpHosts > 0 ? cpHosts : 1);
  const workerHosts = hosts?.filter((h) => h.role === 'worker').length ?? 0;
  const defaultGroups: NodeGroupSpec[] =
    cloud === 'metal'
      ? workerHosts > 0 ? [{ name: 'nodes', machineType, minSize: workerHosts, maxSize: workerHosts, zones }] : []
      : [{ name: 'nodes', machineType, minSize: 1, maxSize: 1, zones }];

  const out: ClusterSpecBody = {
    cloud,
    region,
    zones,
    kubernetesVersion: spec.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION,
    networking: { ...DEFAULT_NETWORKING, ...(spec.networking ?? {}) },
    api: { adminAccess: ['0.0.0.0/0'], dnsZone: null, ...(spec.api ?? {}) },
    ssh: { publicKey: null, access: ['0.0.0.0/0'], ...(spec.ssh ?? {}) },
    controlPlane: {
      count: cpCount,
      machineType: spec.controlPlane?.machineType ?? machineType,
      zones: spec.controlPlane?.zones ?? zones.slice(0, Math.max(1, Math.min(cpCount, zones.length))),
    },
    nodeGroups: (spec.nodeGroups ?? defaultGroups).map((g: Doc) => ({
      name: g.name,
      machineType: g.machineType ?? machineType,
      minSize: g.minSize ?? g.maxSize ?? 1,
      maxSize: g.maxSize ?? g.minSize ?? 1,
      zones: g.zones ?? zones,
    })),
  };
  if (spec.project !== undefined) out.project = spec.project;
  if (spec.image !== undefined) out.image = spec.image;
  if (hosts !== undefined) out.hosts = hosts.map((h) => ({ ...h, port: h.port ?? 22, user: h.user ?? 'root' }));
  if (spec.assets !== undefined) out.assets = { baseURL: null, registryMirror: null, ...spec.assets };
  if (spec.stateStore !== undefined) out.stateStore = { ...spec.stateStore };
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
