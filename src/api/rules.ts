// Cross-field rules on a complete Cluster. Each problem is reported with the path of the field to fix;
// nothing here throws, so a user sees every problem at once.

import { CLOUD_NAMES, cloudFacts } from '../../providers/index.js';
import { addonIssues } from '../addons/index.js';
import type { FieldIssue } from '../core/errors.js';
import { componentIssues } from './component-rules.js';
import { cidrIssue, cidrsOverlap, parseCidr } from './cidr.js';
import { API_VERSION, KIND, type Cluster } from './types.js';
import { topologyIssues } from './topology.js';
import { isSupported, parseKubeVersion, supportedRange } from './version.js';
import { isKnownZone, zoneRegion } from './zones.js';
import { CNI_NAMES, isCniName } from './cni.js';
import { CONTROL_PLANE_GROUP } from './labels.js';
import { etcdBackupsIssues } from './etcd-backups.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const UID = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** GCE labels and several AWS names cap at 63 characters; the cluster name ends up in all of them. */
const MAX_NAME = 63;
const SSH_PUBLIC_KEY = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/=]+( .*)?$/;

export function clusterNameIssue(name: string, path = 'metadata.name'): FieldIssue | null {
  if (!name) return { path, message: 'is required (a DNS name such as demo.k8s.local)' };
  if (name.length > MAX_NAME || !DNS1123_SUBDOMAIN.test(name)) {
    return { path, message: `"${name}" is not a valid cluster name: use lowercase letters, digits, '-' and '.', at most ${MAX_NAME} characters, starting and ending with a letter or digit (e.g. demo.k8s.local)` };
  }
  return null;
}

export function clusterIssues(c: Cluster): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const add = (path: string, message: string, hint?: string) => issues.push({ path, message, ...(hint ? { hint } : {}) });
  const s = c.spec;

  if (c.apiVersion !== API_VERSION) add('apiVersion', `must be ${API_VERSION}`);
  if (c.kind !== KIND) add('kind', `must be ${KIND}`);
  const nameIssue = clusterNameIssue(c.metadata.name);
  if (nameIssue) issues.push(nameIssue);
  // The uid ends up in GCE label values and AWS tag values: lowercase letters, digits and '-', at most 63.
  if (c.metadata.uid !== undefined && !UID.test(c.metadata.uid)) {
    add('metadata.uid', `"${c.metadata.uid}" is not a cluster uid (k8sup mints it at create; leave the field as \`get cluster\` printed it, or drop it)`);
  }
  if (c.metadata.revision !== undefined && c.metadata.revision < 1) add('metadata.revision', 'must be a revision number (1 or more) as `get cluster` printed it');

  const cloud = cloudFacts(s.cloud);
  if (!cloud) add('spec.cloud', `"${s.cloud}" is not a supported cloud (${CLOUD_NAMES.join(', ')})`);
  // Zone-less clouds (bare metal) place every node in their one fixed zone.
  const zoned = cloud?.fixedZone === undefined;

  // Zones: known for the cloud, all in one region.
  if (zoned) {
    if (s.zones.length === 0) add('spec.zones', 'at least one zone is required (--zones us-east-2a)');
    s.zones.forEach((z, i) => {
      const region = cloud?.zones ? zoneRegion(cloud.zones, z) : null;
      if (!cloud?.zones || !isKnownZone(cloud.zones, z)) add(`spec.zones[${i}]`, `unknown ${s.cloud} zone "${z}"`);
      else if (region !== null && region !== s.region) add(`spec.zones[${i}]`, `zone "${z}" is in region ${region}, not ${s.region}: all zones must be in one region`);
    });
    if (new Set(s.zones).size !== s.zones.length) add('spec.zones', 'lists a zone twice');
  }

  const v = parseKubeVersion(s.kubernetesVersion);
  if (!v) add('spec.kubernetesVersion', `"${s.kubernetesVersion}" is not a version of the form X.Y.Z`);
  else if (!isSupported(v)) add('spec.kubernetesVersion', `${s.kubernetesVersion} is outside the supported range ${supportedRange()}`);

  // Networking: valid CIDRs that do not overlap.
  if (!isCniName(s.networking.cni)) add('spec.networking.cni', `"${s.networking.cni}" is not supported (${CNI_NAMES.join(', ')})`);
  const ranges: [string, string][] = [['podCIDR', s.networking.podCIDR], ['serviceCIDR', s.networking.serviceCIDR]];
  // The network range is the VPC / network the provider creates: there is none around the user's own hosts.
  if (!cloud?.ownHosts) ranges.push(['networkCIDR', s.networking.networkCIDR]);
  const parsed = ranges.map(([field, text]) => {
    const cidr = parseCidr(text);
    if (!cidr) add(`spec.networking.${field}`, cidrIssue(text)!);
    return { field, text, cidr };
  });
  for (let i = 0; i < parsed.length; i++) {
    for (let j = i + 1; j < parsed.length; j++) {
      const a = parsed[i], b = parsed[j];
      if (a.cidr && b.cidr && cidrsOverlap(a.cidr, b.cidr)) add(`spec.networking.${b.field}`, `${b.text} overlaps ${a.field} ${a.text}`);
    }
  }
  const svc = parsed.find((p) => p.field === 'serviceCIDR')?.cidr;
  if (svc && svc.prefix > 24) add('spec.networking.serviceCIDR', 'must be /24 or larger');
  const net = parsed.find((p) => p.field === 'networkCIDR')?.cidr;
  if (net && (net.prefix < 16 || net.prefix > 24)) add('spec.networking.networkCIDR', 'must be between /16 and /24 (one subnet per zone is carved from it)');

  s.api.adminAccess.forEach((t, i) => parseCidr(t) || add(`spec.api.adminAccess[${i}]`, cidrIssue(t)!));
  s.ssh.access.forEach((t, i) => parseCidr(t) || add(`spec.ssh.access[${i}]`, cidrIssue(t)!));
  if (s.api.dnsZone !== null && !DNS1123_SUBDOMAIN.test(s.api.dnsZone.replace(/\.$/, ''))) add('spec.api.dnsZone', `"${s.api.dnsZone}" is not a DNS zone name`);
  if (s.ssh.publicKey !== null && !SSH_PUBLIC_KEY.test(s.ssh.publicKey.trim())) add('spec.ssh.publicKey', 'is not an OpenSSH public key (ssh-ed25519 AAAA…); did you pass the private key file?');

  // Control plane: odd count (etcd quorum), zones among the cluster's zones.
  const cp = s.controlPlane;
  if (!Number.isInteger(cp.count) || cp.count < 1) add('spec.controlPlane.count', `must be a positive whole number, got ${cp.count}`);
  else if (cp.count % 2 === 0) {
    // etcd needs a majority of its members: an even count survives no more failures than the odd count below it.
    const quorum = `etcd needs a majority of its members, so ${cp.count} survive no more failures than ${cp.count - 1} (kubeadm's HA setup uses 3)`;
    if (cloud?.ownHosts) add('spec.controlPlane.count', `must be odd (1, 3, 5) so etcd keeps quorum: spec.hosts has ${cp.count} hosts with role control-plane`, `list 1, 3 or 5 hosts with role control-plane: ${quorum}`);
    else add('spec.controlPlane.count', `must be odd (1, 3, 5) so etcd keeps quorum, got ${cp.count}`, `use 1, 3 or 5 control planes (--control-plane-count, spec.controlPlane.count): ${quorum}`);
  }
  checkSubsetZones(cp.zones, s.zones, 'spec.controlPlane.zones', add, zoned);
  if (cp.zones.length > cp.count && Number.isInteger(cp.count)) add('spec.controlPlane.zones', `lists ${cp.zones.length} zones for ${cp.count} control-plane node(s)`);

  // Node groups.
  const names = new Set<string>();
  s.nodeGroups.forEach((g, i) => {
    const p = `spec.nodeGroups[${i}]`;
    if (!g.name || !DNS1123_LABEL.test(g.name) || g.name.length > 40) add(`${p}.name`, `"${g.name ?? ''}" must be a DNS label (lowercase letters, digits, '-'; at most 40 characters)`);
    else if (g.name === CONTROL_PLANE_GROUP) add(`${p}.name`, `"${CONTROL_PLANE_GROUP}" is reserved for the control plane`);
    else if (names.has(g.name)) add(`${p}.name`, `"${g.name}" is used by another node group`);
    names.add(g.name);
    if (!Number.isInteger(g.minSize) || g.minSize < 0) add(`${p}.minSize`, `must be a whole number >= 0, got ${g.minSize}`);
    if (!Number.isInteger(g.maxSize) || g.maxSize < 0) add(`${p}.maxSize`, `must be a whole number >= 0, got ${g.maxSize}`);
    else if (g.maxSize < g.minSize) add(`${p}.maxSize`, `(${g.maxSize}) must be >= minSize (${g.minSize})`);
    else if (g.maxSize > 1000) add(`${p}.maxSize`, `${g.maxSize} is more than the 1000 nodes a group may have`);
    checkSubsetZones(g.zones, s.zones, `${p}.zones`, add, zoned);
  });

  issues.push(...(cloud?.specIssues?.(c) ?? []));
  topologyIssues(c, cloud, add);
  if (!cloud?.ownHosts) {
    if (s.hosts?.length) add('spec.hosts', `only bare-metal clusters have hosts (spec.cloud is ${s.cloud})`);
    if (s.api.frontEnd !== undefined) add('spec.api.frontEnd', `only bare-metal clusters choose an API front end (spec.cloud is ${s.cloud})`);
    if (s.api.endpoint !== undefined) add('spec.api.endpoint', `only bare-metal clusters take an external API endpoint (spec.cloud is ${s.cloud})`);
  }
  issues.push(...componentIssues(c, cloud));
  issues.push(...etcdBackupsIssues(s));
  return issues;
}

function checkSubsetZones(zones: string[], all: string[], path: string, add: (p: string, m: string) => void, zoned: boolean): void {
  if (zoned && zones.length === 0) add(path, 'needs at least one zone');
  zones.forEach((z, i) => {
    if (!all.includes(z)) add(`${path}[${i}]`, `"${z}" is not one of the cluster's zones (${all.join(', ')})`);
  });
}

const MACHINE_TYPE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Rules that came after specs were already stored: they judge new input (flags, files, edits) but not a stored
 * revision, so a cluster stored before them can still be read, updated and deleted (see loadCluster's `stored`).
 */
export function newInputIssues(c: Cluster): FieldIssue[] {
  const issues: FieldIssue[] = [];
  // A pinned version may move on in a later k8sup: a stored revision naming the old one still loads (and gets the new).
  issues.push(...addonIssues(c));
  const add = (path: string, message: string) => issues.push({ path, message });
  const s = c.spec;
  // An empty list would open nothing on one cloud and everything on another: say what is meant instead.
  if (s.api.adminAccess.length === 0) add('spec.api.adminAccess', 'is empty: list the CIDRs allowed to reach the API (e.g. --admin-access 203.0.113.0/24, or 0.0.0.0/0 for anyone)');
  if (s.ssh.access.length === 0) add('spec.ssh.access', 'is empty: list the CIDRs allowed to reach SSH (e.g. --ssh-access 203.0.113.0/24, or 0.0.0.0/0 for anyone)');
  // Machine types are one word on every cloud (t3.medium, e2-standard-2, n2-custom-4-8192): anything else would only
  // fail at apply, after the spec was stored.
  const machineTypes: [string, string][] = [['spec.controlPlane.machineType', s.controlPlane.machineType], ...s.nodeGroups.map((g, i): [string, string] => [`spec.nodeGroups[${i}].machineType`, g.machineType])];
  for (const [path, type] of machineTypes) {
    if (typeof type === 'string' && !MACHINE_TYPE.test(type)) add(path, `${JSON.stringify(type)} is not a machine type (like t3.medium or e2-standard-2)`);
  }
  issues.push(...(cloudFacts(s.cloud)?.newInputIssues?.(c) ?? []));
  return issues;
}
