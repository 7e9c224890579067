// Day-2 commands read against what docs/ says they do, through the built CLI on a file:// state store: the lines a
// new platform engineer reads when a cluster has no backups yet, certificates to check, versions to pick.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { k8sup, tempHome } from '../helpers/cli.js';

const home = tempHome();
const state = `file://${join(home, 'state')}`;
const env = { HOME: home, K8SUP_STATE_STORE: state };
const AWS = 'aws.day2.k8s.local';

before(async () => {
  const created = await k8sup(['create', 'cluster', AWS, '--zones', 'us-east-2a'], { env });
  assert.equal(created.code, 0, created.stderr);
});
after(() => rmSync(home, { recursive: true, force: true }));

test('get backups on a cloud cluster without backups points at backup cluster, which works on the clouds too (docs/backups.md)', async () => {
  const r = await k8sup(['get', 'backups', AWS, '-o', 'json'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { cluster: AWS, backups: [] });
  assert.equal(r.stderr.trim(), `${AWS} has no etcd backup yet (the control planes take one hourly; \`k8sup backup cluster ${AWS}\` takes one now)`);
});
