import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1DaemonSet, V1Deployment, V1Node, V1Pod } from '@kubernetes/client-node';
import type { Cluster } from '../../src/api/types.js';
import {
  cniDaemonSet,
  dedupeFailures,
  evaluateControlPlanePods,
  evaluateCriticalPods,
  evaluateDaemonSet,
  evaluateDeployment,
  evaluateNodes,
  evaluateReadyz,
} from '../../src/validate/checks.js';
import { renderValidationTable } from '../../src/validate/index.js';

function spec(cni: 'calico' | 'cilium' | 'flannel' = 'calico'): Cluster {
  return {
    apiVersion: 'k8sup.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'demo.k8s.local' },
    spec: {
      cloud: 'aws', region: 'us-east-2', zones: ['us-east-2a'], kubernetesVersion: '1.34.4',
      networking: { cni, podCIDR: '100.96.0.0/11', serviceCIDR: '100.64.0.0/13', networkCIDR: '172.20.0.0/16' },
      api: { adminAccess: ['0.0.0.0/0'], dnsZone: null }, ssh: { publicKey: null, access: [] },
      controlPlane: { count: 1, machineType: 't3.medium', zones: ['us-east-2a'] },
      nodeGroups: [{ name: 'workers', machineType: 't3.medium', minSize: 2, maxSize: 3, zones: ['us-east-2a'] }],
    },
  };
}

function node(name: string, group: string, opts: { ready?: boolean; network?: boolean; cp?: boolean; zone?: string } = {}): V1Node {
  const labels: Record<string, string> = { 'k8sup.io/node-group': group, 'topology.kubernetes.io/zone': opts.zone ?? 'us-east-2a' };
  if (opts.cp) labels['node-role.kubernetes.io/control-plane'] = '';
  const conditions = [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', reason: opts.ready === false ? 'KubeletNotReady' : 'KubeletReady' }];
  if (opts.network !== undefined) conditions.push({ type: 'NetworkUnavailable', status: opts.network ? 'False' : 'True', reason: 'NoRouteCreated' });
  return { metadata: { name, labels }, status: { conditions } };
}

function pod(name: string, opts: { nodeName?: string; ready?: boolean; phase?: string; priority?: string; waiting?: string } = {}): V1Pod {
  const ready = opts.ready ?? true;
  return {
    metadata: { name, namespace: 'kube-system' },
    spec: { nodeName: opts.nodeName, priorityClassName: opts.priority, containers: [{ name: 'c' }] },
    status: {
      phase: opts.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? undefined : 'ContainersNotReady' }],
      containerStatuses: [{ name: 'c', ready, restartCount: 0, image: 'i', imageID: 'i', state: ready ? { running: {} } : { waiting: { reason: opts.waiting ?? 'CrashLoopBackOff' } } }],
    },
  };
}

test('readyz: 200 is clean; failing [-] checks become one readyz failure each', () => {
  assert.deepEqual(evaluateReadyz(200, '[+]ping ok\nreadyz check passed\n', 'https://x'), []);
  const body = '[+]ping ok\n[-]etcd failed: reason withheld\n[+]log ok\n[-]poststarthook/rbac/bootstrap-roles failed: not finished\nreadyz check failed\n';
  assert.deepEqual(evaluateReadyz(500, body, 'https://x'), [
    { type: 'readyz', name: 'etcd', message: 'API server readiness check "etcd" failed: reason withheld' },
    { type: 'readyz', name: 'poststarthook/rbac/bootstrap-roles', message: 'API server readiness check "poststarthook/rbac/bootstrap-roles" failed: not finished' },
  ]);
});

test('readyz: a non-200 without check lines is an api failure naming the status', () => {
  const [f] = evaluateReadyz(503, 'apiserver is shutting down\n', 'https://10.0.0.1:6443');
  assert.equal(f.type, 'api');
  assert.equal(f.name, 'https://10.0.0.1:6443');
  assert.match(f.message, /HTTP 503: apiserver is shutting down/);
});

test('nodes: healthy groups produce statuses and no failures', () => {
  const nodes = [node('w-2', 'workers', { zone: 'us-east-2b' }), node('cp-1', 'control-plane', { cp: true }), node('w-1', 'workers', { network: true })];
  const { nodes: statuses, failures } = evaluateNodes(spec(), nodes);
  assert.deepEqual(failures, []);
  assert.deepEqual(statuses, [
    { name: 'cp-1', role: 'control-plane', group: 'control-plane', zone: 'us-east-2a', ready: true },
    { name: 'w-1', role: 'node', group: 'workers', zone: 'us-east-2a', ready: true },
    { name: 'w-2', role: 'node', group: 'workers', zone: 'us-east-2b', ready: true },
  ]);
});

test('nodes: NotReady and NetworkUnavailable nodes fail, and their group is short', () => {
  const nodes = [node('cp-1', 'control-plane', { cp: true }), node('w-1', 'workers', { ready: false }), node('w-2', 'workers', { network: false })];
  const { nodes: statuses, failures } = evaluateNodes(spec(), nodes);
  assert.deepEqual(statuses.map((n) => [n.name, n.ready]), [['cp-1', true], ['w-1', false], ['w-2', false]]);
  assert.deepEqual(failures.map((f) => [f.type, f.name]), [['node', 'w-1'], ['node', 'w-2'], ['nodegroup', 'workers']]);
  assert.match(failures[0].message, /not Ready \(Ready=False, KubeletNotReady\)/);
  assert.match(failures[1].message, /NetworkUnavailable=True/);
  assert.match(failures[2].message, /0 of 2 expected nodes Ready \(2 registered/);
});

test('nodes: a missing node and a missing control plane are nodegroup failures', () => {
  const { failures } = evaluateNodes(spec(), [node('w-1', 'workers')]);
  assert.deepEqual(failures.map((f) => [f.type, f.name]), [['nodegroup', 'control-plane'], ['nodegroup', 'workers']]);
  assert.match(failures[1].message, /1 of 2 expected nodes Ready \(1 registered/);
});

test('control-plane pods: each component must run Ready on each control-plane node', () => {
  const nodes = [node('cp-1', 'control-plane', { cp: true }), node('cp-2', 'control-plane', { cp: true }), node('w-1', 'workers')];
  const byComponent = new Map<string, V1Pod[]>([
    ['kube-apiserver', [pod('kube-apiserver-cp-1', { nodeName: 'cp-1' }), pod('kube-apiserver-cp-2', { nodeName: 'cp-2' })]],
    ['kube-controller-manager', [pod('kube-controller-manager-cp-1', { nodeName: 'cp-1' }), pod('kube-controller-manager-cp-2', { nodeName: 'cp-2', ready: false })]],
    ['kube-scheduler', [pod('kube-scheduler-cp-1', { nodeName: 'cp-1' }), pod('kube-scheduler-cp-2', { nodeName: 'cp-2' })]],
    // etcd on cp-1 only; a pod on a worker does not count for cp-2
    ['etcd', [pod('etcd-cp-1', { nodeName: 'cp-1' }), pod('etcd-w-1', { nodeName: 'w-1' })]],
  ]);
  const failures = evaluateControlPlanePods(nodes, byComponent);
  assert.deepEqual(failures.map((f) => [f.type, f.name]), [['pod', 'kube-system/kube-controller-manager-cp-2'], ['pod', 'kube-system/etcd-cp-2']]);
  assert.match(failures[0].message, /not Ready \(phase Running; c: CrashLoopBackOff\)/);
  assert.equal(failures[1].message, 'static pod etcd is missing on control-plane node cp-2');
});

test('critical pods: not-ready critical pods fail; Succeeded and non-critical ones are skipped', () => {
  const failures = evaluateCriticalPods([
    pod('ok', { priority: 'system-cluster-critical' }),
    pod('crashing', { priority: 'system-node-critical', ready: false }),
    pod('pending', { priority: 'system-cluster-critical', phase: 'Pending', ready: false, waiting: 'ContainerCreating' }),
    pod('job-done', { priority: 'system-cluster-critical', phase: 'Succeeded', ready: false }),
    pod('app', { ready: false }),
  ]);
  assert.deepEqual(failures.map((f) => f.name), ['kube-system/crashing', 'kube-system/pending']);
  assert.match(failures[1].message, /phase Pending; c: ContainerCreating/);
});

test('daemonsets: ready only when desired == ready == updated and the generation is observed', () => {
  const ds = (s: Partial<NonNullable<V1DaemonSet['status']>>, generation = 1): V1DaemonSet => ({
    metadata: { name: 'kube-proxy', generation },
    status: { currentNumberScheduled: 3, desiredNumberScheduled: 3, numberMisscheduled: 0, numberReady: 3, updatedNumberScheduled: 3, observedGeneration: 1, ...s },
  });
  assert.deepEqual(evaluateDaemonSet('kube-system/kube-proxy', ds({})), []);
  assert.match(evaluateDaemonSet('kube-system/kube-proxy', ds({ numberReady: 2 }))[0].message, /2 of 3 pods ready, 3 updated/);
  assert.match(evaluateDaemonSet('kube-system/kube-proxy', ds({ updatedNumberScheduled: 1 }))[0].message, /3 of 3 pods ready, 1 updated/);
  assert.match(evaluateDaemonSet('kube-system/kube-proxy', ds({}, 2))[0].message, /not yet observed/);
  assert.deepEqual(evaluateDaemonSet('kube-system/calico-node', undefined), [{ type: 'daemonset', name: 'kube-system/calico-node', message: 'DaemonSet kube-system/calico-node not found' }]);
});

test('deployments: CoreDNS needs its replicas ready and updated', () => {
  const d = (s: Partial<NonNullable<V1Deployment['status']>>): V1Deployment => ({ metadata: { name: 'coredns', generation: 1 }, spec: { replicas: 2 } as V1Deployment['spec'], status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, ...s } });
  assert.deepEqual(evaluateDeployment('kube-system/coredns', d({})), []);
  const [f] = evaluateDeployment('kube-system/coredns', d({ readyReplicas: undefined }));
  assert.deepEqual([f.type, f.name], ['deployment', 'kube-system/coredns']);
  assert.match(f.message, /0 of 2 replicas ready/);
  assert.match(evaluateDeployment('kube-system/coredns', undefined)[0].message, /not found/);
});

test('CNI DaemonSet name and namespaces follow spec.networking.cni', () => {
  assert.deepEqual(cniDaemonSet(spec('calico')), { name: 'calico-node', namespaces: ['kube-system', 'calico-system'] });
  assert.deepEqual(cniDaemonSet(spec('cilium')), { name: 'cilium', namespaces: ['kube-system'] });
  assert.deepEqual(cniDaemonSet(spec('flannel')), { name: 'kube-flannel-ds', namespaces: ['kube-flannel', 'kube-system'] });
});

test('dedupe keeps the first failure per (type, name)', () => {
  const a = { type: 'pod', name: 'kube-system/etcd-cp-1', message: 'first' };
  assert.deepEqual(dedupeFailures([a, { ...a, message: 'second' }, { type: 'node', name: 'kube-system/etcd-cp-1', message: 'x' }]).map((f) => f.message), ['first', 'x']);
});

test('table: nodes, then failures, then a verdict line', () => {
  const text = renderValidationTable({
    cluster: 'demo.k8s.local',
    valid: false,
    nodes: [{ name: 'cp-1', role: 'control-plane', group: 'control-plane', zone: 'us-east-2a', ready: true }, { name: 'w-1', role: 'node', group: '', zone: '', ready: false }],
    failures: [{ type: 'node', name: 'w-1', message: 'node w-1 is not Ready' }],
  });
  const lines = text.trimEnd().split('\n');
  assert.match(lines[0], /^NODE\s+ROLE\s+GROUP\s+ZONE\s+READY$/);
  assert.match(lines[2], /^w-1\s+node\s+-\s+-\s+False$/);
  assert.match(lines[4], /^TYPE\s+NAME\s+MESSAGE$/);
  assert.match(lines[5], /^node\s+w-1\s+node w-1 is not Ready$/);
  assert.equal(lines.at(-1), 'Validation failed: cluster demo.k8s.local is not valid (1 failure)');
  assert.equal(renderValidationTable({ cluster: 'c', valid: true, nodes: [], failures: [] }), 'Your cluster c is ready\n');
});
