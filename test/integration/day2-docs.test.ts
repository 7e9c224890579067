// Day-2 commands read against what docs/ says they do, through the built CLI on a file:// state store: the lines a
// new platform engineer reads when a cluster has no backups yet, certificates to check, versions to pick.

import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { healthyClusterState, makeTestPki, startFakeKubeApiserver } from '../fakes/kube-apiserver.js';
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

test('certs check on a cloud with an API certificate about to expire names the command that renews it there (docs/pki.md)', async () => {
  // The fake API server's certificate (openssl, 2 days) stands for the cluster's API endpoint.
  const cluster = JSON.parse((await k8sup(['get', 'cluster', AWS, '-o', 'json'], { env })).stdout);
  const info = join(home, 'state', AWS, 'cluster-info.json');
  assert.ok(!existsSync(info), 'the cluster was never applied');
  const pki = makeTestPki();
  const api = await startFakeKubeApiserver({ pki, state: healthyClusterState(cluster) });
  try {
    // What apply records (src/cluster/cluster-info.ts), as if the cluster had been applied.
    writeFileSync(info, JSON.stringify({ apiEndpoint: api.url, appliedRevision: 1 }));
    const r = await k8sup(['certs', 'check', AWS, '-o', 'json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const serving = JSON.parse(r.stdout).certificates.find((c: { name: string }) => c.name === 'apiserver (serving)');
    assert.equal(serving?.expiresSoon, true, r.stdout);
    const command = `k8sup rolling-update cluster ${AWS} --instance-group control-plane --force --yes`;
    assert.ok(r.stderr.includes(command), r.stderr);
    assert.ok(!r.stderr.includes('certs renew'), r.stderr);
    // …and that is what `certs renew` itself points at there.
    const renew = await k8sup(['certs', 'renew', AWS, '--yes'], { env });
    assert.equal(renew.code, 2, renew.stderr);
    assert.ok(renew.stderr.includes(command), renew.stderr);
  } finally {
    rmSync(info, { force: true });
    await api.stop();
    pki.cleanup();
  }
});
