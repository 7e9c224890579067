// Shape checking of a user-supplied document: types and unknown keys, with field paths. Values are checked by
// rules.ts after defaults are filled in; this file only makes sure the document can be read as a Cluster.

import type { FieldIssue } from '../core/errors.js';
import { closestName } from './did-you-mean.js';

/** 'string-map': a mapping of names to strings (labels, raw flags, claims). */
type Leaf = 'string' | 'integer' | 'boolean' | 'string?' | 'cidr-list' | 'string-list' | 'string-map';
interface ObjectShape {
  fields: Record<string, Shape>;
}
interface ListShape {
  items: Shape;
}
/** A mapping of names the user chooses (addon names) to values of one shape. */
interface MapShape {
  values: Shape;
}
type Shape = Leaf | ObjectShape | ListShape | MapShape;

const obj = (fields: Record<string, Shape>): ObjectShape => ({ fields });
const list = (items: Shape): ListShape => ({ items });
const map = (values: Shape): MapShape => ({ values });

const HOST = obj({
  address: 'string', port: 'integer', user: 'string', role: 'string', sshKey: 'string', bastion: 'string', name: 'string',
});

const RESERVED = obj({ cpu: 'string', memory: 'string', 'ephemeral-storage': 'string', pid: 'string' });

const NODE_GROUP = obj({
  name: 'string', machineType: 'string', minSize: 'integer', maxSize: 'integer', zones: 'string-list',
  labels: 'string-map', taints: 'string-list', rootVolume: obj({ size: 'integer', type: 'string' }), spot: 'boolean', image: 'string',
});

const CLUSTER: ObjectShape = obj({
  apiVersion: 'string',
  kind: 'string',
  metadata: obj({ name: 'string', uid: 'string', revision: 'integer' }),
  spec: obj({
    cloud: 'string',
    region: 'string',
    zones: 'string-list',
    kubernetesVersion: 'string',
    networking: obj({ cni: 'string', podCIDR: 'string', serviceCIDR: 'string', networkCIDR: 'string', dnsDomain: 'string', networkId: 'string', subnets: 'string-list', nat: 'string' }),
    api: obj({ adminAccess: 'cidr-list', dnsZone: 'string?', vip: 'string', frontEnd: 'string', endpoint: 'string', loadBalancerType: 'string' }),
    ssh: obj({ publicKey: 'string?', access: 'cidr-list' }),
    controlPlane: obj({ count: 'integer', machineType: 'string', zones: 'string-list', schedulable: 'boolean' }),
    nodeGroups: list(NODE_GROUP),
    topology: 'string',
    bastion: obj({ machineType: 'string' }),
    project: 'string',
    image: 'string?',
    hosts: list(HOST),
    assets: obj({
      baseURL: 'string?', registryMirror: 'string?', containerRegistry: 'string', fileRepository: 'string',
      registries: list(obj({ host: 'string', caCert: 'string', insecureSkipVerify: 'boolean', credentials: obj({ secretRef: 'string' }) })),
      packageMirrors: obj({ apt: 'string', dnf: 'string' }),
    }),
    kubeAPIServer: obj({
      enableAdmissionPlugins: 'string-list', disableAdmissionPlugins: 'string-list', serviceNodePortRange: 'string',
      oidc: obj({ issuerURL: 'string', clientID: 'string', usernameClaim: 'string', usernamePrefix: 'string', groupsClaim: 'string', groupsPrefix: 'string', requiredClaims: 'string-map' }),
      auditLogging: 'boolean', encryptionAtRest: 'boolean', extraArgs: 'string-map',
    }),
    kubelet: obj({
      maxPods: 'integer', systemReserved: RESERVED, kubeReserved: RESERVED,
      evictionHard: obj({ 'memory.available': 'string', 'nodefs.available': 'string', 'nodefs.inodesFree': 'string', 'imagefs.available': 'string', 'imagefs.inodesFree': 'string', 'pid.available': 'string' }),
      extraArgs: 'string-map',
    }),
    kubeProxy: obj({ mode: 'string' }),
    stateStore: obj({ region: 'string' }),
    addons: map(obj({ enabled: 'boolean', version: 'string' })),
    etcd: obj({ backups: obj({ schedule: 'string', retain: 'integer' }) }),
  }),
});

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function check(value: unknown, shape: Shape, path: string, issues: FieldIssue[]): void {
  if (value === undefined) return; // missing fields are defaulted or reported by the rules
  if (typeof shape === 'string') {
    const ok =
      shape === 'string' ? typeof value === 'string'
      : shape === 'string?' ? value === null || typeof value === 'string'
      : shape === 'integer' ? typeof value === 'number' && Number.isInteger(value)
      : shape === 'boolean' ? typeof value === 'boolean'
      : shape === 'string-map' ? typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((x) => typeof x === 'string')
      : Array.isArray(value) && value.every((x) => typeof x === 'string');
    if (!ok) {
      const want = { string: 'a string', 'string?': 'a string or null', integer: 'a whole number', boolean: 'true or false', 'cidr-list': 'a list of CIDRs', 'string-list': 'a list of strings', 'string-map': 'a mapping of names to strings (quote numbers and booleans: "400")' }[shape];
      issues.push({ path, message: `must be ${want}, got ${typeName(value)}` });
    }
    return;
  }
  if ('items' in shape) {
    if (!Array.isArray(value)) {
      issues.push({ path, message: `must be a list, got ${typeName(value)}` });
      return;
    }
    value.forEach((item, i) => check(item, shape.items, `${path}[${i}]`, issues));
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push({ path, message: `must be a mapping, got ${typeName(value)}` });
    return;
  }
  if ('values' in shape) {
    for (const [key, v] of Object.entries(value)) check(v, shape.values, `${path}.${key}`, issues);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    const sub = shape.fields[key];
    const p = path ? `${path}.${key}` : key;
    const known = Object.keys(shape.fields);
    const near = sub ? undefined : closestName(key, known);
    if (!sub) issues.push({ path: p, message: near ? `unknown field; did you mean ${near}?` : `unknown field (known: ${known.join(', ')})` });
    else check(v, sub, p, issues);
  }
}

/** Type and unknown-key issues of a parsed cluster document. */
export function checkClusterShape(doc: unknown): FieldIssue[] {
  const issues: FieldIssue[] = [];
  check(doc, CLUSTER, '', issues);
  return issues;
}
