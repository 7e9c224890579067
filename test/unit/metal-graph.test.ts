import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDefaults } from '../../src/api/defaults.js';
import type { Cluster } from '../../src/api/types.js';
import { InvalidInputError, OperationError } from '../../src/core/errors.js';
import { buildMetalGraph, controlPlaneEndpoint } from '../../providers/metal/model.js';
import { wrapCommand } from '../../providers/metal/remote.js';
import { classifyMetalError, provider } from '../../providers/metal/index.js';

const inputs = { stateStore: 'file:///tmp/s', caCertPem: '', caCertHash: `sha256:${'0'.repeat(64)}` };

function cluster(hosts: object[], vip?: string): Cluster {
  return withDefaults({ metadata: { name: 'ha.k8s.local' }, spec: { cloud: 'metal', hosts, ...(vip ? { api: { vip } } : {}) } } as never);
}

test('HA: control planes join one after another, workers in parallel after init; the VIP is the endpoint', () => {
  const c = cluster(
    [
      { address: '10.0.0.11', port: 22, user: 'ubuntu', role: 'control-plane' },
      { address: '10.0.0.12', port: 22, user: 'ubuntu', role: 'control-plane' },
      { address: '10.0.0.13', port: 22, user: 'ubuntu', role: 'control-plane' },
      { address: '10.0.0.21', port: 22, user: 'ubuntu', role: 'worker' },
      { address: '10.0.0.22', port: 22, user: 'ubuntu', role: 'worker', name: 'big-node' },
    ],
    '10.0.0.100',
  );
  const g = buildMetalGraph(c, inputs);
  const deps = Object.fromEntries(g.map((n) => [n.id, n.dependsOn ?? []]));
  assert.deepEqual(deps['host/10-0-0-11/kubeadm-init'], ['host/10-0-0-11/prepared']);
  assert.deepEqual(deps['host/10-0-0-12/joined'], ['host/10-0-0-12/prepared', 'host/10-0-0-11/kubeadm-init']);
  assert.deepEqual(deps['host/10-0-0-13/joined'], ['host/10-0-0-13/prepared', 'host/10-0-0-12/joined']);
  assert.deepEqual(deps['host/10-0-0-21/joined'], ['host/10-0-0-21/prepared', 'host/10-0-0-11/kubeadm-init']);
  assert.deepEqual(deps['host/big-node/joined'], ['host/big-node/prepared', 'host/10-0-0-11/kubeadm-init']);
  assert.equal(g.length, 5 + 1 + 2 + 2);
  for (const n of g.filter((n) => n.kind !== 'metal-host')) assert.equal(n.fields.apiEndpoint, '10.0.0.100:6443');
  assert.equal(g.find((n) => n.id === 'host/big-node/joined')!.fields.nodeGroup, c.spec.nodeGroups[0]?.name ?? 'nodes');
  // pure: same input, same graph
  assert.deepEqual(buildMetalGraph(c, inputs), g);
});

test('without a VIP the first control plane is the endpoint; IPv6 is bracketed', () => {
  assert.equal(controlPlaneEndpoint(cluster([{ address: '10.0.0.11', port: 22, user: 'root', role: 'control-plane' }])), '10.0.0.11:6443');
  assert.equal(controlPlaneEndpoint(cluster([{ address: 'fd00::11', port: 22, user: 'root', role: 'control-plane' }])), '[fd00::11]:6443');
  assert.equal(provider.apiEndpoint!({ 'host/a/prepared': {}, 'host/a/kubeadm-init': { apiEndpoint: 'https://10.0.0.11:6443' } }), 'https://10.0.0.11:6443');
});

test('no control plane in spec.hosts is invalid input', () => {
  assert.throws(() => buildMetalGraph(cluster([{ address: '10.0.0.21', port: 22, user: 'root', role: 'worker' }]), inputs), InvalidInputError);
});

test('commands get sudo -n for non-root users and the remote environment, safely quoted', () => {
  const env = { root: "/tmp/r/{host}", path: '/stub:/usr/bin', sudo: 'auto' as const };
  assert.equal(wrapCommand(env, 'cp1', 'ubuntu', "echo 'hi'"), `sudo -n env K8SUP_ROOT='/tmp/r/cp1' PATH='/stub:/usr/bin' sh -c 'echo '\\''hi'\\'''`);
  assert.equal(wrapCommand({ root: '', sudo: 'auto' }, 'cp1', 'root', 'true'), `env K8SUP_ROOT='' sh -c 'true'`);
  assert.equal(wrapCommand({ root: '', sudo: 'never' }, 'cp1', 'ubuntu', 'true'), `env K8SUP_ROOT='' sh -c 'true'`);
});

test('SSH network failures are transient for the engine; host-key and command failures are fatal', () => {
  assert.equal(classifyMetalError(new OperationError('x', { code: 'SshConnectionLost' })), 'transient');
  assert.equal(classifyMetalError(new OperationError('x', { code: 'SshConnectFailed' })), 'transient');
  assert.equal(classifyMetalError(new OperationError('x', { code: 'SshHostKeyChanged' })), 'fatal');
  assert.equal(classifyMetalError(new OperationError('x', { code: 'RemoteCommandFailed' })), 'fatal');
  assert.equal(classifyMetalError(new Error('x')), 'fatal');
});

test('renderStepScript shows the exact script per host without SSH; no key material in it', async () => {
  const { renderBootstrapScript } = await import('../../src/bootstrap/index.js');
  const { renderStepScript } = await import('../../providers/metal/index.js');
  const c = cluster([
    { address: '10.0.0.11', port: 22, user: 'root', role: 'control-plane' },
    { address: '10.0.0.21', port: 22, user: 'root', role: 'worker', name: 'w1' },
  ]);
  const g = buildMetalGraph(c, inputs);
  const scripts = Object.fromEntries(g.map((n) => [n.id, renderStepScript(c, n, inputs.stateStore, renderBootstrapScript)]));
  assert.equal(scripts['host/w1/prepared'], undefined);
  assert.match(scripts['host/10-0-0-11/kubeadm-init']!, /kubeadm init --config/);
  assert.match(scripts['host/w1/joined']!, /kubeadm join --config/);
  assert.match(scripts['host/w1/joined']!, /NODE_NAME='w1'/);
  assert.match(scripts['host/w1/joined']!, /10\.0\.0\.11:6443/);
  for (const s of Object.values(scripts)) assert.ok(!s || !s.includes('PRIVATE KEY'));
});
