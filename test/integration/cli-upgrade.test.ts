// upgrade and rollback cluster: one minor at a time, never down; without --yes they only preview (the store stays
// byte-for-byte the same); rollback refuses the version changes upgrade refuses, unless --force.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { k8sup, tempHome, treeDigest } from '../helpers/cli.js';

const NAME = 'up.k8s.local';
let env: Record<string, string>;
let home: string;
const store = () => treeDigest(join(home, '.k8sup'));

before(async () => {
  home = tempHome();
  env = { HOME: home };
  const r = await k8sup(['create', 'cluster', NAME, '--zones', 'us-east-2a', '--kubernetes-version', '1.34.4'], { env });
  assert.equal(r.code, 0, r.stderr);
});

test('skipping a minor, downgrading and a malformed version are refused with nothing written', async () => {
  for (const [version, message] of [['1.36.0', /skip minor/], ['1.33.9', /downgrade/], ['1.34.2', /downgrade/], ['1.32', /X\.Y\.Z/]] as const) {
    for (const yes of [[], ['--yes']]) {
      const digest = store();
      const r = await k8sup(['upgrade', 'cluster', NAME, '--kubernetes-version', version, ...yes], { env });
      assert.equal(r.code, 2, `${version}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /^hint: /m);
      assert.equal(store(), digest, `${version}: store unchanged`);
    }
  }
});

test('a version k8sup does not install: the hint names the versions to go to, not a spec field', async () => {
  for (const yes of [[], ['--yes']]) {
    const digest = store();
    const r = await k8sup(['upgrade', 'cluster', NAME, '--kubernetes-version', '1.34.99', ...yes], { env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /Kubernetes 1\.34\.99 is not a version this k8sup installs \(1\.33\.0/);
    assert.match(r.stderr, /^hint: from 1\.34\.4, go to 1\.35\.1$/m);
    assert.doesNotMatch(r.stderr, /Fix the field/);
    assert.equal(store(), digest, 'store unchanged');
  }
});

test('upgrade without --yes previews the plan of the next minor and writes nothing', async () => {
  const digest = store();
  const r = await k8sup(['upgrade', 'cluster', NAME, '--kubernetes-version', '1.35.1'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Plan for up\.k8s\.local/m);
  assert.match(r.stderr, /Would set up\.k8s\.local to Kubernetes 1\.35\.1 \(revision 2\); nothing was written/);
  assert.match(r.stderr, /k8sup upgrade cluster up\.k8s\.local --kubernetes-version 1\.35\.1 --yes/);
  assert.equal(store(), digest, 'upgrade without --yes wrote something');
  const spec = JSON.parse((await k8sup(['get', 'cluster', NAME, '-o', 'json'], { env })).stdout);
  assert.equal(spec.spec.kubernetesVersion, '1.34.4');
  // --yes on a store the AWS nodes cannot read is refused before the revision is written.
  const refused = await k8sup(['upgrade', 'cluster', NAME, '--kubernetes-version', '1.35.1', '--yes'], { env });
  assert.equal(refused.code, 2, refused.stderr);
  assert.equal(store(), digest, 'a refused upgrade --yes wrote something');
});

test('rollback refuses a Kubernetes downgrade unless --force, and writes only with --yes', async () => {
  // A newer spec (as `replace -f` after an applied upgrade would leave it).
  const spec = JSON.parse((await k8sup(['get', 'cluster', NAME, '-o', 'json'], { env })).stdout);
  spec.spec.kubernetesVersion = '1.35.1';
  const file = join(home, 'newer.json');
  writeFileSync(file, JSON.stringify(spec));
  assert.equal((await k8sup(['replace', '-f', file], { env })).code, 0);

  const digest = store();
  for (const yes of [[], ['--yes']]) {
    const r = await k8sup(['rollback', 'cluster', NAME, '--revision', '1', ...yes], { env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /cannot downgrade Kubernetes from 1\.35\.1 to 1\.34\.4/);
    assert.match(r.stderr, /^hint: .*--force/m);
    assert.equal(store(), digest);
  }
  const preview = await k8sup(['rollback', 'cluster', NAME, '--revision', '1', '--force'], { env });
  assert.equal(preview.code, 0, preview.stderr);
  assert.match(preview.stderr, /spec\.kubernetesVersion: "1\.35\.1" → "1\.34\.4"/);
  assert.equal(store(), digest, 'rollback --force without --yes wrote something');

  const forced = await k8sup(['rollback', 'cluster', NAME, '--revision', '1', '--force', '--yes'], { env });
  assert.equal(forced.code, 0, forced.stderr);
  const history = JSON.parse((await k8sup(['history', 'cluster', NAME, '-o', 'json'], { env })).stdout);
  assert.deepEqual(history.map((h: any) => h.message), ['create', `replace -f ${file}`, 'rollback to revision 1']);
});
