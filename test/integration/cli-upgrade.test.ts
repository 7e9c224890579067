// upgrade cluster: one minor at a time, never down; a refused upgrade writes nothing; an accepted one is a new
// revision with the version and a plan.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { k8sup, tempHome, treeDigest } from '../helpers/cli.js';

const NAME = 'up.k8s.local';
let env: Record<string, string>;
let home: string;

before(async () => {
  home = tempHome();
  env = { HOME: home };
  const r = await k8sup(['create', 'cluster', NAME, '--zones', 'us-east-2a', '--kubernetes-version', '1.31.4'], { env });
  assert.equal(r.code, 0, r.stderr);
});

test('skipping a minor, downgrading and a malformed version are refused with nothing written', async () => {
  for (const [version, message] of [['1.33.0', /skip minor/], ['1.30.9', /downgrade/], ['1.31.2', /downgrade/], ['1.32', /X\.Y\.Z/]] as const) {
    const digest = treeDigest(join(home, '.k8sup'));
    const r = await k8sup(['upgrade', 'cluster', NAME, '--kubernetes-version', version], { env });
    assert.equal(r.code, 2, `${version}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /^hint: /m);
    assert.equal(treeDigest(join(home, '.k8sup')), digest, `${version}: store unchanged`);
  }
});

test('the next minor is a new revision carrying the version, and the plan is printed', async () => {
  const r = await k8sup(['upgrade', 'cluster', NAME, '--kubernetes-version', '1.32.3'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Plan for up\.k8s\.local/m);
  const spec = JSON.parse((await k8sup(['get', 'cluster', NAME, '-o', 'json'], { env })).stdout);
  assert.equal(spec.spec.kubernetesVersion, '1.32.3');
  const history = JSON.parse((await k8sup(['history', 'cluster', NAME, '-o', 'json'], { env })).stdout);
  assert.deepEqual(history.map((h: any) => [h.revision, h.message]), [[1, 'create'], [2, 'upgrade to 1.32.3']]);
  // The same version again changes nothing.
  const again = await k8sup(['upgrade', 'cluster', NAME, '--kubernetes-version', '1.32.3'], { env });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse((await k8sup(['history', 'cluster', NAME, '-o', 'json'], { env })).stdout).length, 2);
});
