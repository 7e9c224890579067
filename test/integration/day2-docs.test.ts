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

test('certs check on a cloud with an API certificate about to expire names a way to renew it that works there (docs/pki.md)', async () => {
  // The fake API server's certificate (openssl, 2 days) stands for each cluster's API endpoint.
  const cluster = JSON.parse((await k8sup(['get', 'cluster', AWS, '-o', 'json'], { env })).stdout);
  const pki = makeTestPki();
  const api = await startFakeKubeApiserver({ pki, state: healthyClusterState(cluster) });
  const check = async (name: string, ...create: string[]) => {
    if (name !== AWS) assert.equal((await k8sup(['create', 'cluster', name, ...create], { env })).code, 0);
    const info = join(home, 'state', name, 'cluster-info.json');
    assert.ok(!existsSync(info), 'the cluster was never applied');
    // What apply records (src/lifecycle/cluster-info.ts), as if the cluster had been applied.
    writeFileSync(info, JSON.stringify({ apiEndpoint: api.url, appliedRevision: 1 }));
    const r = await k8sup(['certs', 'check', name, '-o', 'json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const serving = JSON.parse(r.stdout).certificates.find((c: { name: string }) => c.name === 'apiserver (serving)');
    assert.equal(serving?.expiresSoon, true, r.stdout);
    assert.ok(!r.stderr.includes('k8sup certs renew'), r.stderr);
    const renew = await k8sup(['certs', 'renew', name, '--yes'], { env });
    assert.equal(renew.code, 2, renew.stderr);
    return { check: r.stderr, renew: renew.stderr };
  };
  try {
    // Three control planes: rolling-update replaces them, and they join with new certificates.
    const ha = 'ha.day2.k8s.local';
    const haZones = 'us-east-2a,us-east-2b,us-east-2c';
    const rolled = await check(ha, '--zones', haZones, '--control-plane-zones', haZones, '--control-plane-count', '3');
    const roll = `k8sup rolling-update cluster ${ha} --instance-group control-plane --force --yes`;
    assert.ok(rolled.check.includes(roll) && rolled.renew.includes(roll), rolled.check + rolled.renew);
    // One control plane (the default): rolling-update refuses to replace it; an upgrade launches one beside it.
    const older = 'older.day2.k8s.local';
    const upgraded = await check(older, '--zones', 'us-east-2a', '--kubernetes-version', '1.35.0');
    const upgrade = `k8sup upgrade cluster ${older} --kubernetes-version 1.35.1 --yes`;
    assert.ok(upgraded.check.includes(upgrade) && upgraded.renew.includes(upgrade), upgraded.check + upgraded.renew);
    assert.ok(!upgraded.check.includes('rolling-update cluster'), upgraded.check);
    assert.equal((await k8sup(['rolling-update', 'cluster', older, '--instance-group', 'control-plane', '--force', '--yes'], { env })).code !== 0, true);
    // One control plane on the newest version: only by hand, and by a way that reaches the instance on each cloud: no
    // one logs in to a cloud instance by default (no SSH key, port 22 closed), so through the API, not "on the control
    // plane".
    const gce = 'gce.day2.k8s.local';
    for (const newest of [await check(AWS), await check(gce, '--cloud', 'gce', '--zones', 'us-central1-a', '--project', 'day2-project')]) {
      for (const said of [newest.check, newest.renew]) {
        assert.match(said, /renew by hand through the API, no login needed: `kubectl debug node\/<control plane> --profile=sysadmin --image=busybox -- chroot \/host kubeadm certs renew all`/);
        assert.ok(!/sudo|ssh/i.test(said), said);
      }
      assert.ok(!newest.check.includes('rolling-update cluster') && !newest.renew.includes('rolling-update cluster'), newest.check + newest.renew);
    }
  } finally {
    await api.stop();
    pki.cleanup();
  }
});
