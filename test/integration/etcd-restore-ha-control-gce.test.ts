// `restore cluster --yes` on an HA control plane (controlPlane.count 3) on GCE: the GCS side of
// test/integration/etcd-restore-ha-control.test.ts. The built CLI drives the control folder in the GCS fake
// (test/fakes/gcs.ts: the JSON API with generation preconditions); three control planes — three real etcd members
// (test/helpers/etcd-ha-nodes.ts) — run the rendered GCE k8sup-etcd-control on a timer, each with the OAuth token and
// instance name of its own metadata-server fake, and carry out restore-seed and rejoin with the rendered
// k8sup-etcd-restore. The fake loses the reply of the first claim after it applied the write.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { renderEtcdBackupScript, renderEtcdControlScript, renderEtcdRestoreScript } from '../../src/bootstrap/index.js';
import { FakeCompute } from '../fakes/gce-compute.js';
import { startFakeGceMetadata, type FakeGceMetadata } from '../fakes/gce-metadata.js';
import { FakeGcs } from '../fakes/gcs.js';
import { storeAppliedBundle } from '../helpers/applied-bundle.js';
import { testInput } from '../helpers/bootstrap-fixtures.js';
import { k8sup, startK8sup, tempHome } from '../helpers/cli.js';
import { etcdctl, waitHealthy } from '../helpers/etcd.js';
import { commandWatcher } from '../helpers/etcd-control-responder.js';
import { clusterId, installScripts, localKeys, memberList, startHaEtcd, stopHaEtcd, timers, type HaNode, type Timers } from '../helpers/etcd-ha-nodes.js';

const BUCKET = 'k8sup-state';
const NAME = 'demo.k8s.local';
const PROJECT = 'k8sup-test';
const PREFIX = `${NAME}/backups/etcd/`;
const CONTROL = `${PREFIX}control/`;
const NAMES = ['cp-a', 'cp-b', 'cp-c'];
const INSTANCES = NAMES.map((n) => `demo-${n}-us-central1-b`);
const dir = mkdtempSync(join(tmpdir(), 'k8sup-etcd-ha-control-gce-'));
const gcs = new FakeGcs();
const compute = new FakeCompute({ project: PROJECT });
let metadata: FakeGceMetadata[] = [];
let nodes: HaNode[] = [];
let env: Record<string, string>;
let running: Timers | undefined;
const ORIGINAL = { '/registry/deployments/default/web': 'replicas=3', '/registry/secrets/default/db': 's3cr3t' };

const input = () => {
  const i = testInput('gce', 'control-plane-init');
  i.cluster.spec.controlPlane.count = 3;
  i.cluster.spec.etcd = { backups: { schedule: 'off', retain: 5 } };
  return i;
};

function localized(script: string, i: number): string {
  const out = script
    .replace(/^METADATA=http:\/\/metadata\.google\.internal\/computeMetadata\/v1$/m, `METADATA=${metadata[i].url}`)
    .replaceAll('https://storage.googleapis.com', gcs.url);
  assert.doesNotMatch(out, /metadata\.google\.internal|googleapis\.com/);
  return out;
}

const text = (key: string) => gcs.objects(BUCKET).get(key)?.data.toString('utf8');
const commands = commandWatcher(async () => text(`${CONTROL}command.json`));

before(async () => {
  await gcs.start();
  await compute.start();
  gcs.createBucket(BUCKET, { uniformBucketLevelAccess: true });
  metadata = await Promise.all(INSTANCES.map((instanceName) => startFakeGceMetadata({ instanceName, accessToken: 'ya29.FAKEtokenFROMmetadata' })));
  env = { HOME: tempHome(), K8SUP_GCE_ENDPOINT: compute.endpoint, STORAGE_EMULATOR_HOST: gcs.url, K8SUP_STATE_STORE: `gs://${BUCKET}` };
  const created = await k8sup(['create', 'cluster', NAME, '--zones', 'us-central1-b', '--project', PROJECT, '--control-plane-count', '3'], { env, timeoutMs: 120_000 });
  assert.equal(created.code, 0, created.stderr);
  await storeAppliedBundle(env.K8SUP_STATE_STORE, env, NAME, input());
  nodes = await startHaEtcd(dir, NAMES);
  nodes.forEach((n, i) => installScripts(n, { backup: localized(renderEtcdBackupScript(input()), i), restore: localized(renderEtcdRestoreScript(input()), i), control: localized(renderEtcdControlScript(input()), i) }));
  for (const [k, v] of Object.entries(ORIGINAL)) assert.equal(etcdctl(nodes[0].root, nodes[0].member, ['put', k, v]).status, 0);
});

after(async () => {
  await running?.stop();
  await stopHaEtcd(nodes);
  for (const m of metadata) await m.stop();
  await compute.stop();
  await gcs.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('backup and restore cluster --yes on three GCE control planes: one cluster again with the backup\'s keys; a lost claim reply', { timeout: 600_000 }, async () => {
  running = timers(nodes, { pauseMs: 1000, fastSeconds: 15 });
  const backedUp = await k8sup(['backup', 'cluster', NAME, '-o', 'json', '--wait', '3m'], { env, timeoutMs: 200_000 });
  assert.equal(backedUp.code, 0, backedUp.stderr);
  const { backup } = JSON.parse(backedUp.stdout);
  assert.match(backup.id, /^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
  commands.seen(backup.command);
  assert.equal(etcdctl(nodes[1].root, nodes[1].member, ['put', '/registry/pods/default/later', 'x']).status, 0);

  const lost = gcs.droppedReplies;
  gcs.dropReplyOnce((method, path, query) => method === 'POST' && path.startsWith('/upload/') && (query.get('name') ?? '').startsWith(CONTROL) && (query.get('name') ?? '').endsWith('/claim.json'));
  await running.stop();
  const cli = startK8sup(['restore', 'cluster', NAME, '--backup', backup.id, '--yes', '--wait', '5m', '--progress', 'ndjson'], { env, timeoutMs: 400_000 });
  const seedCommand = await commands.next();
  assert.equal(seedCommand.action, 'restore-seed');
  // Timers as far apart as a real one's minute and more: every step after the first is taken within the pollers' own
  // fast loop (every 3 s while an HA restore step is open), not on a later timer run.
  const started = Date.now();
  running = timers(nodes, { pauseMs: 150_000, fastSeconds: 120 });
  const r = await cli.done;
  const tookMs = Date.now() - started;
  assert.equal(r.code, 0, r.stderr + [...running.logs.values()].join('\n---\n'));
  assert.ok(tookMs < 150_000, `the restore took ${tookMs} ms: the steps waited for timer runs`);
  assert.deepEqual([...running.runs.values()], [1, 1, 1], 'a step waited for a second timer run');
  await running.stop({ kill: true });
  running = undefined;
  console.log(`# GCE HA restore: ${tookMs} ms from the first timer run to the CLI's exit`);
  assert.equal(gcs.droppedReplies - lost, 1, 'the claim reply was lost');
  assert.equal((r.stderr.match(/etcd\.restore\.rejoined/g) ?? []).length, 2);

  const record = JSON.parse(text(`${CONTROL}restore.json`)!);
  assert.equal(record.done, true);
  assert.deepEqual([record.seed.node, ...record.joined].sort(), INSTANCES);
  for (const n of nodes) {
    await waitHealthy(n.root, n.member, 60_000);
    assert.deepEqual(localKeys(n), ORIGINAL, `${n.name}'s own data`);
    assert.deepEqual(memberList(n), nodes.map((m) => `started ${m.name} ${m.member.peerUrl}`).sort());
    assert.equal(readdirSync(n.member.dataDir).filter((f) => f.startsWith('k8sup-before-restore-')).length, 1, n.name);
  }
  assert.equal(new Set(nodes.map(clusterId)).size, 1, 'one cluster, not three');
});
