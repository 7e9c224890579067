// spec.etcd.backups: defaults, the schedule and retain rules (exit 2 with the field path), and that the schedules the
// rule lets through are calendar expressions systemd itself accepts.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { loadCluster } from '../../src/api/index.js';
import { withDefaultEtcdBackups } from '../../src/api/etcd-backups.js';
import { InvalidInputError } from '../../src/core/errors.js';

const doc = (etcd?: unknown) => ({
  apiVersion: 'k8sup.io/v1alpha1',
  kind: 'Cluster',
  metadata: { name: 'demo.k8s.local' },
  spec: { zones: ['us-east-2a'], ...(etcd === undefined ? {} : { etcd }) },
});

test('a spec without etcd has no backups; create adds the default schedule; a partial mapping is completed', () => {
  assert.equal(loadCluster(doc()).spec.etcd, undefined);
  assert.deepEqual(withDefaultEtcdBackups(loadCluster(doc())).spec.etcd, { backups: { schedule: 'hourly', retain: 24 } });
  assert.deepEqual(loadCluster(doc({ backups: { retain: 5 } })).spec.etcd, { backups: { schedule: 'hourly', retain: 5 } });
  // A user's own choice is kept, including off.
  const off = loadCluster(doc({ backups: { schedule: 'off' } }));
  assert.deepEqual(withDefaultEtcdBackups(off).spec.etcd, { backups: { schedule: 'off', retain: 24 } });
});

test('bad schedules and retain values are refused with their field path', () => {
  const issues = (etcd: unknown) => {
    try {
      loadCluster(doc(etcd));
    } catch (e) {
      assert.ok(e instanceof InvalidInputError);
      assert.equal(e.exitCode, 2);
      return e.message;
    }
    return '';
  };
  assert.match(issues({ backups: { schedule: 'hourly\nExecStart=/bin/sh' } }), /spec\.etcd\.backups\.schedule/);
  assert.match(issues({ backups: { schedule: '"daily"' } }), /spec\.etcd\.backups\.schedule/);
  assert.match(issues({ backups: { retain: 0 } }), /spec\.etcd\.backups\.retain: must be a whole number from 1 to 200/);
  assert.match(issues({ backups: { retain: 201 } }), /retain/);
  assert.match(issues({ backups: { retain: 'ten' } }), /spec\.etcd\.backups\.retain: must be a whole number/);
  assert.match(issues({ backups: { every: '1h' } }), /spec\.etcd\.backups\.every: unknown field/);
});

test('the documented schedules pass the rule and systemd-analyze calendar', (t) => {
  const analyze = spawnSync('systemd-analyze', ['calendar', 'hourly'], { encoding: 'utf8' });
  for (const schedule of ['hourly', 'daily', '*-*-* 00/6:00:00', 'Mon..Fri *-*-* 02:30:00', '*:0/15']) {
    assert.doesNotThrow(() => loadCluster(doc({ backups: { schedule } })), schedule);
    if (analyze.error) continue;
    const r = spawnSync('systemd-analyze', ['calendar', schedule], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${schedule}: ${r.stderr}`);
  }
  if (analyze.error) t.diagnostic('systemd-analyze is not installed: only the rule was checked');
});
