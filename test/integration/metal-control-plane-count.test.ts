// On bare metal the control plane is the hosts with role control-plane: spec.controlPlane.count is their number,
// whatever a copied spec or an older revision says (like the worker group's size), --control-plane-count is refused
// like --node-count, and an even number of control-plane hosts is refused with etcd's quorum advice. Every refusal
// is exit 2, two lines, nothing written. Runs the built CLI on a file store; no host is contacted.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse, stringify } from 'yaml';
import { k8sup, tempHome, treeDigest } from '../helpers/cli.js';

const home = tempHome();
const state = `file://${join(home, 'state')}`;
const env = { HOME: home, K8SUP_STATE_STORE: state };
const run = (args: string[], input?: string) => k8sup(args, { env, input });

function hostsFile(name: string, controlPlanes: number): string {
  const hosts = [
    ...Array.from({ length: controlPlanes }, (_, i) => ({ address: `192.0.2.${10 + i}`, role: 'control-plane' })),
    { address: '192.0.2.100', role: 'worker' },
  ];
  const path = join(home, name);
  writeFileSync(path, stringify({ hosts, api: { vip: '192.0.2.250' } }));
  return path;
}

function assertTwoLines(r: { code: number; stdout: string; stderr: string }, error: RegExp, hint: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  const [what, how, ...rest] = r.stderr.split('\n').filter(Boolean);
  assert.match(what, error);
  assert.match(how, hint);
  assert.deepEqual(rest, []);
}

const EVEN = /^error: spec\.controlPlane\.count: must be odd \(1, 3, 5\) so etcd keeps quorum: spec\.hosts has 2 hosts with role control-plane$/;
const QUORUM = /^hint: list 1, 3 or 5 hosts with role control-plane: etcd needs a majority of its members, so 2 survive no more failures than 1/;

test('create --hosts with two control-plane hosts: exit 2 with the quorum advice, nothing stored', async () => {
  const two = hostsFile('two.yaml', 2);
  const before = treeDigest(home);
  assertTwoLines(await run(['create', 'cluster', 'even.k8s.local', '--hosts', two]), EVEN, QUORUM);
  assert.equal(treeDigest(home), before);
});

test('--control-plane-count with --hosts: refused like --node-count (the hosts file decides)', async () => {
  const three = hostsFile('three.yaml', 3);
  const before = treeDigest(home);
  for (const n of ['1', '3']) {
    assertTwoLines(
      await run(['create', 'cluster', 'flag.k8s.local', '--hosts', three, '--control-plane-count', n]),
      /^error: --control-plane-count: bare metal clusters have one node per host of the hosts file, as it is$/,
      /^hint: drop --control-plane-count; add or remove hosts in the hosts file instead$/,
    );
  }
  assert.equal(treeDigest(home), before);
});

test('the count follows the control-plane hosts: create, then replace -f with two more hosts and the old count', async () => {
  const created = await run(['create', 'cluster', 'grow.k8s.local', '--hosts', hostsFile('one.yaml', 1)]);
  assert.equal(created.code, 0, created.stderr);
  const spec = parse((await run(['get', 'cluster', 'grow.k8s.local', '-o', 'yaml'])).stdout);
  assert.equal(spec.spec.controlPlane.count, 1);

  // Two control planes added; spec.controlPlane.count still says 1, as a copied spec would.
  spec.spec.hosts.splice(1, 0, { address: '192.0.2.21', role: 'control-plane' }, { address: '192.0.2.22', role: 'control-plane' });
  delete spec.metadata.revision;
  const replaced = await run(['replace', '-f', '-'], stringify(spec));
  assert.equal(replaced.code, 0, replaced.stderr);
  assert.match(replaced.stderr, /spec\.controlPlane\.count: 1 → 3/);
  const grown = JSON.parse((await run(['get', 'cluster', 'grow.k8s.local', '-o', 'json'])).stdout);
  assert.equal(grown.spec.controlPlane.count, 3);

  // Down to two control-plane hosts: refused, and the stored revisions stay as they are.
  spec.spec.hosts.splice(1, 1);
  spec.spec.controlPlane.count = 3;
  const before = treeDigest(home);
  assertTwoLines(await run(['replace', '-f', '-'], stringify(spec)), EVEN, QUORUM);
  assert.equal(treeDigest(home), before);
});

test('create -f: a cluster file whose count disagrees with its hosts gets the hosts\' count', async () => {
  const doc = {
    apiVersion: 'k8sup.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'file.k8s.local' },
    spec: {
      cloud: 'metal',
      controlPlane: { count: 1 },
      api: { vip: '192.0.2.250' },
      hosts: [1, 2, 3].map((i) => ({ address: `192.0.2.${30 + i}`, role: 'control-plane' })),
    },
  };
  const created = await run(['create', '-f', '-'], stringify(doc));
  assert.equal(created.code, 0, created.stderr);
  const stored = JSON.parse((await run(['get', 'cluster', 'file.k8s.local', '-o', 'json'])).stdout);
  assert.equal(stored.spec.controlPlane.count, 3);
});
