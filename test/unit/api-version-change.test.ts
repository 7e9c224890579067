// kubeadm's rule for version changes (src/api/version.ts versionChangeIssue): the hint names versions this k8sup can
// install, never a next minor it does not support.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_KUBERNETES_VERSION, KUBERNETES_RELEASES, MAX_SUPPORTED_MINOR, MIN_SUPPORTED_MINOR, isSupported, parseKubeVersion, versionChangeIssue } from '../../src/api/version.js';

const v = (text: string) => parseKubeVersion(text)!;

test('a downgrade from the newest supported version: the hint says there is nowhere further to go', () => {
  const newest = v(DEFAULT_KUBERNETES_VERSION);
  const issue = versionChangeIssue(newest, v(`1.${MIN_SUPPORTED_MINOR}.0`));
  assert.ok(issue);
  assert.match(issue.message, /cannot downgrade/);
  assert.match(issue.hint, new RegExp(`${newest.text.replace(/\./g, '\\.')} is the newest version this k8sup installs`));
  assert.doesNotMatch(issue.hint, new RegExp(`1\\.${MAX_SUPPORTED_MINOR + 1}`), 'no unsupported minor is suggested');
});

test('skipping a minor: the hint names the newest patch of this minor and of the next, both supported', () => {
  const from = v(`1.${MIN_SUPPORTED_MINOR}.0`);
  const issue = versionChangeIssue(from, v(`1.${MIN_SUPPORTED_MINOR + 2}.0`));
  assert.ok(issue);
  const same = `1.${MIN_SUPPORTED_MINOR}.${KUBERNETES_RELEASES[MIN_SUPPORTED_MINOR].newestPatch}`;
  const next = `1.${MIN_SUPPORTED_MINOR + 1}.${KUBERNETES_RELEASES[MIN_SUPPORTED_MINOR + 1].newestPatch}`;
  assert.equal(issue.hint, `change one minor version at a time, never down: from ${from.text}, go to ${same} or ${next}`);
  for (const named of [same, next]) assert.ok(isSupported(v(named)), named);
});

test('one minor up and patch moves are no issue', () => {
  assert.equal(versionChangeIssue(v(`1.${MIN_SUPPORTED_MINOR}.0`), v(`1.${MIN_SUPPORTED_MINOR + 1}.0`)), null);
  assert.equal(versionChangeIssue(v(`1.${MIN_SUPPORTED_MINOR}.0`), v(`1.${MIN_SUPPORTED_MINOR}.3`)), null);
});

test('one minor up to a minor k8sup does not install yet: the message says so and the hint names where to go', () => {
  const newest = v(DEFAULT_KUBERNETES_VERSION);
  const issue = versionChangeIssue(newest, v(`1.${MAX_SUPPORTED_MINOR + 1}.0`));
  assert.ok(issue, 'an unsupported next minor is an issue');
  assert.match(issue.message, new RegExp(`Kubernetes 1\\.${MAX_SUPPORTED_MINOR + 1}\\.0 is not a version this k8sup installs`));
  assert.equal(issue.hint, `${newest.text} is the newest version this k8sup installs`);
});

test('an unpublished patch of a supported minor: the hint names the newest published patch and the next minor', () => {
  const from = v(`1.${MIN_SUPPORTED_MINOR}.0`);
  const newestPatch = KUBERNETES_RELEASES[MIN_SUPPORTED_MINOR].newestPatch;
  const issue = versionChangeIssue(from, v(`1.${MIN_SUPPORTED_MINOR}.${newestPatch + 1}`));
  assert.ok(issue);
  const next = `1.${MIN_SUPPORTED_MINOR + 1}.${KUBERNETES_RELEASES[MIN_SUPPORTED_MINOR + 1].newestPatch}`;
  assert.equal(issue.hint, `from ${from.text}, go to 1.${MIN_SUPPORTED_MINOR}.${newestPatch} or ${next}`);
});
