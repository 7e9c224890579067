// A cloud cluster's nodes read their bootstrap material from the state store, so an apply (or Terraform output) on a
// store they cannot reach — a local file:// store for AWS or GCE — is refused up front: exit 2, one line and a hint,
// nothing written anywhere and no cloud called. Planning on a local store stays allowed.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { k8sup, tempHome, treeDigest } from '../helpers/cli.js';

// Any cloud call would go to a closed port and fail with exit 1, not 2.
const offline = { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_REGION: 'us-east-2', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_MAX_ATTEMPTS: '1', K8SUP_GCE_ENDPOINT: 'http://127.0.0.1:9' };

function assertRefused(r: { code: number; stderr: string }, scheme: string): void {
  assert.equal(r.code, 2, r.stderr);
  const [what, hint, ...rest] = r.stderr.split('\n').filter(Boolean);
  assert.match(what, new RegExp(`^error: \\w+ clusters need a ${scheme}// state store \\(nodes read their bootstrap material from it\\), not file://`));
  assert.match(hint, new RegExp(`^hint: pass --state ${scheme}//my-bucket`));
  assert.deepEqual(rest, []);
}

test('create --yes and create --target terraform on a local store: refused before anything is written', async () => {
  const home = tempHome();
  const env = { ...offline, HOME: home };
  const before = treeDigest(home);
  assertRefused(await k8sup(['create', 'cluster', 'aws.k8s.local', '--zones', 'us-east-2a', '--yes'], { env }), 's3:');
  assertRefused(await k8sup(['create', 'cluster', 'gce.k8s.local', '--zones', 'us-central1-b', '--project', 'p', '--yes'], { env }), 'gs:');
  const out = join(home, 'tf');
  assertRefused(await k8sup(['create', 'cluster', 'tf.k8s.local', '--zones', 'us-east-2a', '--target', 'terraform', '--out', out], { env }), 's3:');
  assert.ok(!existsSync(out), 'no Terraform written');
  assert.equal(treeDigest(home), before, 'nothing written to the local store (or anywhere under HOME)');
});

test('a cluster planned on a local store: update --yes and update --target terraform are refused, the plan is not', async () => {
  const home = tempHome();
  const env = { ...offline, HOME: home };
  const created = await k8sup(['create', 'cluster', 'planned.k8s.local', '--zones', 'us-east-2a'], { env });
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /to create/);
  const before = treeDigest(home);
  assertRefused(await k8sup(['update', 'cluster', 'planned.k8s.local', '--yes'], { env }), 's3:');
  assertRefused(await k8sup(['update', 'cluster', 'planned.k8s.local', '--target', 'terraform', '--out', join(home, 'tf')], { env }), 's3:');
  assert.equal(treeDigest(home), before, 'the refused runs changed nothing');
});

test('a file:// store URL with a query or a fragment: exit 2, one line and a hint, no store created', async () => {
  const home = tempHome();
  const before = treeDigest(home);
  for (const suffix of ['?y=1', '#part']) {
    const state = `file://${join(home, 'state')}${suffix}`;
    const r = await k8sup(['create', 'cluster', 'q.k8s.local', '--zones', 'us-east-2a', '--state', state], { env: { ...offline, HOME: home } });
    assert.equal(r.code, 2, r.stderr);
    const [what, hint, ...rest] = r.stderr.split('\n').filter(Boolean);
    assert.match(what, new RegExp(`^error: state store URL .* has a (query|fragment)`));
    assert.match(hint, /^hint: Use --state/);
    assert.deepEqual(rest, []);
  }
  assert.ok(!existsSync(join(home, 'state')), 'no store folder created');
  assert.equal(treeDigest(home), before, 'nothing written under HOME');
});

test('an s3:// or gs:// store URL with a query or a fragment: exit 2, the part named and the URL without it as the hint, no call made', async () => {
  const home = tempHome();
  const before = treeDigest(home);
  const cases: [string, string, string][] = [
    ['s3://my-state/clusters?versionId=3', 'query', 's3://my-state/clusters'],
    ['s3://my-state#prod', 'fragment', 's3://my-state'],
    ['gs://my-state/teams/?x=1', 'query', 'gs://my-state/teams'],
    ['gs://my-state/p#x', 'fragment', 'gs://my-state/p'],
  ];
  for (const [state, part, without] of cases) {
    for (const args of [['get', 'clusters'], ['create', 'cluster', 'q.k8s.local', '--zones', 'us-east-2a']]) {
      // A closed port for both clouds: a call would fail with exit 1, not 2.
      const r = await k8sup([...args, '--state', state], { env: { ...offline, HOME: home, STORAGE_EMULATOR_HOST: 'http://127.0.0.1:9' } });
      assert.equal(r.code, 2, r.stderr);
      const [what, hint, ...rest] = r.stderr.split('\n').filter(Boolean);
      assert.equal(what, `error: state store URL ${state} has a ${part} (${part === 'query' ? '?' : '#'}…), which a ${state.slice(0, 2)}:// store cannot use: it reads only the bucket and the prefix`);
      assert.equal(hint, `hint: drop everything from the ${part === 'query' ? '?' : '#'}: --state ${without}`);
      assert.deepEqual(rest, []);
      assert.equal(r.stdout, '');
    }
  }
  assert.equal(treeDigest(home), before, 'nothing written under HOME');
});
