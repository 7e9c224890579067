// validate cluster through the real @kubernetes/client-node against the fake kube-apiserver (HTTPS, client certs).
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster, CniName } from '../../src/api/types.js';
import { RecordingIo } from '../../src/core/io.js';
import { InvalidInputError, OperationError } from '../../src/core/errors.js';
import { DEFAULT_INTERVAL_MS, validateCluster, validateOnce, type ValidationReport } from '../../src/validate/index.js';
import { cniFixture, healthyClusterState, makeTestPki, startFakeKubeApiserver, type FakeKubeApiserver, type TestPki } from '../fakes/kube-apiserver.js';
import { freePort } from '../helpers/net.js';

function spec(opts: { cni?: CniName; controlPlanes?: number; workers?: number } = {}): Cluster {
  return {
    apiVersion: 'k8sup.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'demo.k8s.local' },
    spec: {
      cloud: 'aws', region: 'us-east-2', zones: ['us-east-2a', 'us-east-2b'], kubernetesVersion: '1.34.4',
      networking: { cni: opts.cni ?? 'calico', podCIDR: '100.96.0.0/11', serviceCIDR: '100.64.0.0/13', networkCIDR: '172.20.0.0/16' },
      api: { adminAccess: ['0.0.0.0/0'], dnsZone: null }, ssh: { publicKey: null, access: ['0.0.0.0/0'] },
      controlPlane: { count: opts.controlPlanes ?? 1, machineType: 't3.medium', zones: ['us-east-2a', 'us-east-2b'] },
      nodeGroups: [{ name: 'nodes', machineType: 't3.medium', minSize: opts.workers ?? 2, maxSize: 4, zones: ['us-east-2a', 'us-east-2b'] }],
    },
  };
}

let pki: TestPki;
let fake: FakeKubeApiserver;
let cluster: Cluster;

/** Points the fake at a fresh healthy cluster for `c`. */
function healthy(c: Cluster = spec()): Cluster {
  cluster = c;
  fake.state = healthyClusterState(c);
  return c;
}

const target = () => ({ kubeconfigYaml: fake.kubeconfig() });
const check = () => validateOnce(cluster, target());
const failureKeys = (r: ValidationReport) => r.failures.map((f) => `${f.type} ${f.name}`);
const readyzCalls = () => fake.requests.filter((r) => r.url.startsWith('/readyz')).length;

before(async () => {
  pki = makeTestPki();
  fake = await startFakeKubeApiserver({ pki, state: healthyClusterState(spec()) });
});
after(async () => {
  await fake?.stop();
  pki?.cleanup();
});
beforeEach(() => {
  healthy();
  fake.mode = 'ok';
  fake.beforeRequest = undefined;
  fake.requests.length = 0;
});

describe('one check', () => {
  test('a healthy cluster is valid, with every node listed', async () => {
    const report = await check();
    assert.deepEqual(report.failures, []);
    assert.equal(report.valid, true);
    assert.equal(report.cluster, 'demo.k8s.local');
    assert.deepEqual(report.nodes, [
      { name: 'control-plane-1', role: 'control-plane', group: 'control-plane', zone: 'us-east-2a', ready: true },
      { name: 'nodes-1', role: 'node', group: 'nodes', zone: 'us-east-2a', ready: true },
      { name: 'nodes-2', role: 'node', group: 'nodes', zone: 'us-east-2b', ready: true },
    ]);
    // Exactly the contract's document shape.
    assert.deepEqual(Object.keys(report).sort(), ['cluster', 'failures', 'nodes', 'valid']);
    assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
    // Authenticated with the admin client certificate, using label selectors for the static pods.
    assert.ok(fake.requests.every((r) => r.user === 'kubernetes-admin'));
    const urls = fake.requests.map((r) => r.url);
    assert.ok(urls.includes('/readyz?verbose'));
    assert.ok(urls.includes('/api/v1/namespaces/kube-system/pods?labelSelector=component%3Detcd'));
    assert.ok(urls.includes('/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node'));
  });

  test('a NotReady node fails the node and its group', async () => {
    fake.state.setNodeReady('nodes-2', false);
    const report = await check();
    assert.equal(report.valid, false);
    assert.deepEqual(failureKeys(report), ['node nodes-2', 'nodegroup nodes']);
    assert.match(report.failures[0].message, /KubeletNotReady/);
    assert.equal(report.nodes.find((n) => n.name === 'nodes-2')?.ready, false);
  });

  test('a missing node fails its group', async () => {
    fake.state.removeNode('nodes-1');
    const report = await check();
    assert.deepEqual(failureKeys(report), ['nodegroup nodes']);
    assert.match(report.failures[0].message, /1 of 2 expected nodes Ready \(1 registered/);
    assert.deepEqual(report.nodes.map((n) => n.name), ['control-plane-1', 'nodes-2']);
  });

  test('NetworkUnavailable=True makes a Ready node not ready', async () => {
    fake.state.setNetworkUnavailable('nodes-1', true);
    const report = await check();
    assert.deepEqual(failureKeys(report), ['node nodes-1', 'nodegroup nodes']);
    assert.match(report.failures[0].message, /NetworkUnavailable=True \(NoRouteCreated\)/);
  });

  test('a failing readyz check is reported by name, and the other checks still run', async () => {
    fake.state.setReadyzCheck('etcd', false);
    fake.state.setReadyzCheck('poststarthook/rbac/bootstrap-roles', false, 'not finished');
    const report = await check();
    assert.deepEqual(failureKeys(report), ['readyz etcd', 'readyz poststarthook/rbac/bootstrap-roles']);
    assert.match(report.failures[1].message, /failed: not finished/);
    assert.equal(report.nodes.length, 3);
  });

  test('a missing control-plane static pod is reported per node', async () => {
    healthy(spec({ controlPlanes: 3 }));
    fake.state.removePod('kube-system', 'kube-scheduler-control-plane-2');
    const report = await check();
    assert.deepEqual(failureKeys(report), ['pod kube-system/kube-scheduler-control-plane-2']);
    assert.equal(report.failures[0].message, 'static pod kube-scheduler is missing on control-plane node control-plane-2');
  });

  test('a crash-looping etcd is reported once, though it is both a static and a critical pod', async () => {
    fake.state.setPodReady('kube-system', 'etcd-control-plane-1', false);
    const report = await check();
    assert.deepEqual(failureKeys(report), ['pod kube-system/etcd-control-plane-1']);
    assert.match(report.failures[0].message, /etcd: CrashLoopBackOff/);
  });

  test('an unready CoreDNS fails the Deployment and its critical pods', async () => {
    fake.state.setDeploymentReady('kube-system', 'coredns', 1);
    const dnsPod = fake.state.pods.find((p) => p.metadata.labels['k8s-app'] === 'kube-dns')!;
    fake.state.setPodReady('kube-system', dnsPod.metadata.name, false);
    const report = await check();
    assert.deepEqual(failureKeys(report), ['deployment kube-system/coredns', `pod kube-system/${dnsPod.metadata.name}`]);
    assert.match(report.failures[0].message, /1 of 2 replicas ready/);
  });

  test('finished (Succeeded) critical pods are skipped', async () => {
    fake.state.add('pods', {
      metadata: { name: 'etcd-defrag-28xkq', namespace: 'kube-system', labels: {} },
      spec: { nodeName: 'control-plane-1', priorityClassName: 'system-cluster-critical', containers: [{ name: 'defrag', image: 'registry.k8s.io/etcd:3.5.15-0' }] },
      status: { phase: 'Succeeded', conditions: [{ type: 'Ready', status: 'False', reason: 'PodCompleted' }], containerStatuses: [] },
    });
    assert.equal((await check()).valid, true);
  });

  test('a critical pod outside kube-system that is not ready is reported', async () => {
    fake.state.add('pods', {
      metadata: { name: 'kube-flannel-ds-7xk2p', namespace: 'kube-flannel', labels: { app: 'flannel' } },
      spec: { nodeName: 'nodes-1', priorityClassName: 'system-node-critical', containers: [{ name: 'kube-flannel', image: 'ghcr.io/flannel-io/flannel:v0.26.4' }] },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [{ name: 'kube-flannel', ready: false, restartCount: 4, image: 'x', imageID: 'x', state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
    });
    const report = await check();
    assert.deepEqual(failureKeys(report), ['pod kube-flannel/kube-flannel-ds-7xk2p']);
  });

  test('kube-proxy not fully ready fails its DaemonSet', async () => {
    fake.state.setDaemonSetReady('kube-system', 'kube-proxy', 2);
    const report = await check();
    assert.deepEqual(failureKeys(report), ['daemonset kube-system/kube-proxy']);
    assert.match(report.failures[0].message, /2 of 3 pods ready/);
  });

  for (const cni of ['calico', 'cilium', 'flannel'] as const) {
    test(`${cni}: its DaemonSet is found where its manifests put it, and checked`, async () => {
      healthy(spec({ cni }));
      assert.equal((await check()).valid, true);
      const { namespace, name } = cniFixture(cluster);
      fake.state.setDaemonSetReady(namespace, name, 0);
      assert.deepEqual(failureKeys(await check()), [`daemonset ${namespace}/${name}`]);
    });
  }

  test('a missing CNI DaemonSet is reported as not found', async () => {
    fake.state.remove('daemonsets', fake.state.daemonSet('kube-system', 'calico-node'));
    const report = await check();
    assert.deepEqual(report.failures, [{ type: 'daemonset', name: 'kube-system/calico-node', message: 'DaemonSet kube-system/calico-node not found' }]);
  });

  test('an API answering 503 is an api failure, not an exception', async () => {
    fake.mode = 'unavailable';
    const report = await check();
    assert.equal(report.valid, false);
    assert.deepEqual(report.failures.map((f) => [f.type, f.name]), [['api', fake.url]]);
    assert.match(report.failures[0].message, /HTTP 503/);
  });

  test('a client certificate from another CA is rejected: an error (exit 1), not a validation failure', async () => {
    await assert.rejects(validateOnce(cluster, { kubeconfigYaml: fake.kubeconfig({ identity: 'rogue' }) }), (e: unknown) => {
      assert.ok(e instanceof OperationError);
      assert.equal(e.exitCode, 1);
      assert.match(e.message, /rejected the credentials \(401 Unauthorized\)/);
      return true;
    });
  });

  test('a server certificate the kubeconfig does not trust is an error (exit 1)', async () => {
    const rogueCa = Buffer.from(readFileSync(join(pki.dir, 'rogue-ca.crt'))).toString('base64');
    const kubeconfigYaml = fake.kubeconfig().replace(/certificate-authority-data: \S+/, `certificate-authority-data: ${rogueCa}`);
    await assert.rejects(validateOnce(cluster, { kubeconfigYaml }), (e: unknown) => e instanceof OperationError && e.code === 'TlsVerification');
  });

  test('--context selects a context; an unknown one is invalid input (exit 2)', async () => {
    const kubeconfigYaml = fake.kubeconfig({ context: 'ci' }).replace('current-context: ci', 'current-context: missing');
    assert.equal((await validateOnce(cluster, { kubeconfigYaml, context: 'ci' })).valid, true);
    await assert.rejects(validateOnce(cluster, { kubeconfigYaml, context: 'prod' }), (e: unknown) => e instanceof InvalidInputError && /context "prod"/.test(e.message));
  });
});

describe('--wait and --count', () => {
  test('an unreachable API (closed port) is an api failure, reported within the wait budget', async () => {
    const port = await freePort();
    const io = new RecordingIo();
    const started = Date.now();
    const report = await validateCluster(cluster, { kubeconfigYaml: fake.kubeconfig({ server: `https://127.0.0.1:${port}` }) }, { waitMs: 3000, count: 1, intervalMs: 500, io });
    const took = Date.now() - started;
    assert.ok(took < 4000, `took ${took} ms for a 3 s wait`); // 1 s of slack for a loaded test machine
    assert.equal(report.valid, false);
    assert.deepEqual(report.failures.map((f) => [f.type, f.name]), [['api', `https://127.0.0.1:${port}`]]);
    assert.match(report.failures[0].message, /ECONNREFUSED/);
    assert.ok(io.events.filter((e) => e.code === 'validate.result').length >= 4, 'kept retrying until the deadline');
  });

  test('an API that accepts and never answers still yields a report by the deadline', async () => {
    fake.mode = 'hang';
    const started = Date.now();
    const report = await validateCluster(cluster, target(), { waitMs: 1500, count: 1, intervalMs: 200, io: new RecordingIo() });
    const took = Date.now() - started;
    assert.ok(took >= 1400 && took < 2500, `took ${took} ms for a 1.5 s wait`);
    assert.deepEqual(report.failures.map((f) => f.type), ['api']);
  });

  test('credentials are not retried under --wait', async () => {
    const started = Date.now();
    await assert.rejects(
      validateCluster(cluster, { kubeconfigYaml: fake.kubeconfig({ identity: 'rogue' }) }, { waitMs: 10_000, count: 1, intervalMs: 100, io: new RecordingIo() }),
      OperationError,
    );
    assert.ok(Date.now() - started < 2000);
    assert.equal(readyzCalls(), 1);
  });

  test('waits through a few failing polls until the cluster becomes healthy', async () => {
    fake.state.setNodeReady('nodes-1', false);
    fake.beforeRequest = (r) => {
      if (r.url.startsWith('/readyz') && readyzCalls() === 4) fake.state.setNodeReady('nodes-1', true);
    };
    const io = new RecordingIo();
    const report = await validateCluster(cluster, target(), { waitMs: 10_000, count: 1, intervalMs: 100, io });
    assert.equal(report.valid, true);
    assert.equal(readyzCalls(), 4);
    const results = io.events.filter((e) => e.code === 'validate.result').map((e) => e.data?.valid);
    assert.deepEqual(results, [false, false, false, true]);
  });

  test('a node that becomes Ready 2 s into the wait: valid within about a second of it (default interval)', async () => {
    fake.state.setNodeReady('nodes-2', false);
    let healedAt = 0;
    const timer = setTimeout(() => {
      fake.state.setNodeReady('nodes-2', true);
      healedAt = Date.now();
    }, 2000);
    try {
      const report = await validateCluster(cluster, target(), { waitMs: 30_000, count: 1, intervalMs: DEFAULT_INTERVAL_MS, io: new RecordingIo() });
      const lag = Date.now() - healedAt;
      assert.equal(report.valid, true);
      assert.ok(healedAt > 0 && lag < 2000, `valid ${lag} ms after the node became Ready`);
    } finally {
      clearTimeout(timer);
    }
  });

  test('a flapping cluster does not pass --count 2 (while a single pass would)', async () => {
    let ready = true;
    fake.beforeRequest = (r) => {
      if (!r.url.startsWith('/readyz')) return;
      fake.state.setNodeReady('nodes-1', ready);
      ready = !ready;
    };
    const flapping = await validateCluster(cluster, target(), { waitMs: 2000, count: 2, intervalMs: 100, io: new RecordingIo() });
    assert.equal(flapping.valid, false);
    assert.ok(readyzCalls() >= 3, `only ${readyzCalls()} polls: too few to show flapping`);
    fake.requests.length = 0;
    const once = await validateCluster(cluster, target(), { waitMs: 1500, count: 1, intervalMs: 100, io: new RecordingIo() });
    assert.equal(once.valid, true, 'the same flapping cluster passes a single check, so --count is what stopped it');
  });

  test('--count 3 on a steady cluster: exactly three consecutive passes', async () => {
    const io = new RecordingIo();
    const report = await validateCluster(cluster, target(), { waitMs: 10_000, count: 3, intervalMs: 100, io });
    assert.equal(report.valid, true);
    assert.equal(readyzCalls(), 3);
    assert.deepEqual(io.events.filter((e) => e.code === 'validate.result').map((e) => e.data?.streak), [1, 2, 3]);
  });

  test('waitMs 0 checks once', async () => {
    fake.state.setNodeReady('nodes-1', false);
    const report = await validateCluster(cluster, target(), { waitMs: 0, count: 3, intervalMs: 100, io: new RecordingIo() });
    assert.equal(report.valid, false);
    assert.equal(readyzCalls(), 1);
  });
});
