// rolling-update end to end through the real CLI: AWS on moto with the state in S3, and the Kubernetes API played
// by the fake kube-apiserver. The fake serves TLS with a certificate issued by the cluster's own CA (read from the
// state store), and the cluster's recorded endpoint is pointed at it, so the CLI uses the same admin credential path
// as against a real cluster. The kubelet player (test/helpers/kubelet-player.ts) plays the kubelets: every running
// instance gets a Ready node named after its private DNS name (what kubeadm on AWS registers), as a real instance
// would after booting.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import type { Cluster } from '../../src/api/types.js';
import { openBlobStore } from '../../src/state/open.js';
import { healthyClusterState, type FakeClusterState, type FakeKubeApiserver } from '../fakes/kube-apiserver.js';
import { k8sup, tempHome } from '../helpers/cli.js';
import { motoLaunchTemplateVersionFix, startMoto, type Moto } from '../helpers/moto.js';
import { startSerialWritesProxy, type SerialWritesProxy } from '../helpers/serial-writes-proxy.js';
import { startClusterApi } from '../helpers/cluster-api.js';
import { awsBooted, awsInstances, type AwsInstance } from '../helpers/aws-cluster-world.js';
import { adoptInstances, playKubelets, type KubeletPlayer } from '../helpers/kubelet-player.js';
import { startControlResponder, type ControlResponder } from '../helpers/etcd-control-responder.js';
import { listBackups } from '../../src/lifecycle/etcd-backup.js';

const NAME = 'roll.k8s.local';
const STATE = 's3://k8sup-state/clusters';

let moto: Moto;
let proxy: SerialWritesProxy;
let env: Record<string, string>;
let home: string;
let fake: FakeKubeApiserver | undefined;
let fakeHa: FakeKubeApiserver | undefined;
const kubelets: KubeletPlayer[] = [];

before(async () => {
  process.env.PYTHONPATH = [motoLaunchTemplateVersionFix(), process.env.PYTHONPATH].filter(Boolean).join(':');
  moto = await startMoto();
  proxy = await startSerialWritesProxy(moto.endpoint);
  home = tempHome();
  env = { HOME: home, ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, K8SUP_STATE_STORE: STATE };
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: 'k8sup-state', CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
});
after(async () => {
  for (const k of kubelets) k.stop();
  await fake?.stop();
  await fakeHa?.stop();
  await proxy?.stop();
  await moto?.stop();
});

const run = (...args: string[]) => k8sup(args, { env, timeoutMs: 180_000 });

type Instance = AwsInstance;
/** Every running instance of the cluster, straight from EC2 (not through the provider under test). */
const instances = (cluster = NAME) => awsInstances(moto.endpoint, cluster);

async function latestNodeTemplateVersion(): Promise<string> {
  const { EC2Client, DescribeLaunchTemplatesCommand } = await import('@aws-sdk/client-ec2');
  const ec2 = new EC2Client({ endpoint: moto.endpoint, region: 'us-east-2', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const res = await ec2.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: 'tag:k8sup.io/cluster', Values: [NAME] }] }));
  const nodes = (res.LaunchTemplates ?? []).find((t) => t.Tags?.some((x) => x.Key === 'k8sup.io/id' && x.Value?.includes('nodes')));
  assert.ok(nodes, 'the node launch template exists');
  return String(nodes.LatestVersionNumber);
}

/** The kubelets (test/helpers/kubelet-player.ts): the fake's nodes become the instances, a booted one registers a Ready node. */
function kubeletsOf(state: FakeClusterState, live: Instance[], cluster = NAME): KubeletPlayer {
  const templates = adoptInstances(state, [...live].sort((a, b) => a.id.localeCompare(b.id)).map(awsBooted));
  return playKubelets({ state, templates, booted: live.map((i) => i.id), instances: async () => (await instances(cluster)).map(awsBooted) });
}

test('rolling-update lists out-of-date node instances, replaces them one by one with --yes, then has nothing to do', { timeout: 300_000 }, async () => {
  const created = await run('create', 'cluster', NAME, '--zones', 'us-east-2a', '--node-count', '2', '--yes');
  assert.equal(created.code, 0, created.stderr);

  // Nothing is out of date right after create.
  const fresh = await run('rolling-update', 'cluster', NAME, '-o', 'json');
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.equal(JSON.parse(fresh.stdout).toReplace, 0);

  // A machine type change: update --yes writes a new launch template version; running instances keep the old one.
  const doc = parse((await run('get', 'cluster', NAME, '-o', 'yaml')).stdout);
  doc.spec.nodeGroups[0].machineType = 't3.large';
  const file = join(home, 'roll.yaml');
  writeFileSync(file, JSON.stringify(doc));
  assert.equal((await run('replace', '-f', file)).code, 0);
  const updated = await run('update', 'cluster', NAME, '--yes');
  assert.equal(updated.code, 0, updated.stderr);
  const cluster = JSON.parse((await run('get', 'cluster', NAME, '-o', 'json')).stdout) as Cluster;
  const before = await instances();
  const oldNodes = before.filter((i) => i.group === 'nodes');
  const controlPlane = before.filter((i) => i.group === 'control-plane');
  assert.equal(oldNodes.length, 2);
  assert.equal(controlPlane.length, 1);
  const newVersion = await latestNodeTemplateVersion();
  assert.ok(oldNodes.every((i) => i.ltVersion !== newVersion), 'the running nodes still run the previous version');

  // The fake API server, trusted through the cluster's CA, as the cluster's recorded endpoint.
  const store = await openBlobStore(STATE, env, home);
  const state = healthyClusterState(cluster);
  fake = await startClusterApi(store, NAME, state);
  kubelets.push(kubeletsOf(state, before));

  // Without --yes: the table names both node instances as NEEDS UPDATE, the control plane as up to date; nothing changes.
  const table = await run('rolling-update', 'cluster', NAME);
  assert.equal(table.code, 0, table.stderr);
  for (const i of oldNodes) assert.match(table.stdout, new RegExp(`${i.id}\\s.*NEEDS UPDATE`));
  assert.match(table.stdout, new RegExp(`${controlPlane[0].id}\\s.*up to date`));
  assert.match(table.stderr, /2 instance\(s\) to replace.*--yes/);
  const plan = JSON.parse((await run('rolling-update', 'cluster', NAME, '-o', 'json')).stdout);
  assert.equal(plan.toReplace, 2);
  assert.deepEqual(plan.groups.map((g: any) => g.group), ['control-plane', 'nodes'], 'control planes are listed (and rolled) first');
  assert.deepEqual((await instances()).map((i) => i.id).sort(), before.map((i) => i.id).sort(), 'nothing was replaced');
  assert.ok(!fake.requests.some((r) => r.method !== 'GET'), 'nothing was written to the API either');

  assert.equal((await run('rolling-update', 'cluster', NAME, '--instance-group', 'nope')).code, 2);

  const rolled = await run('rolling-update', 'cluster', NAME, '--yes');
  assert.equal(rolled.code, 0, `${rolled.stdout}\n${rolled.stderr}`);
  assert.match(rolled.stderr, /Replaced 2 instance\(s\)/);
  const afterRoll = await instances();
  const newNodes = afterRoll.filter((i) => i.group === 'nodes');
  assert.equal(newNodes.length, 2, 'the group is back to its size');
  assert.ok(newNodes.every((i) => !oldNodes.some((o) => o.id === i.id)), 'every node instance was replaced');
  assert.ok(newNodes.every((i) => i.ltVersion === newVersion), `new instances run launch template version ${newVersion}: ${JSON.stringify(newNodes)}`);
  assert.deepEqual(afterRoll.filter((i) => i.group === 'control-plane').map((i) => i.id), controlPlane.map((i) => i.id), 'the up-to-date control plane was left alone');

  // Each old node was cordoned, its pods evicted, and its Node object removed; the control plane was not touched.
  const writes = fake.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.url.split('?')[0]}`);
  for (const o of oldNodes) {
    assert.ok(writes.includes(`PATCH /api/v1/nodes/${o.dns}`), `cordoned ${o.dns}: ${writes.join(', ')}`);
    assert.ok(writes.includes(`DELETE /api/v1/nodes/${o.dns}`), `deleted node ${o.dns}`);
    assert.ok(writes.indexOf(`PATCH /api/v1/nodes/${o.dns}`) < writes.indexOf(`DELETE /api/v1/nodes/${o.dns}`));
  }
  assert.ok(writes.some((w) => /^POST \/api\/v1\/namespaces\/kube-system\/pods\/coredns-.*\/eviction$/.test(w)), 'CoreDNS pods on the nodes were evicted');
  assert.ok(!writes.some((w) => w.includes(controlPlane[0].dns)));
  assert.ok(!writes.some((w) => /kube-proxy|calico/.test(w)), 'DaemonSet pods are not evicted');
  // The first node was replaced and validated before the second was drained.
  const firstDelete = writes.findIndex((w) => w.startsWith('DELETE'));
  const secondCordon = writes.findIndex((w, i) => i > firstDelete && w.startsWith('PATCH'));
  assert.ok(firstDelete >= 0 && secondCordon > firstDelete, `one instance at a time: ${writes.join(', ')}`);

  const again = await run('rolling-update', 'cluster', NAME, '-o', 'json');
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).toReplace, 0, 'a second rolling-update has nothing to do');
  assert.match(again.stderr, /No instance of roll\.k8s\.local needs replacing/);

  // A single control plane cannot be rolled: the listing says --yes would refuse, and --yes is exit 2 before any change.
  const writesBefore = fake.requests.filter((r) => r.method !== 'GET').length;
  const listing = await run('rolling-update', 'cluster', NAME, '--instance-group', 'control-plane', '--force');
  assert.equal(listing.code, 0, listing.stderr);
  assert.match(listing.stderr, /--yes would refuse: .*1 control plane/);
  const refused = await run('rolling-update', 'cluster', NAME, '--instance-group', 'control-plane', '--force', '--yes');
  assert.equal(refused.code, 2, `${refused.stdout}\n${refused.stderr}`);
  assert.match(refused.stderr, new RegExp(`${controlPlane[0].id}.*1 control plane.*at least 3`));
  assert.match(refused.stderr, new RegExp(`k8sup backup cluster ${NAME.replace(/\./g, '\\.')};.*docs/backups\\.md`));
  assert.doesNotMatch(refused.stderr, /etcdctl/);
  assert.deepEqual((await instances()).filter((i) => i.group === 'control-plane').map((i) => i.id), controlPlane.map((i) => i.id), 'the control plane is still there');
  assert.equal(fake.requests.filter((r) => r.method !== 'GET').length, writesBefore, 'nothing was drained or deleted');
});

test('bare metal: rolling-update is a clear input error', async () => {
  const dir = tempHome();
  writeFileSync(join(dir, 'hosts.yaml'), 'hosts:\n- {address: 10.0.0.10, user: root, role: control-plane}\n- {address: 10.0.0.20, user: root, role: worker}\n');
  const local = { HOME: dir };
  const state = ['--state', `file://${join(dir, 'state')}`];
  const created = await k8sup(['create', 'cluster', 'metal.k8s.local', '--cloud', 'metal', '--zones', 'rack-a', '--hosts', join(dir, 'hosts.yaml'), ...state], { env: local });
  assert.equal(created.code, 0, created.stderr);
  const r = await k8sup(['rolling-update', 'cluster', 'metal.k8s.local', '--yes', ...state], { env: local });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /bare metal.*not replaceable/);
  assert.match(r.stderr, /update cluster metal\.k8s\.local --yes/);
});

test('HA (3 control planes over 3 zones): --instance-group control-plane replaces them one at a time, each node deleted first', { timeout: 300_000 }, async () => {
  const HA = 'ha.k8s.local';
  const zones = 'us-east-2a,us-east-2b,us-east-2c';
  const created = await run('create', 'cluster', HA, '--zones', zones, '--control-plane-zones', zones, '--control-plane-count', '3', '--node-count', '1', '--yes');
  assert.equal(created.code, 0, created.stderr);
  const doc = parse((await run('get', 'cluster', HA, '-o', 'yaml')).stdout);
  doc.spec.controlPlane.machineType = 't3.large';
  const file = join(home, 'ha.yaml');
  writeFileSync(file, JSON.stringify(doc));
  assert.equal((await run('replace', '-f', file)).code, 0);
  assert.equal((await run('update', 'cluster', HA, '--yes')).code, 0);
  const cluster = JSON.parse((await run('get', 'cluster', HA, '-o', 'json')).stdout) as Cluster;
  const before = await instances(HA);
  const oldCps = before.filter((i) => i.group === 'control-plane');
  assert.equal(oldCps.length, 3);

  const store = await openBlobStore(STATE, env, home);
  const state = healthyClusterState(cluster);
  fakeHa = await startClusterApi(store, HA, state);
  // A booted control plane registers its node and runs kubeadm's static pods (validation checks them).
  kubelets.push(kubeletsOf(state, before, HA));
  let responder: ControlResponder | undefined;
  try {
    const listed = JSON.parse((await run('rolling-update', 'cluster', HA, '-o', 'json')).stdout);
    assert.equal(listed.toReplace, 3, 'the three control planes are out of date');
    // The spec has backups (create's default) and no control plane answers the snapshot command within the bound:
    // nothing is touched.
    const noBackup = await k8sup(['rolling-update', 'cluster', HA, '--instance-group', 'control-plane', '--yes'], { env: { ...env, K8SUP_ETCD_SNAPSHOT_WAIT: '3s' }, timeoutMs: 180_000 });
    assert.equal(noBackup.code, 1, `${noBackup.stdout}\n${noBackup.stderr}`);
    assert.match(noBackup.stderr, /no control plane of ha\.k8s\.local answered etcd backup command \S+ within 3s/);
    assert.match(noBackup.stderr, /k8sup-etcd-control\.timer/);
    assert.deepEqual((await instances(HA)).filter((i) => i.group === 'control-plane').map((i) => i.id).sort(), oldCps.map((i) => i.id).sort(), 'no control plane was replaced');
    assert.ok(!fakeHa.requests.some((r) => /^(PATCH|DELETE|POST)$/.test(r.method) && /\/nodes\/|\/eviction$/.test(r.url)), 'no node was cordoned, drained or deleted');

    // A control plane's poller answers the next command (docs/backups.md, "The control folder") with a fresh snapshot.
    responder = startControlResponder(store, HA, { node: oldCps[0].dns });
    const rolled = await run('rolling-update', 'cluster', HA, '--instance-group', 'control-plane', '--yes', '--progress', 'ndjson');
    assert.equal(rolled.code, 0, `${rolled.stdout}\n${rolled.stderr}`);
    assert.match(rolled.stderr, /Replaced 3 instance\(s\)/);
    // The backup is named as the snapshot before the first control plane is touched.
    // NDJSON: an event's fields sit beside its envelope (docs/ci.md).
    const codes = rolled.stderr.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { code: string; backup?: string });
    const snapshotAt = codes.findIndex((e) => e.code === 'rolling-update.etcd-snapshot');
    assert.ok(snapshotAt >= 0, 'the etcd snapshot step ran');
    assert.equal(responder.answered.length, 1);
    const answered = (await listBackups(store, HA)).find((b) => b.command === responder!.answered[0]);
    assert.ok(answered, 'the snapshot answers the command');
    assert.equal(codes[snapshotAt].backup, answered.id);
    const firstTouch = codes.findIndex((e) => e.code === 'rolling-update.instance.start' || e.code === 'rolling-update.cordon');
    assert.ok(firstTouch > snapshotAt, `the snapshot (event ${snapshotAt}) comes before the first control plane is touched (event ${firstTouch})`);
    const after_ = await instances(HA);
    const newCps = after_.filter((i) => i.group === 'control-plane');
    assert.equal(newCps.length, 3);
    assert.ok(newCps.every((i) => !oldCps.some((o) => o.id === i.id)), 'every control plane was replaced');
    assert.deepEqual(after_.filter((i) => i.group === 'nodes').map((i) => i.id), before.filter((i) => i.group === 'nodes').map((i) => i.id), 'nodes were left alone');
    // One at a time: each old control plane was cordoned and its Node deleted (what tells k8sup-etcd-leave to leave
    // etcd at shutdown) before the next one was touched.
    const writes = fakeHa.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.url.split('?')[0]}`);
    const order = writes.filter((w) => /^(PATCH|DELETE) \/api\/v1\/nodes\//.test(w)).map((w) => w.replace('/api/v1/nodes/', ''));
    const byDns = oldCps.map((i) => i.dns);
    assert.equal(order.length, 6, order.join(', '));
    for (let k = 0; k < 3; k++) {
      assert.equal(order[2 * k].split(' ')[1], order[2 * k + 1].split(' ')[1], `cordon then delete of the same node: ${order.join(', ')}`);
      assert.deepEqual([order[2 * k].split(' ')[0], order[2 * k + 1].split(' ')[0]], ['PATCH', 'DELETE']);
    }
    assert.deepEqual(new Set(order.map((o) => o.split(' ')[1])), new Set(byDns));
    const again = JSON.parse((await run('rolling-update', 'cluster', HA, '-o', 'json')).stdout);
    assert.equal(again.toReplace, 0);
  } finally {
    kubelets.pop()?.stop();
    await responder?.stop();
  }
});
