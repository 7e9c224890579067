// The kubelet/API server skew policy during an upgrade (src/lifecycle/version-skew.ts), with the policy page's own
// example (https://kubernetes.io/releases/version-skew-policy/, "kubelet"): with API servers at 1.35 and 1.34, kubelets
// are supported at 1.34, 1.33 and 1.32 — not 1.35 (newer than the 1.34 instance), not 1.31 (four behind 1.35).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseKubeVersion } from '../../src/api/version.js';
import { kubeletMaxMinorsBehind, kubeletSkewIssue } from '../../src/lifecycle/version-skew.js';

const from = parseKubeVersion('1.34.4')!;
const to = parseKubeVersion('1.35.1')!;

test('the policy example: 1.34, 1.33 and 1.32 kubelets stay within the skew while 1.34 → 1.35 rolls', () => {
  for (const kubelet of ['v1.34.4', 'v1.34.0', 'v1.33.8', 'v1.32.0']) assert.equal(kubeletSkewIssue(kubelet, from, to), null, kubelet);
});

test('a kubelet of the target (a node an interrupted upgrade already replaced) is fine', () => {
  assert.equal(kubeletSkewIssue('v1.35.1', from, to), null);
});

test('more than three minors behind the target is refused, with how far and what the policy allows', () => {
  assert.equal(kubeletSkewIssue('v1.31.14', from, to), 'runs kubelet v1.31.14, 4 minor versions behind 1.35.1 once the control planes run it (the version skew policy allows 3)');
});

test('a kubelet of a newer minor than the API servers is refused (a kubelet must not be newer than kube-apiserver)', () => {
  assert.match(kubeletSkewIssue('v1.35.0', from, to)!, /v1\.35\.0, a minor newer than the API servers' 1\.34\.4/);
  // A newer patch of the same minor is not a skew (the policy counts minors).
  assert.equal(kubeletSkewIssue('v1.34.5', from, to), null);
});

test('kubelets older than 1.25 may only be two minors behind; what is not a release version is refused', () => {
  assert.equal(kubeletMaxMinorsBehind(24), 2);
  assert.equal(kubeletMaxMinorsBehind(25), 3);
  const v = (t: string) => parseKubeVersion(t)!;
  assert.equal(kubeletSkewIssue('v1.24.17', v('1.25.16'), v('1.26.15')), null);
  assert.match(kubeletSkewIssue('v1.24.17', v('1.26.15'), v('1.27.16'))!, /3 minor versions behind 1\.27\.16 .*allows 2\)/);
  assert.match(kubeletSkewIssue('v1.35.1-eks-abc', from, to)!, /not a release version/);
});
