// kubectl's and kubeadm's `--dry-run` is k8sup's default (kops' idiom, CONTRACT.md: without --yes nothing changes).
// A pipeline that passes it gets exit 2 with a hint that says so, before anything is read or written.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { k8sup, tempHome, treeDigest } from '../helpers/cli.js';

test('--dry-run (and --dry-run=client): exit 2, the hint says previews are the default, nothing written', async () => {
  const home = tempHome();
  const env = { HOME: home };
  assert.equal((await k8sup(['create', 'cluster', 'dry.k8s.local', '--zones', 'us-east-2a'], { env })).code, 0);
  const before = treeDigest(home);
  for (const args of [
    ['update', 'cluster', 'dry.k8s.local', '--dry-run'],
    ['delete', 'cluster', 'dry.k8s.local', '--dry-run=client'],
    ['create', 'cluster', 'dry2.k8s.local', '--zones', 'us-east-2a', '--dry-run'],
  ]) {
    const r = await k8sup(args, { env });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    const [what, hint, ...rest] = r.stderr.split('\n').filter(Boolean);
    assert.match(what, /^error: unknown option '--dry-run(=client)?'$/);
    assert.equal(hint, 'hint: k8sup previews by default: without --yes a command only shows what it would change (only `create cluster` stores its spec); drop --dry-run');
    assert.deepEqual(rest, []);
  }
  assert.equal(treeDigest(home), before);
});
