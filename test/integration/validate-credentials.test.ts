// `validate cluster` on the built CLI, with the admin credential k8sup makes from the state store, against a fake
// kube-apiserver at the cluster's recorded endpoint that does not accept it: a rejected client certificate and an
// untrusted server certificate are operation errors (exit 1) reported at once with a credentials hint — never
// "cluster not valid" (exit 4), and never retried under --wait.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Cluster } from '../../src/api/types.js';
import { CLUSTER_INFO } from '../../src/lifecycle/cluster-info.js';
import { issueAdminCert, issueServerCert, loadClusterPki } from '../../src/pki/index.js';
import { ClusterStore } from '../../src/state/cluster-store.js';
import { openBlobStore } from '../../src/state/open.js';
import { healthyClusterState, makeTestPki, startFakeKubeApiserver, type FakeKubeApiserver, type TestPki } from '../fakes/kube-apiserver.js';
import { startClusterApi } from '../helpers/cluster-api.js';
import { k8sup, tempHome } from '../helpers/cli.js';

const NAME = 'creds.k8s.local';
let home: string;
let env: Record<string, string>;
let cluster: Cluster;
let other: TestPki;
const servers: FakeKubeApiserver[] = [];

before(async () => {
  home = tempHome();
  env = { HOME: home };
  writeFileSync(join(home, 'hosts.yaml'), 'hosts:\n- {address: 10.0.0.10, user: root, role: control-plane}\n- {address: 10.0.0.20, user: root, role: worker}\n');
  const created = await k8sup(['create', 'cluster', NAME, '--hosts', join(home, 'hosts.yaml')], { env });
  assert.equal(created.code, 0, created.stderr);
  cluster = JSON.parse((await k8sup(['get', 'cluster', NAME, '-o', 'json'], { env })).stdout);
  other = makeTestPki();
});
after(async () => {
  for (const s of servers) await s.stop();
  other?.cleanup();
});

const store = () => openBlobStore(undefined, env, home);

/** Makes `url` the cluster's recorded API endpoint, as an apply would. */
async function recordEndpoint(url: string): Promise<void> {
  const cs = new ClusterStore(await store(), NAME);
  const blob = await cs.getObject(CLUSTER_INFO);
  const info = blob ? JSON.parse(blob.data.toString('utf8')) : {};
  await cs.putObject(CLUSTER_INFO, JSON.stringify({ ...info, apiEndpoint: url }));
}

async function validate(...extra: string[]) {
  const started = Date.now();
  const r = await k8sup(['validate', 'cluster', NAME, ...extra], { env });
  return { ...r, ms: Date.now() - started };
}

test('the control case: an API server of this cluster CA accepts the credential (exit 0)', async () => {
  await recordEndpoint('https://127.0.0.1:9'); // a cluster-info to update, as after an apply
  const api = await startClusterApi(await store(), NAME, healthyClusterState(cluster));
  servers.push(api);
  const r = await validate();
  assert.equal(r.code, 0, r.stderr);
});

test('an untrusted server certificate (another CA): exit 1 at once, also with --wait', async () => {
  const api = await startFakeKubeApiserver({ pki: other, state: healthyClusterState(cluster) });
  servers.push(api);
  await recordEndpoint(api.url);
  for (const wait of [[], ['--wait', '60s', '--interval', '1s']]) {
    const r = await validate(...wait);
    assert.equal(r.code, 1, `${wait.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^error: the API server at https:\/\/127\.0\.0\.1:\d+ presented a certificate the kubeconfig does not trust/m);
    assert.match(r.stderr, /^hint: .*export kubeconfig/m);
    assert.ok(r.ms < 15_000, `took ${r.ms} ms: retried instead of failing at once`);
  }
});

test('a rejected client certificate (the server trusts another client CA): exit 1 at once, also with --wait', async () => {
  const pki = (await loadClusterPki(await store(), NAME))!;
  const server = issueServerCert(pki.ca, { commonName: 'kube-apiserver', ipAddresses: ['127.0.0.1'], ttlMs: 3_600_000 });
  const admin = issueAdminCert(pki.ca, { ttlMs: 3_600_000 });
  // Its server certificate is the cluster's, but it verifies client certificates against another CA.
  const api = await startFakeKubeApiserver({
    pki: { ...other, serverCert: server.certPem, serverKey: server.keyPem, adminCert: admin.certPem, adminKey: admin.keyPem, cleanup() {} },
    state: healthyClusterState(cluster),
  });
  servers.push(api);
  await recordEndpoint(api.url);
  for (const wait of [[], ['--wait', '60s', '--interval', '1s']]) {
    const r = await validate(...wait, '--progress', 'ndjson');
    assert.equal(r.code, 1, `${wait.join(' ')}: ${r.stderr}`);
    const result = JSON.parse(r.stderr.trim().split('\n').at(-1)!);
    assert.equal(result.code, 'result');
    assert.equal(result.errorCode, 'Unauthorized');
    assert.match(result.error, /rejected the credentials/);
    assert.match(result.hint, /export kubeconfig/);
    assert.ok(r.ms < 15_000, `took ${r.ms} ms: retried instead of failing at once`);
  }
});
