// A small fake kube-apiserver for validation tests. It speaks the real Kubernetes REST wire protocol (JSON objects,
// List kinds, Status errors, discovery, label/field selectors, Table output for kubectl, watch streams) over HTTPS
// with client-certificate authentication, so both @kubernetes/client-node and the real Go `kubectl` can talk to it.
// Its TLS material is made with the real `openssl` CLI. The cluster state is an in-memory, mutable set of
// kubeadm-shaped objects, with helpers to build a healthy cluster for a spec and to break it in specific ways.

import { enabledAddons, imageReference } from '../../src/addons/index.js';
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { Cluster } from '../../src/api/types.js';

// ------------------------------------------------------------------------------------------------ TLS material

export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** CN=kubernetes-admin, O=system:masters, signed by the cluster CA. */
  adminCert: string;
  adminKey: string;
  /** A client certificate with the same subject, signed by a different CA: must be rejected. */
  rogueCert: string;
  rogueKey: string;
  cleanup(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function issue(dir: string, name: string, subject: string, ca: string, extensions: string): void {
  openssl(dir, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
}

function selfSignedCa(dir: string, name: string, cn: string): void {
  openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`,
    '-days', '2', '-sha256', '-subj', `/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]);
}

/** A cluster CA, an API server certificate for 127.0.0.1 (IP SAN), an admin client certificate, and a rogue one. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'k8sup-fake-kube-pki-'));
  selfSignedCa(dir, 'ca', 'kubernetes');
  selfSignedCa(dir, 'rogue-ca', 'kubernetes');
  issue(dir, 'apiserver', '/CN=kube-apiserver', 'ca', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc',
    '',
  ].join('\n'));
  const clientExt = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=clientAuth', ''].join('\n');
  issue(dir, 'admin', '/O=system:masters/CN=kubernetes-admin', 'ca', clientExt);
  issue(dir, 'rogue', '/O=system:masters/CN=kubernetes-admin', 'rogue-ca', clientExt);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return {
    dir,
    caCert: read('ca.crt'),
    serverCert: read('apiserver.crt'),
    serverKey: read('apiserver.key'),
    adminCert: read('admin.crt'),
    adminKey: read('admin.key'),
    rogueCert: read('rogue.crt'),
    rogueKey: read('rogue.key'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// ------------------------------------------------------------------------------------------------ selectors

export interface LabelRequirement {
  key: string;
  op: '=' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';
  values: string[];
}

const KEY = String.raw`(?:[A-Za-z0-9][-A-Za-z0-9_.]*/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?`;
const VALUE = String.raw`(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?`;

/** Splits on commas that are not inside `( … )`. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

/** Kubernetes label selector syntax: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)`, `a>1`, `a<1`. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  if (selector.trim() === '') return [];
  return splitTopLevel(selector).map((raw) => {
    const term = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^!\\s*(${KEY})$`).exec(term))) return { key: m[1], op: '!', values: [] };
    if ((m = new RegExp(`^(${KEY})\\s+(in|notin)\\s+\\(([^)]*)\\)$`).exec(term))) {
      const values = m[3].split(',').map((v) => v.trim());
      if (values.some((v) => !new RegExp(`^${VALUE}$`).test(v))) throw new Error(`invalid value in "${term}"`);
      return { key: m[1], op: m[2] as 'in' | 'notin', values };
    }
    if ((m = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`).exec(term))) {
      return { key: m[1], op: m[2] === '!=' ? '!=' : '=', values: [m[3]] };
    }
    if ((m = new RegExp(`^(${KEY})\\s*([<>])\\s*(-?\\d+)$`).exec(term))) return { key: m[1], op: m[2] === '>' ? 'gt' : 'lt', values: [m[3]] };
    if ((m = new RegExp(`^(${KEY})$`).exec(term))) return { key: m[1], op: 'exists', values: [] };
    throw new Error(`unable to parse requirement: "${term}"`);
  });
}

export function matchesLabels(requirements: LabelRequirement[], labels: Record<string, string> = {}): boolean {
  return requirements.every(({ key, op, values }) => {
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    const v = labels[key];
    switch (op) {
      case '=':
        return has && v === values[0];
      case '!=':
        return !has || v !== values[0];
      case 'in':
        return has && values.includes(v);
      case 'notin':
        return !has || !values.includes(v);
      case 'exists':
        return has;
      case '!':
        return !has;
      case 'gt':
        return has && /^-?\d+$/.test(v) && Number(v) > Number(values[0]);
      case 'lt':
        return has && /^-?\d+$/.test(v) && Number(v) < Number(values[0]);
    }
  });
}

/** Field selectors: `path=value`, `path==value`, `path!=value`, comma-separated (e.g. `spec.nodeName=cp-1`). */
export function parseFieldSelector(selector: string): (obj: KubeObject) => boolean {
  if (selector.trim() === '') return () => true;
  const terms = selector.split(',').map((raw) => {
    const m = /^\s*([A-Za-z0-9.]+)\s*(==|=|!=)\s*([^,]*?)\s*$/.exec(raw);
    if (!m) throw new Error(`invalid field selector term "${raw}"`);
    return { path: m[1].split('.'), negate: m[2] === '!=', value: m[3] };
  });
  return (obj) =>
    terms.every(({ path, negate, value }) => {
      const actual = path.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
      return (String(actual ?? '') === value) !== negate;
    });
}

// ------------------------------------------------------------------------------------------------ cluster state

// Loosely typed on purpose: the fake serves what a real API server would, including fields our client ignores.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KubeObject = Record<string, any>;

export type ResourceKind = 'nodes' | 'pods' | 'daemonsets' | 'deployments' | 'events';

export interface ReadyzCheck {
  name: string;
  ok: boolean;
  reason?: string;
}

export type WatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; kind: ResourceKind; object: KubeObject };

const CREATED = '2025-01-01T00:00:00Z';
const READYZ_CHECKS = [
  'ping', 'log', 'etcd', 'etcd-readiness', 'informer-sync', 'poststarthook/start-apiserver-admission-initializer',
  'poststarthook/generic-apiserver-start-informers', 'poststarthook/priority-and-fairness-config-consumer',
  'poststarthook/start-apiextensions-informers', 'poststarthook/crd-informer-synced', 'poststarthook/rbac/bootstrap-roles',
  'poststarthook/scheduling/bootstrap-system-priority-classes', 'poststarthook/bootstrap-controller',
  'poststarthook/apiservice-registration-controller', 'shutdown',
];

function suffix(seed: string, length = 5): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789'; // the alphabet Kubernetes uses for generated names
  const digest = createHash('sha256').update(seed).digest();
  return Array.from(digest.subarray(0, length), (b) => alphabet[b % alphabet.length]).join('');
}

function condition(type: string, ok: boolean, reason: string, message = ''): KubeObject {
  return { type, status: ok ? 'True' : 'False', lastHeartbeatTime: CREATED, lastTransitionTime: CREATED, reason, message };
}

/** The in-memory objects the fake serves, with mutators that bump resourceVersion and notify watchers. */
export class FakeClusterState {
  nodes: KubeObject[] = [];
  pods: KubeObject[] = [];
  daemonSets: KubeObject[] = [];
  deployments: KubeObject[] = [];
  /** core/v1 Events (none in a healthy state; tests record them with recordEvent). */
  events: KubeObject[] = [];
  readyz: ReadyzCheck[] = READYZ_CHECKS.map((name) => ({ name, ok: true }));
  kubernetesVersion = '1.34.4';
  private revision = 1000;
  private listeners = new Set<(e: WatchEvent) => void>();

  get resourceVersion(): string {
    return String(this.revision);
  }

  collection(kind: ResourceKind): KubeObject[] {
    return { nodes: this.nodes, pods: this.pods, daemonsets: this.daemonSets, deployments: this.deployments, events: this.events }[kind];
  }

  onChange(listener: (e: WatchEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Adds an object (stamping metadata as the API server would). */
  add(kind: ResourceKind, obj: KubeObject): KubeObject {
    obj.metadata = { uid: randomUUID(), creationTimestamp: CREATED, ...obj.metadata, resourceVersion: String(++this.revision) };
    this.collection(kind).push(obj);
    this.notify({ type: 'ADDED', kind, object: obj });
    return obj;
  }

  /** Applies `change` to the object and records the modification. */
  modify(kind: ResourceKind, obj: KubeObject, change: (o: KubeObject) => void): void {
    change(obj);
    obj.metadata.resourceVersion = String(++this.revision);
    this.notify({ type: 'MODIFIED', kind, object: obj });
  }

  remove(kind: ResourceKind, obj: KubeObject): void {
    const list = this.collection(kind);
    list.splice(list.indexOf(obj), 1);
    obj.metadata.resourceVersion = String(++this.revision);
    this.notify({ type: 'DELETED', kind, object: obj });
  }

  private notify(e: WatchEvent): void {
    for (const l of this.listeners) l(e);
  }

  node(name: string): KubeObject {
    const n = this.nodes.find((o) => o.metadata.name === name);
    if (!n) throw new Error(`fake: no node ${name}`);
    return n;
  }

  pod(namespace: string, name: string): KubeObject {
    const p = this.pods.find((o) => o.metadata.namespace === namespace && o.metadata.name === name);
    if (!p) throw new Error(`fake: no pod ${namespace}/${name}`);
    return p;
  }

  daemonSet(namespace: string, name: string): KubeObject {
    const d = this.daemonSets.find((o) => o.metadata.namespace === namespace && o.metadata.name === name);
    if (!d) throw new Error(`fake: no DaemonSet ${namespace}/${name}`);
    return d;
  }

  deployment(namespace: string, name: string): KubeObject {
    const d = this.deployments.find((o) => o.metadata.namespace === namespace && o.metadata.name === name);
    if (!d) throw new Error(`fake: no Deployment ${namespace}/${name}`);
    return d;
  }

  /** Names of nodes in a group (label k8sup.io/node-group). */
  nodesInGroup(group: string): string[] {
    return this.nodes.filter((n) => n.metadata.labels['k8sup.io/node-group'] === group).map((n) => n.metadata.name);
  }

  // ---- ways to break (and heal) the cluster

  setNodeReady(name: string, ready: boolean): void {
    this.modify('nodes', this.node(name), (n) => {
      n.status.conditions = n.status.conditions.map((c: KubeObject) =>
        c.type !== 'Ready'
          ? c
          : ready
            ? condition('Ready', true, 'KubeletReady', 'kubelet is posting ready status')
            : { ...condition('Ready', false, 'KubeletNotReady', 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized'), status: 'False' },
      );
    });
  }

  /** What a cloud-controller-manager writes when it initialises the node; undefined: it never did (removes the field). */
  setProviderId(name: string, providerID: string | undefined): void {
    this.modify('nodes', this.node(name), (n) => {
      if (providerID === undefined) delete n.spec.providerID;
      else n.spec.providerID = providerID;
    });
  }

  setNetworkUnavailable(name: string, unavailable: boolean): void {
    this.modify('nodes', this.node(name), (n) => {
      const others = n.status.conditions.filter((c: KubeObject) => c.type !== 'NetworkUnavailable');
      n.status.conditions = [{ ...condition('NetworkUnavailable', unavailable, unavailable ? 'NoRouteCreated' : 'RouteCreated'), status: unavailable ? 'True' : 'False' }, ...others];
    });
  }

  removeNode(name: string): void {
    this.remove('nodes', this.node(name));
  }

  removePod(namespace: string, name: string): void {
    this.remove('pods', this.pod(namespace, name));
  }

  /** Not ready: a container in CrashLoopBackOff, as kubelet would report it. */
  setPodReady(namespace: string, name: string, ready: boolean): void {
    this.modify('pods', this.pod(namespace, name), (p) => {
      p.status.conditions = p.status.conditions.map((c: KubeObject) =>
        c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: ready ? 'True' : 'False', reason: ready ? undefined : 'ContainersNotReady' } : c,
      );
      p.status.containerStatuses = p.status.containerStatuses.map((cs: KubeObject) => ({
        ...cs,
        ready,
        started: ready,
        restartCount: ready ? cs.restartCount : cs.restartCount + 3,
        state: ready
          ? { running: { startedAt: CREATED } }
          : { waiting: { reason: 'CrashLoopBackOff', message: `back-off 40s restarting failed container=${cs.name}` } },
      }));
    });
  }

  /** `numberReady` pods of the DaemonSet are ready (the rest unavailable). */
  setDaemonSetReady(namespace: string, name: string, numberReady: number): void {
    this.modify('daemonsets', this.daemonSet(namespace, name), (d) => {
      const desired = d.status.desiredNumberScheduled;
      d.status.numberReady = numberReady;
      d.status.numberAvailable = numberReady;
      d.status.numberUnavailable = desired - numberReady || undefined;
    });
  }

  setDeploymentReady(namespace: string, name: string, readyReplicas: number): void {
    this.modify('deployments', this.deployment(namespace, name), (d) => {
      d.status.readyReplicas = readyReplicas || undefined;
      d.status.availableReplicas = readyReplicas || undefined;
      d.status.unavailableReplicas = d.spec.replicas - readyReplicas || undefined;
    });
  }

  /**
   * A core/v1 Event about `object` as a controller or kubelet records it (the deprecated-but-served core shape:
   * involvedObject, reason, message, source, first/lastTimestamp, count; eventTime null), named like the real ones.
   */
  recordEvent(object: KubeObject, e: { reason: string; message: string; type?: 'Normal' | 'Warning'; at: Date; count?: number; component?: string; host?: string }): KubeObject {
    const kind = object.kind ?? (object.spec?.containers ? 'Pod' : 'Node');
    const namespace = object.metadata.namespace ?? 'default';
    const time = e.at.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return this.add('events', {
      metadata: { name: `${object.metadata.name}.${createHash('sha256').update(`${object.metadata.name}${e.reason}${time}`).digest('hex').slice(0, 16)}`, namespace, creationTimestamp: time },
      involvedObject: { kind, namespace: object.metadata.namespace, name: object.metadata.name, uid: object.metadata.uid, apiVersion: 'v1', resourceVersion: object.metadata.resourceVersion },
      reason: e.reason,
      message: e.message,
      source: { component: e.component ?? 'kubelet', ...(e.host ? { host: e.host } : {}) },
      firstTimestamp: time,
      lastTimestamp: time,
      count: e.count ?? 1,
      type: e.type ?? 'Normal',
      eventTime: null,
      reportingComponent: e.component ?? 'kubelet',
      reportingInstance: e.host ?? '',
    });
  }

  setReadyzCheck(name: string, ok: boolean, reason = 'reason withheld'): void {
    const check = this.readyz.find((c) => c.name === name);
    if (!check) throw new Error(`fake: no readyz check ${name}`);
    check.ok = ok;
    check.reason = ok ? undefined : reason;
  }
}

// ------------------------------------------------------------------------------------------------ healthy cluster

interface NodeSeed {
  name: string;
  group: string;
  zone: string;
  controlPlane: boolean;
  ip: string;
}

/**
 * spec.providerID as each cloud's cloud-controller-manager sets it once it has initialised the node (AWS:
 * aws:///<zone>/<instance id>, GCE: gce://<project>/<zone>/<instance name>); bare metal has no CCM and no provider ID.
 */
function cloudProviderId(cluster: Cluster, seed: NodeSeed): { providerID?: string } {
  const instanceId = `i-${createHash('sha256').update(`instance-${seed.name}`).digest('hex').slice(0, 17)}`;
  if (cluster.spec.cloud === 'aws') return { providerID: `aws:///${seed.zone}/${instanceId}` };
  if (cluster.spec.cloud === 'gce') return { providerID: `gce://${cluster.spec.project}/${seed.zone}/${seed.name}` };
  return {};
}

function buildNode(cluster: Cluster, seed: NodeSeed, index: number, version: string): KubeObject {
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': seed.name,
    'kubernetes.io/os': 'linux',
    'node.kubernetes.io/instance-type': seed.controlPlane ? cluster.spec.controlPlane.machineType : cluster.spec.nodeGroups.find((g) => g.name === seed.group)?.machineType ?? '',
    'topology.kubernetes.io/region': cluster.spec.region,
    'topology.kubernetes.io/zone': seed.zone,
    'k8sup.io/node-group': seed.group,
  };
  if (seed.controlPlane) {
    labels['node-role.kubernetes.io/control-plane'] = '';
    labels['node.kubernetes.io/exclude-from-external-load-balancers'] = '';
  }
  const conditions = [
    condition('MemoryPressure', false, 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    condition('DiskPressure', false, 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    condition('PIDPressure', false, 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    condition('Ready', true, 'KubeletReady', 'kubelet is posting ready status'),
  ];
  if (cluster.spec.networking.cni === 'calico') conditions.unshift(condition('NetworkUnavailable', false, 'CalicoIsUp', 'Calico is running on this node'));
  return {
    metadata: {
      name: seed.name,
      labels,
      annotations: {
        'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock',
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: {
      podCIDR: `100.96.${index}.0/24`,
      podCIDRs: [`100.96.${index}.0/24`],
      ...cloudProviderId(cluster, seed),
      ...(seed.controlPlane ? { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] } : {}),
    },
    status: {
      capacity: { cpu: '2', 'ephemeral-storage': '20134592Ki', memory: '3964656Ki', pods: '110' },
      allocatable: { cpu: '2', 'ephemeral-storage': '18556039957', memory: '3862256Ki', pods: '110' },
      conditions,
      addresses: [
        { type: 'InternalIP', address: seed.ip },
        { type: 'Hostname', address: seed.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: suffix(`machine-${seed.name}`, 32),
        systemUUID: randomUUID(),
        bootID: randomUUID(),
        kernelVersion: '6.8.0-1021-aws',
        osImage: 'Ubuntu 24.04.1 LTS',
        containerRuntimeVersion: 'containerd://2.2.1',
        kubeletVersion: `v${version}`,
        kubeProxyVersion: `v${version}`,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

interface PodSeed {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  nodeName: string;
  hostIP: string;
  priorityClassName: string;
  image: string;
  container: string;
  owner?: { apiVersion: string; kind: string; name: string };
  hostNetwork?: boolean;
}

function buildPod(seed: PodSeed): KubeObject {
  const owner = seed.owner ?? { apiVersion: 'v1', kind: 'Node', name: seed.nodeName };
  const staticPod = owner.kind === 'Node';
  return {
    metadata: {
      name: seed.name,
      namespace: seed.namespace,
      labels: seed.labels,
      annotations: staticPod ? { 'kubernetes.io/config.source': 'file', 'kubernetes.io/config.mirror': suffix(seed.name, 32) } : {},
      ownerReferences: [{ ...owner, uid: randomUUID(), controller: true, ...(staticPod ? {} : { blockOwnerDeletion: true }) }],
    },
    spec: {
      nodeName: seed.nodeName,
      priorityClassName: seed.priorityClassName,
      priority: seed.priorityClassName === 'system-node-critical' ? 2000001000 : 2000000000,
      hostNetwork: seed.hostNetwork ?? false,
      restartPolicy: 'Always',
      containers: [{ name: seed.container, image: seed.image, imagePullPolicy: 'IfNotPresent' }],
    },
    status: {
      phase: 'Running',
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
        type,
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: CREATED,
      })),
      hostIP: seed.hostIP,
      podIP: seed.hostNetwork ? seed.hostIP : `100.96.${(seed.name.length * 7) % 250}.${(seed.name.charCodeAt(0) * 3) % 250}`,
      startTime: CREATED,
      qosClass: 'Burstable',
      containerStatuses: [
        {
          name: seed.container,
          ready: true,
          started: true,
          restartCount: 0,
          image: seed.image,
          imageID: `${seed.image.split(':')[0]}@sha256:${createHash('sha256').update(seed.image).digest('hex')}`,
          containerID: `containerd://${createHash('sha256').update(seed.name).digest('hex')}`,
          state: { running: { startedAt: CREATED } },
        },
      ],
    },
  };
}

function buildDaemonSet(namespace: string, name: string, selector: Record<string, string>, nodes: number): KubeObject {
  return {
    metadata: { name, namespace, generation: 1, labels: selector },
    spec: {
      selector: { matchLabels: selector },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      template: { metadata: { labels: selector }, spec: { priorityClassName: 'system-node-critical' } },
    },
    status: {
      currentNumberScheduled: nodes,
      desiredNumberScheduled: nodes,
      numberAvailable: nodes,
      numberMisscheduled: 0,
      numberReady: nodes,
      observedGeneration: 1,
      updatedNumberScheduled: nodes,
    },
  };
}

const CNI_FIXTURES = {
  calico: { namespace: 'kube-system', ds: 'calico-node', labels: { 'k8s-app': 'calico-node' }, image: 'docker.io/calico/node:v3.29.1', container: 'calico-node' },
  cilium: { namespace: 'kube-system', ds: 'cilium', labels: { 'k8s-app': 'cilium' }, image: 'quay.io/cilium/cilium:v1.16.5', container: 'cilium-agent' },
  flannel: { namespace: 'kube-flannel', ds: 'kube-flannel-ds', labels: { app: 'flannel', 'k8s-app': 'flannel' }, image: 'ghcr.io/flannel-io/flannel:v0.26.2', container: 'kube-flannel' },
} as const;

/** Where the fixture puts the CNI DaemonSet for this cluster's spec.networking.cni. */
export function cniFixture(cluster: Cluster): { namespace: string; name: string } {
  const f = CNI_FIXTURES[cluster.spec.networking.cni];
  return { namespace: f.namespace, name: f.ds };
}

/** The state of a freshly created, healthy kubeadm cluster for `cluster`'s spec: every expected node and pod Ready. */
export function healthyClusterState(cluster: Cluster): FakeClusterState {
  const state = new FakeClusterState();
  const version = cluster.spec.kubernetesVersion;
  state.kubernetesVersion = version;
  const seeds: NodeSeed[] = [];
  const addGroup = (group: string, count: number, zones: string[], controlPlane: boolean) => {
    for (let i = 0; i < count; i++) {
      seeds.push({ name: `${group}-${i + 1}`, group, zone: zones[i % zones.length], controlPlane, ip: `172.20.${seeds.length + 1}.10` });
    }
  };
  addGroup('control-plane', cluster.spec.controlPlane.count, cluster.spec.controlPlane.zones, true);
  for (const g of cluster.spec.nodeGroups) addGroup(g.name, g.minSize, g.zones, false);
  seeds.forEach((seed, i) => state.add('nodes', buildNode(cluster, seed, i, version)));

  const ns = 'kube-system';
  for (const seed of seeds.filter((s) => s.controlPlane)) {
    for (const component of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd']) {
      const image = component === 'etcd' ? 'registry.k8s.io/etcd:3.5.15-0' : `registry.k8s.io/${component}:v${version}`;
      state.add('pods', buildPod({
        namespace: ns, name: `${component}-${seed.name}`, labels: { component, tier: 'control-plane' }, nodeName: seed.name, hostIP: seed.ip,
        priorityClassName: 'system-node-critical', image, container: component, hostNetwork: true,
      }));
    }
  }
  const cni = CNI_FIXTURES[cluster.spec.networking.cni];
  for (const seed of seeds) {
    state.add('pods', buildPod({
      namespace: ns, name: `kube-proxy-${suffix(`kube-proxy-${seed.name}`)}`, labels: { 'k8s-app': 'kube-proxy', 'pod-template-generation': '1' },
      nodeName: seed.name, hostIP: seed.ip, priorityClassName: 'system-node-critical', image: `registry.k8s.io/kube-proxy:v${version}`,
      container: 'kube-proxy', owner: { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'kube-proxy' }, hostNetwork: true,
    }));
    state.add('pods', buildPod({
      namespace: cni.namespace, name: `${cni.ds}-${suffix(`${cni.ds}-${seed.name}`)}`, labels: { ...cni.labels, 'pod-template-generation': '1' },
      nodeName: seed.name, hostIP: seed.ip, priorityClassName: 'system-node-critical', image: cni.image, container: cni.container,
      owner: { apiVersion: 'apps/v1', kind: 'DaemonSet', name: cni.ds }, hostNetwork: true,
    }));
  }
  state.add('daemonsets', buildDaemonSet(ns, 'kube-proxy', { 'k8s-app': 'kube-proxy' }, seeds.length));
  state.add('daemonsets', buildDaemonSet(cni.namespace, cni.ds, { ...cni.labels }, seeds.length));

  // CoreDNS: two replicas, on workers when there are any (control planes are tainted).
  const dnsHosts = seeds.filter((s) => !s.controlPlane).length > 0 ? seeds.filter((s) => !s.controlPlane) : seeds;
  const replicaSet = `coredns-${suffix('coredns-rs', 10)}`;
  for (let i = 0; i < 2; i++) {
    const host = dnsHosts[i % dnsHosts.length];
    state.add('pods', buildPod({
      namespace: ns, name: `${replicaSet}-${suffix(`coredns-${i}`)}`, labels: { 'k8s-app': 'kube-dns', 'pod-template-hash': replicaSet.slice(8) },
      nodeName: host.name, hostIP: host.ip, priorityClassName: 'system-cluster-critical', image: 'registry.k8s.io/coredns/coredns:v1.11.3',
      container: 'coredns', owner: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: replicaSet },
    }));
  }
  state.add('deployments', {
    metadata: { name: 'coredns', namespace: ns, generation: 1, labels: { 'k8s-app': 'kube-dns' } },
    spec: { replicas: 2, selector: { matchLabels: { 'k8s-app': 'kube-dns' } }, template: { metadata: { labels: { 'k8s-app': 'kube-dns' } }, spec: {} } },
    status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 },
  });
  // The addons k8sup applies (src/addons), rolled out: one replica each, on the first worker.
  for (const addon of enabledAddons(cluster)) {
    for (const w of addon.workloads) {
      const labels = { 'k8s-app': w.name };
      const host = dnsHosts[0];
      state.add('pods', buildPod({
        namespace: w.namespace, name: `${w.name}-${suffix(`${w.name}-rs`, 10)}-${suffix(`${w.name}-0`)}`, labels, nodeName: host.name, hostIP: host.ip,
        priorityClassName: 'system-cluster-critical', image: imageReference(Object.values(addon.images)[0]), container: addon.name,
        owner: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${w.name}-${suffix(`${w.name}-rs`, 10)}` },
      }));
      if (w.kind === 'DaemonSet') state.add('daemonsets', buildDaemonSet(w.namespace, w.name, labels, seeds.length));
      else {
        state.add('deployments', {
          metadata: { name: w.name, namespace: w.namespace, generation: 1, labels },
          spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: {} } },
          status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 },
        });
      }
    }
  }
  return state;
}

// ------------------------------------------------------------------------------------------------ REST server

export type ServerMode = 'ok' | 'unavailable' | 'hang';

export interface RecordedRequest {
  method: string;
  url: string;
  /** Common name of the verified client certificate; '' when unauthenticated. */
  user: string;
  accept: string;
}

export interface FakeKubeApiserver {
  url: string;
  port: number;
  /** Replaceable: tests may swap in a fresh state between cases. */
  state: FakeClusterState;
  /** ok: normal; unavailable: every request answers 503; hang: requests are accepted and never answered. */
  mode: ServerMode;
  requests: RecordedRequest[];
  /** Called before each request is answered: lets a test change the cluster between polls deterministically. */
  beforeRequest?: (req: RecordedRequest) => void;
  /** Evictions of pods for which this answers true are refused with 429, as a PodDisruptionBudget would. */
  blockEvictions?: (pod: KubeObject) => boolean;
  /** A kubeconfig for this server: the admin certificate, or the rogue one (same subject, untrusted issuer). */
  kubeconfig(opts?: { identity?: 'admin' | 'rogue'; context?: string; server?: string }): string;
  stop(): Promise<void>;
}

interface ResourceInfo {
  kind: string;
  listKind: string;
  apiVersion: string;
  namespaced: boolean;
  singular: string;
  shortNames: string[];
}

const RESOURCES: Record<ResourceKind, ResourceInfo> = {
  nodes: { kind: 'Node', listKind: 'NodeList', apiVersion: 'v1', namespaced: false, singular: 'node', shortNames: ['no'] },
  pods: { kind: 'Pod', listKind: 'PodList', apiVersion: 'v1', namespaced: true, singular: 'pod', shortNames: ['po'] },
  daemonsets: { kind: 'DaemonSet', listKind: 'DaemonSetList', apiVersion: 'apps/v1', namespaced: true, singular: 'daemonset', shortNames: ['ds'] },
  deployments: { kind: 'Deployment', listKind: 'DeploymentList', apiVersion: 'apps/v1', namespaced: true, singular: 'deployment', shortNames: ['deploy'] },
  events: { kind: 'Event', listKind: 'EventList', apiVersion: 'v1', namespaced: true, singular: 'event', shortNames: ['ev'] },
};

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function b64(s: string): string {
  return Buffer.from(s).toString('base64');
}

class HttpError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string, readonly details?: KubeObject) {
    super(message);
  }
}

function status(code: number, reason: string, message: string, details?: KubeObject): KubeObject {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

/**
 * `limit` and `continue` as the API server pages a list: the continue token is opaque to clients (here base64 of
 * the resourceVersion it was issued at and the offset); a token from an older resourceVersion is 410 Expired, like a
 * compacted one. `remainingItemCount` is set on pages that have a continuation.
 */
function paginate(all: KubeObject[], params: URLSearchParams, resourceVersion: string): { items: KubeObject[]; listMeta: KubeObject } {
  const limitParam = params.get('limit');
  const token = params.get('continue');
  let offset = 0;
  if (token) {
    let parsed: { rv?: string; offset?: number };
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    } catch {
      throw new HttpError(400, 'BadRequest', 'continue key is not valid: illegal base64 data');
    }
    if (parsed.rv !== resourceVersion) throw new HttpError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
    offset = Number(parsed.offset) || 0;
  }
  const limit = limitParam && Number(limitParam) > 0 ? Number(limitParam) : Infinity;
  const items = all.slice(offset, offset + limit);
  const next = offset + items.length;
  const listMeta: KubeObject = { resourceVersion };
  if (next < all.length) {
    listMeta.continue = Buffer.from(JSON.stringify({ rv: resourceVersion, offset: next })).toString('base64');
    listMeta.remainingItemCount = all.length - next;
  }
  return { items, listMeta };
}

/** RFC 7386 JSON merge patch, in place. */
function mergePatch(target: KubeObject, patch: KubeObject): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete target[k];
    else if (typeof v === 'object' && !Array.isArray(v) && typeof target[k] === 'object' && target[k] !== null && !Array.isArray(target[k])) mergePatch(target[k], v);
    else target[k] = v;
  }
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Audit-Id': randomUUID() });
  res.end(text);
}

function withTypeMeta(kind: ResourceKind, obj: KubeObject): KubeObject {
  return { kind: RESOURCES[kind].kind, apiVersion: RESOURCES[kind].apiVersion, ...obj };
}

/** Server-side printing (what `kubectl get` shows): the subset of columns kubectl's default output needs. */
function asTable(kind: ResourceKind, items: KubeObject[], includeObject: string, resourceVersion: string): KubeObject {
  const columns: Array<[string, string, (o: KubeObject) => string | number]> = [['Name', 'name', (o) => o.metadata.name]];
  if (kind === 'nodes') {
    columns.push(
      ['Status', '', (o) => (o.status.conditions.find((c: KubeObject) => c.type === 'Ready')?.status === 'True' ? 'Ready' : 'NotReady')],
      ['Roles', '', (o) => Object.keys(o.metadata.labels ?? {}).filter((l) => l.startsWith('node-role.kubernetes.io/')).map((l) => l.split('/')[1]).join(',') || '<none>'],
      ['Age', '', () => '1d'],
      ['Version', '', (o) => o.status.nodeInfo.kubeletVersion],
    );
  } else if (kind === 'pods') {
    columns.push(
      ['Ready', '', (o) => `${o.status.containerStatuses.filter((c: KubeObject) => c.ready).length}/${o.spec.containers.length}`],
      ['Status', '', (o) => o.status.containerStatuses.find((c: KubeObject) => c.state.waiting)?.state.waiting.reason ?? o.status.phase],
      ['Restarts', '', (o) => o.status.containerStatuses.reduce((n: number, c: KubeObject) => n + c.restartCount, 0)],
      ['Age', '', () => '1d'],
    );
  } else {
    columns.push(['Age', '', () => '1d']);
  }
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map(([name, format]) => ({ name, type: name === 'Restarts' ? 'integer' : 'string', format, description: name, priority: 0 })),
    rows: items.map((o) => ({
      cells: columns.map(([, , cell]) => cell(o)),
      object:
        includeObject === 'Object'
          ? withTypeMeta(kind, o)
          : includeObject === 'None'
            ? null
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}

function discovery(path: string, port: number): KubeObject | undefined {
  const resourceList = (groupVersion: string, kinds: ResourceKind[]) => ({
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: kinds.map((k): KubeObject => ({
      name: k,
      singularName: RESOURCES[k].singular,
      namespaced: RESOURCES[k].namespaced,
      kind: RESOURCES[k].kind,
      verbs: VERBS,
      shortNames: RESOURCES[k].shortNames,
      ...(k === 'nodes' || k === 'events' ? {} : { categories: ['all'] }),
    })).concat([{ name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: VERBS, shortNames: ['ns'] }].filter(() => groupVersion === 'v1')),
  });
  switch (path) {
    case '/api':
      return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port}` }] };
    case '/apis':
      return {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }],
      };
    case '/api/v1':
      return resourceList('v1', ['nodes', 'pods', 'events']);
    case '/apis/apps/v1':
      return resourceList('apps/v1', ['daemonsets', 'deployments']);
    default:
      return undefined;
  }
}

function readyzBody(checks: ReadyzCheck[], exclude: string[]): { code: number; body: string } {
  const considered = checks.filter((c) => !exclude.includes(c.name));
  const lines = considered.map((c) => (c.ok ? `[+]${c.name} ok` : `[-]${c.name} failed: ${c.reason ?? 'reason withheld'}`));
  const ok = considered.every((c) => c.ok);
  for (const name of exclude) lines.push(`[+]${name} excluded: ok`);
  lines.push(ok ? 'readyz check passed' : 'readyz check failed');
  return { code: ok ? 200 : 500, body: lines.join('\n') + '\n' };
}

export async function startFakeKubeApiserver(opts: { pki: TestPki; state: FakeClusterState }): Promise<FakeKubeApiserver> {
  const { pki } = opts;
  const sockets = new Set<Socket>();
  const watchers = new Set<() => void>();
  const fake: FakeKubeApiserver = {
    url: '',
    port: 0,
    state: opts.state,
    mode: 'ok',
    requests: [],
    kubeconfig: ({ identity = 'admin', context = 'kubernetes-admin@fake', server } = {}) => {
      const cert = identity === 'admin' ? pki.adminCert : pki.rogueCert;
      const key = identity === 'admin' ? pki.adminKey : pki.rogueKey;
      return [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: fake',
        '  cluster:',
        `    server: ${server ?? fake.url}`,
        `    certificate-authority-data: ${b64(pki.caCert)}`,
        'contexts:',
        `- name: ${context}`,
        '  context:',
        '    cluster: fake',
        '    user: kubernetes-admin',
        `current-context: ${context}`,
        'users:',
        '- name: kubernetes-admin',
        '  user:',
        `    client-certificate-data: ${b64(cert)}`,
        `    client-key-data: ${b64(key)}`,
        'preferences: {}',
        '',
      ].join('\n');
    },
    stop: async () => {
      for (const stopWatch of watchers) stopWatch();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  /**
   * The few writes a drain makes: cordon (merge-patch of a node), eviction of a pod (the pod goes at once, as with a
   * zero grace period; `fake.blockEvictions` answers 429 as a PodDisruptionBudget would), and deleting a node.
   */
  function serveWrite(req: IncomingMessage, res: ServerResponse, url: URL, body: KubeObject): boolean {
    const node = /^\/api\/v1\/nodes\/([^/]+)$/.exec(url.pathname);
    const eviction = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/eviction$/.exec(url.pathname);
    if (node && req.method === 'PATCH') {
      if (!/merge-patch|strategic-merge-patch/.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'UnsupportedMediaType', `the fake API server takes merge patches, not ${req.headers['content-type']}`);
      const obj = fake.state.nodes.find((o) => o.metadata.name === node[1]);
      if (!obj) throw new HttpError(404, 'NotFound', `nodes "${node[1]}" not found`, { name: node[1], kind: 'nodes' });
      fake.state.modify('nodes', obj, (o) => mergePatch(o, body));
      sendJson(res, 200, withTypeMeta('nodes', obj));
      return true;
    }
    if (node && req.method === 'DELETE') {
      const obj = fake.state.nodes.find((o) => o.metadata.name === node[1]);
      if (!obj) throw new HttpError(404, 'NotFound', `nodes "${node[1]}" not found`, { name: node[1], kind: 'nodes' });
      fake.state.remove('nodes', obj);
      sendJson(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: node[1], kind: 'nodes', uid: obj.metadata.uid } });
      return true;
    }
    if (eviction && req.method === 'POST') {
      const [, namespace, name] = eviction;
      const pod = fake.state.pods.find((o) => o.metadata.namespace === namespace && o.metadata.name === name);
      if (!pod) throw new HttpError(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' });
      if (fake.blockEvictions?.(pod)) {
        throw new HttpError(429, 'TooManyRequests', 'Cannot evict pod as it would violate the pod\'s disruption budget.', { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget needs 1 healthy pods and has 1 currently' }] });
      }
      fake.state.remove('pods', pod);
      sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
      return true;
    }
    return false;
  }

  function serveResource(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    const core = /^\/api\/v1(?:\/namespaces\/([^/]+))?\/(nodes|pods|events|namespaces)(?:\/([^/]+))?$/.exec(url.pathname);
    const apps = /^\/apis\/apps\/v1(?:\/namespaces\/([^/]+))?\/(daemonsets|deployments)(?:\/([^/]+))?$/.exec(url.pathname);
    const m = core ?? apps;
    if (!m) return false;
    const [, namespace, resource, name] = m;
    if (req.method !== 'GET') throw new HttpError(405, 'MethodNotAllowed', `the fake API server only serves reads (${req.method} ${url.pathname})`);
    if (resource === 'namespaces') {
      if (namespace) return false;
      const names = ['default', 'kube-node-lease', 'kube-public', 'kube-system', ...new Set(fake.state.pods.map((p) => p.metadata.namespace))];
      const items = [...new Set(names)].sort().map((n) => ({ metadata: { name: n, uid: randomUUID(), creationTimestamp: CREATED }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } }));
      if (name) {
        const item = items.find((i) => i.metadata.name === name);
        if (!item) throw new HttpError(404, 'NotFound', `namespaces "${name}" not found`, { name, kind: 'namespaces' });
        sendJson(res, 200, { kind: 'Namespace', apiVersion: 'v1', ...item });
      } else sendJson(res, 200, { kind: 'NamespaceList', apiVersion: 'v1', metadata: { resourceVersion: fake.state.resourceVersion }, items });
      return true;
    }
    const kind = resource as ResourceKind;
    const info = RESOURCES[kind];
    if (namespace && !info.namespaced) return false;
    const inScope = fake.state.collection(kind).filter((o) => !namespace || o.metadata.namespace === namespace);
    const accept = req.headers.accept ?? '';
    if (name) {
      const obj = inScope.find((o) => o.metadata.name === name);
      const group = info.apiVersion.includes('/') ? info.apiVersion.split('/')[0] : '';
      if (!obj) throw new HttpError(404, 'NotFound', `${resource}${group ? '.' + group : ''} "${name}" not found`, { name, ...(group ? { group } : {}), kind: resource });
      if (accept.includes('as=Table')) sendJson(res, 200, asTable(kind, [obj], url.searchParams.get('includeObject') ?? '', fake.state.resourceVersion));
      else sendJson(res, 200, withTypeMeta(kind, obj));
      return true;
    }
    let labelMatch: LabelRequirement[];
    let fieldMatch: (o: KubeObject) => boolean;
    try {
      labelMatch = parseLabelSelector(url.searchParams.get('labelSelector') ?? '');
      fieldMatch = parseFieldSelector(url.searchParams.get('fieldSelector') ?? '');
    } catch (e) {
      throw new HttpError(400, 'BadRequest', (e as Error).message);
    }
    const matches = (o: KubeObject) => matchesLabels(labelMatch, o.metadata.labels) && fieldMatch(o);
    const watch = url.searchParams.get('watch');
    if (watch === 'true' || watch === '1') {
      // From a given resourceVersion only later changes are sent (the fake keeps no history); without one, or with
      // "0", the current objects come first as ADDED events, as with the real API server.
      const rv = url.searchParams.get('resourceVersion') ?? '';
      const initial = rv === '' || rv === '0' ? inScope.filter(matches) : [];
      streamWatch(res, kind, initial, (o) => (!namespace || o.metadata.namespace === namespace) && matches(o), Number(url.searchParams.get('timeoutSeconds') ?? 0));
      return true;
    }
    const all = inScope.filter(matches);
    const { items, listMeta } = paginate(all, url.searchParams, fake.state.resourceVersion);
    if (accept.includes('as=Table')) sendJson(res, 200, asTable(kind, items, url.searchParams.get('includeObject') ?? '', fake.state.resourceVersion));
    else sendJson(res, 200, { kind: info.listKind, apiVersion: info.apiVersion, metadata: listMeta, items });
    return true;
  }

  /** A watch: the current objects as ADDED, then live changes, one JSON event a line, until timeout or stop. */
  function streamWatch(res: ServerResponse, kind: ResourceKind, initial: KubeObject[], matches: (o: KubeObject) => boolean, timeoutSeconds: number): void {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    const send = (type: string, obj: KubeObject) => res.write(JSON.stringify({ type, object: withTypeMeta(kind, obj) }) + '\n');
    for (const o of initial) send('ADDED', o);
    const unsubscribe = fake.state.onChange((e) => {
      if (e.kind === kind && matches(e.object)) send(e.type, e.object);
    });
    const timer = timeoutSeconds > 0 ? setTimeout(() => end(), timeoutSeconds * 1000) : undefined;
    const end = () => {
      unsubscribe();
      clearTimeout(timer);
      watchers.delete(end);
      res.end();
    };
    watchers.add(end);
    res.on('close', end);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket as TLSSocket;
    const peer = socket.authorized ? socket.getPeerCertificate() : undefined;
    const cn = peer?.subject?.CN ?? '';
    const user = Array.isArray(cn) ? cn[0] : cn;
    const recorded = { method: req.method ?? '', url: req.url ?? '', user, accept: req.headers.accept ?? '' };
    fake.requests.push(recorded);
    fake.beforeRequest?.(recorded);
    if (fake.mode === 'hang') return; // keep the request open until stop()
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    try {
      if (fake.mode === 'unavailable') {
        if (url.pathname.startsWith('/readyz') || url.pathname.startsWith('/livez') || url.pathname.startsWith('/healthz')) {
          res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end('apiserver is shutting down\n');
          return;
        }
        throw new HttpError(503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
      }
      // Like a kube-apiserver with anonymous auth disabled: an unverified client certificate is a 401.
      if (!user) throw new HttpError(401, 'Unauthorized', 'Unauthorized');
      if (url.pathname === '/readyz' || url.pathname === '/livez' || url.pathname === '/healthz') {
        const exclude = url.searchParams.getAll('exclude');
        const { code, body } = url.pathname === '/readyz' ? readyzBody(fake.state.readyz, exclude) : { code: 200, body: 'ok' };
        const verbose = url.searchParams.has('verbose') || code !== 200;
        res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
        res.end(verbose ? body : 'ok');
        return;
      }
      if (url.pathname === '/version') {
        const [major, minor] = fake.state.kubernetesVersion.split('.');
        sendJson(res, 200, {
          major, minor, gitVersion: `v${fake.state.kubernetesVersion}`, gitCommit: 'a78aa47129b8539636eb86a9d00e31b2720fe06b', gitTreeState: 'clean',
          buildDate: '2024-12-10T11:36:53Z', goVersion: 'go1.22.9', compiler: 'gc', platform: 'linux/amd64',
        });
        return;
      }
      const doc = discovery(url.pathname, fake.port);
      if (doc) {
        sendJson(res, 200, doc);
        return;
      }
      if (req.method !== 'GET') {
        // Writes carry a body: read it, then answer (errors are rendered as Status like the reads').
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          try {
            const text = Buffer.concat(chunks).toString('utf8');
            if (!serveWrite(req, res, url, text ? JSON.parse(text) : {}) && !serveResource(req, res, url)) {
              throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
            }
          } catch (e) {
            const err = e instanceof HttpError ? e : new HttpError(400, 'BadRequest', (e as Error).message);
            sendJson(res, err.code, status(err.code, err.reason, err.message, err.details));
          }
        });
        return;
      }
      if (serveResource(req, res, url)) return;
      throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      sendJson(res, e.code, status(e.code, e.reason, e.message, e.details));
    }
  }

  const server: Server = createServer(
    { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true, rejectUnauthorized: false },
    handle,
  );
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  fake.port = (server.address() as { port: number }).port;
  fake.url = `https://127.0.0.1:${fake.port}`;
  return fake;
}
