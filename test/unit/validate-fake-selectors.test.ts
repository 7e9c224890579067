// The fake kube-apiserver must filter like the real one, or validation tests against it prove nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesLabels, parseFieldSelector, parseLabelSelector } from '../fakes/kube-apiserver.js';

const labels = { component: 'etcd', tier: 'control-plane', 'node-role.kubernetes.io/control-plane': '', 'k8sup.io/node-group': 'control-plane', weight: '5' };
const match = (selector: string) => matchesLabels(parseLabelSelector(selector), labels);

test('label selectors: equality, inequality and existence', () => {
  assert.equal(match(''), true);
  assert.equal(match('component=etcd'), true);
  assert.equal(match('component==etcd'), true);
  assert.equal(match('component=kube-apiserver'), false);
  assert.equal(match('component!=kube-apiserver'), true);
  assert.equal(match('missing!=x'), true, '!= matches objects without the label');
  assert.equal(match('node-role.kubernetes.io/control-plane'), true);
  assert.equal(match('node-role.kubernetes.io/worker'), false);
  assert.equal(match('!node-role.kubernetes.io/control-plane'), false);
  assert.equal(match('!node-role.kubernetes.io/worker'), true);
  assert.equal(match('node-role.kubernetes.io/control-plane='), true, 'empty value equals the empty label');
});

test('label selectors: set-based terms and comma conjunctions', () => {
  assert.equal(match('component in (etcd, kube-apiserver)'), true);
  assert.equal(match('component notin (etcd,kube-apiserver)'), false);
  assert.equal(match('missing notin (a)'), true);
  assert.equal(match('tier=control-plane,component in (kube-scheduler,etcd),k8sup.io/node-group'), true);
  assert.equal(match('tier=control-plane,component=kube-scheduler'), false);
  assert.equal(match('weight>3'), true);
  assert.equal(match('weight<3'), false);
});

test('label selectors: malformed input is rejected, not silently matched', () => {
  for (const bad of ['component=etcd=x', 'in (a)', 'a in a,b', '=x', 'component = (etcd']) {
    assert.throws(() => parseLabelSelector(bad), Error, bad);
  }
});

test('field selectors: dotted paths with = and !=', () => {
  const pod = { metadata: { name: 'etcd-cp-1', namespace: 'kube-system' }, spec: { nodeName: 'cp-1' }, status: { phase: 'Running' } };
  assert.equal(parseFieldSelector('spec.nodeName=cp-1')(pod), true);
  assert.equal(parseFieldSelector('spec.nodeName=cp-2')(pod), false);
  assert.equal(parseFieldSelector('status.phase!=Succeeded,metadata.namespace==kube-system')(pod), true);
  assert.throws(() => parseFieldSelector('spec.nodeName'));
});
