// `create cluster` flags → a partial cluster document for the spec pipeline (src/api). Only the translation and
// the flag-level checks live here; every rule about values is in src/api/rules.ts.

import { allClouds } from '../../providers/index.js';
import { InvalidInputError } from '../core/errors.js';
import { expandPath, readInputFile } from './paths.js';

type Doc = Record<string, any>;

function list(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean);
}

function count(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim())) {
    throw new InvalidInputError(`${flag}: "${v}" is not a whole number >= 0`, { hint: `pass a number, e.g. ${flag} 3` });
  }
  return Number(v);
}

/** commander's option key of a flag: '--hosts <file>' → 'hosts', '--ssh-key-dir <d>' → 'sshKeyDir'. */
function optionKey(flags: string): string {
  return flags.split(/[ ,]/)[0].replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The create flags the clouds contribute (providers/<name>/cloud.ts createFlags), each with its cloud. */
export function cloudCreateFlags() {
  return allClouds().flatMap((cloud) => (cloud.createFlags ?? []).map((flag) => ({ cloud, flag, key: optionKey(flag.flags) })));
}

/** '--zones us-east-2a (AWS) or --zones us-central1-b (GCE); bare metal takes --hosts FILE', from the registry. */
function zonesHint(): string {
  const zoned = allClouds().flatMap((c) => (c.zones ? [`--zones ${c.zones.example} (${c.title})`] : []));
  const zoneless = allClouds().filter((c) => !c.zones).map((c) => `${c.title} takes ${(c.createFlags ?? []).map((f) => `${f.flags.split(' ')[0]} FILE`).join(', ')}`);
  return `e.g. ${zoned.join(' or ')}${zoneless.length ? `; ${zoneless.join('; ')}` : ''}`;
}

// Value flags whose empty value would silently become the default (`--kubernetes-version "$UNSET"`). --zones has its
// own message, and --admin-access / --ssh-access '' are refused by the spec rules.
const NO_EMPTY_VALUE: Record<string, string> = {
  kubernetesVersion: '--kubernetes-version', networking: '--networking', nodeSize: '--node-size', controlPlaneSize: '--control-plane-size',
  controlPlaneZones: '--control-plane-zones', controlPlaneCount: '--control-plane-count', nodeCount: '--node-count',
  sshPublicKey: '--ssh-public-key', image: '--image', dnsZone: '--dns-zone', project: '--project',
};

export async function clusterDocFromFlags(name: string, o: Record<string, any>, where: { home: string; cwd: string }): Promise<Doc> {
  for (const [key, flag] of Object.entries(NO_EMPTY_VALUE)) {
    if (typeof o[key] === 'string' && o[key].trim() === '') throw new InvalidInputError(`${flag} is empty`, { hint: `give it a value, or leave ${flag} out for the default` });
  }
  const zones = list(o.zones);
  const contributed = cloudCreateFlags().filter((f) => o[f.key] !== undefined);
  const zoneless = allClouds().some((c) => !c.zones && (c.name === o.cloud || contributed.some((f) => f.cloud === c)));
  if (!zones?.length && !zoneless) {
    throw new InvalidInputError('--zones is required', { hint: zonesHint() });
  }
  const spec: Doc = {};
  if (o.cloud) spec.cloud = o.cloud;
  if (zones) spec.zones = zones;
  if (o.kubernetesVersion) spec.kubernetesVersion = o.kubernetesVersion;
  const networking: Doc = {};
  if (o.networking) networking.cni = o.networking;
  if (o.networkId !== undefined) networking.networkId = o.networkId;
  if (o.subnets !== undefined) networking.subnets = list(o.subnets);
  if (o.nat !== undefined) networking.nat = o.nat;
  if (Object.keys(networking).length) spec.networking = networking;
  if (o.topology !== undefined) spec.topology = o.topology;
  if (o.bastion) spec.bastion = {};
  if (o.project) spec.project = o.project;
  if (o.image) spec.image = o.image;
  const api: Doc = {};
  // `--admin-access ''` is an (empty) answer, not an absent flag: the rules refuse it instead of defaulting it.
  if (o.adminAccess !== undefined) api.adminAccess = list(o.adminAccess);
  if (o.dnsZone) api.dnsZone = o.dnsZone;
  if (o.apiLoadbalancerType !== undefined) api.loadBalancerType = o.apiLoadbalancerType;
  const ssh: Doc = {};
  if (o.sshAccess !== undefined) ssh.access = list(o.sshAccess);
  if (o.sshPublicKey) ssh.publicKey = (await readInputFile('--ssh-public-key', o.sshPublicKey, where)).trim();

  const cp: Doc = {};
  const cpCount = count('--control-plane-count', o.controlPlaneCount);
  if (cpCount !== undefined) cp.count = cpCount;
  if (o.controlPlaneZones) cp.zones = list(o.controlPlaneZones);
  if (o.controlPlaneSize) cp.machineType = o.controlPlaneSize;
  if (Object.keys(cp).length) spec.controlPlane = cp;

  const nodeCount = count('--node-count', o.nodeCount);
  if (nodeCount !== undefined || o.nodeSize) {
    spec.nodeGroups = [{ name: 'nodes', minSize: nodeCount ?? 1, maxSize: nodeCount ?? 1, ...(o.nodeSize ? { machineType: o.nodeSize } : {}), ...(zones ? { zones } : {}) }];
  }

  for (const { cloud, flag, key } of contributed) {
    const flagName = flag.flags.split(' ')[0];
    // Relative paths inside the file (metal's sshKey) are relative to its folder, so it is named by its expanded path.
    const value = String(o[key]);
    const part = await flag.toSpec(await readInputFile(flagName, value, where), value === '-' ? '-' : expandPath(value, where));
    spec.cloud ??= cloud.name;
    for (const [field, v] of Object.entries(part)) {
      if (field === 'api') Object.assign(api, v);
      else spec[field] = v;
    }
  }
  if (Object.keys(api).length) spec.api = api;
  if (Object.keys(ssh).length) spec.ssh = ssh;
  // Where the machines are the user's hosts, the hosts file says how many there are and what they are: these flags
  // would be stored and never acted on (and validate would wait for nodes that cannot come).
  const hostsCloud = allClouds().find((c) => c.name === spec.cloud && c.ownHosts);
  const machineFlags = [['--node-count', o.nodeCount], ['--node-size', o.nodeSize], ['--control-plane-count', o.controlPlaneCount], ['--control-plane-size', o.controlPlaneSize], ['--image', o.image]] as const;
  const hostsDecide = hostsCloud ? machineFlags.find(([, v]) => v !== undefined) : undefined;
  if (hostsCloud && hostsDecide) {
    throw new InvalidInputError(`${hostsDecide[0]}: ${hostsCloud.title} clusters have one node per host of the hosts file, as it is`, { hint: `drop ${hostsDecide[0]}; add or remove hosts in the hosts file instead` });
  }
  return { metadata: { name }, spec };
}
