// upgrade cluster on AWS through the real CLI: a single-control-plane cluster on moto (state in S3, every call through
// the fault proxy), the Kubernetes API played by the fake kube-apiserver trusted through the cluster's CA. A poller
// plays the kubelets: a running instance registers a Ready node named after its private DNS name whose kubelet
// version is the one its bootstrap bundle installs — read the way the instance reads it: the launch template's user
// data (the loader) → the bundle's sha256 → the bundle in the state store → its K8S_VERSION. A control plane also
// gets its static pods, as its kubelet would start them.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { Cluster } from '../../src/api/types.js';
import { openBlobStore } from '../../src/state/open.js';
import type { BlobStore } from '../../src/state/blob.js';
import { healthyClusterState, type FakeClusterState, type FakeKubeApiserver, type KubeObject } from '../fakes/kube-apiserver.js';
import { k8sup, tempHome } from '../helpers/cli.js';
import { startClusterApi } from '../helpers/cluster-api.js';
import { runKilledOnCall } from '../helpers/kill-on-call.js';
import { startControlResponder, type ControlResponder } from '../helpers/etcd-control-responder.js';
import { listBackups } from '../../src/cluster/etcd-backup.js';
import { motoLaunchTemplateVersionFix, startMoto, type Moto } from '../helpers/moto.js';
import { startThrottleProxy, type ThrottleProxy } from '../helpers/throttle-proxy.js';

const NAME = 'up.k8s.local';
const STATE = 's3://k8sup-state/clusters';
const FROM = '1.34.4';
const TO = '1.35.1';

let moto: Moto;
let proxy: ThrottleProxy;
let onCall: ((key: string) => void) | undefined;
let env: Record<string, string>;
let home: string;
let store: BlobStore;
let fake: FakeKubeApiserver | undefined;
let poller: NodeJS.Timeout | undefined;

before(async () => {
  process.env.PYTHONPATH = [motoLaunchTemplateVersionFix(), process.env.PYTHONPATH].filter(Boolean).join(':');
  moto = await startMoto();
  // Throttles on the way (the CLI retries them); onCall lets a run be killed at a chosen call.
  proxy = await startThrottleProxy(moto.endpoint, { throttleRate: 0.03, resetRate: 0, onCall: (key) => onCall?.(key) });
  home = tempHome();
  env = { HOME: home, ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, K8SUP_STATE_STORE: STATE };
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: 'k8sup-state', CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
  store = await openBlobStore(STATE, env, home);
});
let responder: ControlResponder | undefined;
after(async () => {
  await responder?.stop();
  clearInterval(poller);
  await fake?.stop();
  await proxy?.stop();
  await moto?.stop();
});

const run = (...args: string[]) => k8sup(args, { env, timeoutMs: 300_000 });
const awsCredentials = { accessKeyId: 'x', secretAccessKey: 'x' };

interface Instance {
  id: string;
  group: string;
  dns: string;
  ltId: string;
  ltVersion: string;
}

async function ec2() {
  const { EC2Client } = await import('@aws-sdk/client-ec2');
  return new EC2Client({ endpoint: moto.endpoint, region: 'us-east-2', credentials: awsCredentials });
}

/** Every running instance of the cluster, straight from EC2. */
async function instances(): Promise<Instance[]> {
  const { DescribeInstancesCommand } = await import('@aws-sdk/client-ec2');
  const res = await (await ec2()).send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:k8sup.io/cluster', Values: [NAME] }, { Name: 'instance-state-name', Values: ['running', 'pending'] }] }));
  const tag = (i: any, k: string) => i.Tags?.find((t: any) => t.Key === k)?.Value ?? '';
  return (res.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => ({
    id: i.InstanceId!,
    group: tag(i, 'k8sup.io/node-group'),
    dns: i.PrivateDnsName!,
    ltId: tag(i, 'aws:ec2launchtemplate:id'),
    ltVersion: tag(i, 'aws:ec2launchtemplate:version'),
  }));
}

/** The bootstrap bundle a launch template version's loader fetches, as the instance would fetch it. */
const bundles = new Map<string, string>();
async function bundleOf(ltId: string, ltVersion: string): Promise<string> {
  const key = `${ltId}:${ltVersion}`;
  if (bundles.has(key)) return bundles.get(key)!;
  const { DescribeLaunchTemplateVersionsCommand } = await import('@aws-sdk/client-ec2');
  const res = await (await ec2()).send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: ltId, Versions: [ltVersion] }));
  const raw = Buffer.from(res.LaunchTemplateVersions![0].LaunchTemplateData!.UserData!, 'base64');
  // cloud-init takes gzip-compressed user data as it is; k8sup compresses the loader.
  const loader = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
  const sha = /^BUNDLE_SHA256='?([0-9a-f]{64})'?$/m.exec(loader)?.[1];
  assert.ok(sha, `a loader with its bundle's sha256:\n${loader.slice(0, 400)}`);
  const blob = await store.get(`${NAME}/bootstrap/bundles/${sha}.sh`);
  assert.ok(blob, `bundle ${sha} is in the state store`);
  bundles.set(key, blob.data.toString('utf8'));
  return bundles.get(key)!;
}
const versionOf = (bundle: string) => /^K8S_VERSION='?([0-9.]+)'?$/m.exec(bundle)?.[1];

/** The fake's nodes renamed to the instances' private DNS names; pods follow their node. */
function adoptInstances(state: FakeClusterState, live: Instance[]): Map<string, KubeObject> {
  const templates = new Map<string, KubeObject>();
  for (const group of new Set(state.nodes.map((n) => n.metadata.labels['k8sup.io/node-group']))) {
    const names = state.nodesInGroup(group);
    const members = live.filter((i) => i.group === group).sort((a, b) => a.id.localeCompare(b.id));
    assert.equal(members.length, names.length, `group ${group}: ${members.length} instances for ${names.length} nodes`);
    names.forEach((old, i) => {
      const node = state.node(old);
      const dns = members[i].dns;
      state.modify('nodes', node, (n) => {
        n.metadata.name = dns;
        n.metadata.labels['kubernetes.io/hostname'] = dns;
      });
      for (const pod of state.pods.filter((p) => p.spec.nodeName === old)) state.modify('pods', pod, (p) => (p.spec.nodeName = dns));
    });
    templates.set(group, structuredClone(state.node(members[0].dns)));
  }
  return templates;
}

/** The kubelets: a booted instance registers a Ready node of its bundle's version (a control plane with its static pods). */
function playKubelets(state: FakeClusterState, templates: Map<string, KubeObject>): void {
  const staticPods = state.pods.filter((p) => p.metadata.labels?.tier === 'control-plane').map((p) => structuredClone(p));
  const cpNode = staticPods[0]?.spec.nodeName;
  // A kubelet registers its Node once, when it starts: a Node deleted later (before its instance is terminated) stays gone.
  const registered = new Set(state.nodes.map((n) => n.metadata.name));
  let syncing = false;
  poller = setInterval(async () => {
    if (syncing) return;
    syncing = true;
    try {
      for (const i of await instances()) {
        if (registered.has(i.dns) || !templates.has(i.group)) continue;
        registered.add(i.dns);
        const version = versionOf(await bundleOf(i.ltId, i.ltVersion));
        const node = structuredClone(templates.get(i.group)!);
        node.metadata = { name: i.dns, labels: { ...node.metadata.labels, 'kubernetes.io/hostname': i.dns }, annotations: node.metadata.annotations };
        node.status.nodeInfo.kubeletVersion = `v${version}`;
        node.status.nodeInfo.kubeProxyVersion = `v${version}`;
        state.add('nodes', node);
        if (i.group !== 'control-plane') continue;
        for (const pod of staticPods) {
          const copy = structuredClone(pod);
          copy.metadata.name = copy.metadata.name.replace(cpNode, i.dns);
          delete copy.metadata.uid;
          delete copy.metadata.resourceVersion;
          copy.spec.nodeName = i.dns;
          state.add('pods', copy);
        }
      }
    } catch {
      // moto stopping under a last in-flight poll (after()): nothing left to register.
    } finally {
      syncing = false;
    }
  }, 250);
}

/** What a preview must leave alone: every state-store object (with its content) and every instance. */
async function snapshotWorld(): Promise<string> {
  // The cluster's lock object records who held it last: taking and releasing it is not a change.
  const keys = (await store.list(`${NAME}/`)).filter((k) => !/\/lock(\.json)?$/.test(k)).sort();
  const objects = await Promise.all(keys.map(async (k) => `${k}=${(await store.get(k))?.data.toString('base64')}`));
  return JSON.stringify({ objects, instances: (await instances()).map((i) => `${i.id}:${i.ltVersion}`).sort() });
}

/** The cluster's recorded API endpoint → the fake (as startClusterApi does). */
async function pointAtFake(): Promise<void> {
  const { CLUSTER_INFO } = await import('../../src/cluster/cluster-info.js');
  const key = `${NAME}/${CLUSTER_INFO}`;
  const info = JSON.parse((await store.get(key))!.data.toString('utf8'));
  await store.put(key, JSON.stringify({ ...info, apiEndpoint: fake!.url }));
}

const ndjson = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

test('a single-control-plane AWS cluster: the plan is snapshot → control plane → nodes; --yes runs it, a kill resumes, a re-run does nothing', { timeout: 900_000 }, async () => {
  const created = await run('create', 'cluster', NAME, '--zones', 'us-east-2a', '--node-count', '1', '--kubernetes-version', FROM, '--yes');
  assert.equal(created.code, 0, created.stderr);
  const cluster = JSON.parse((await run('get', 'cluster', NAME, '-o', 'json')).stdout) as Cluster;
  assert.equal(cluster.spec.controlPlane.count, 1, 'the default: a single control plane');
  const before = await instances();
  const [oldControlPlane] = before.filter((i) => i.group === 'control-plane');
  const oldNodes = before.filter((i) => i.group === 'nodes');
  assert.ok(oldControlPlane);
  assert.equal(oldNodes.length, 1);
  assert.equal(versionOf(await bundleOf(oldControlPlane.ltId, oldControlPlane.ltVersion)), FROM);

  const state = healthyClusterState(cluster);
  const templates = adoptInstances(state, before);
  fake = await startClusterApi(store, NAME, state);
  playKubelets(state, templates);

  // Without --yes: the plan, in order, and nothing written anywhere (state store, cloud, API).
  const world = await snapshotWorld();
  const preview = await run('upgrade', 'cluster', NAME, '--kubernetes-version', TO, '-o', 'json');
  assert.equal(preview.code, 0, preview.stderr);
  const plan = JSON.parse(preview.stdout);
  assert.equal(plan.from, FROM);
  assert.equal(plan.to, TO);
  assert.deepEqual(plan.steps.map((s: any) => s.id), ['etcd-snapshot', 'apply', `control-plane/${oldControlPlane.id}`, 'validate-control-plane', 'roll/nodes', 'validate']);
  assert.ok(plan.steps.every((s: any) => s.done === false));
  assert.match(preview.stderr, /Would upgrade up\.k8s\.local from Kubernetes 1\.34\.4 to 1\.35\.1 in 6 steps; nothing was written/);
  assert.equal(await snapshotWorld(), world, 'the preview wrote something');
  assert.ok(!fake.requests.some((r) => r.method !== 'GET'), 'the preview wrote to the API');

  // No control plane answers the snapshot command within the bound: refused at the first step, the spec still says
  // the old version.
  const noBackup = await k8sup(['upgrade', 'cluster', NAME, '--kubernetes-version', TO, '--yes'], { env: { ...env, K8SUP_ETCD_SNAPSHOT_WAIT: '3s' }, timeoutMs: 300_000 });
  assert.equal(noBackup.code, 1, noBackup.stderr);
  assert.match(noBackup.stderr, /no control plane of up\.k8s\.local answered etcd backup command \S+ within 3s/);
  assert.equal(JSON.parse((await run('get', 'cluster', NAME, '-o', 'json')).stdout).spec.kubernetesVersion, FROM);
  assert.deepEqual((await instances()).map((i) => i.id).sort(), before.map((i) => i.id).sort(), 'nothing was replaced');

  // The control plane's poller answers the snapshot command (docs/backups.md, "The control folder").
  responder = startControlResponder(store, NAME);

  // --yes, killed (kill -9) the moment the control-plane group is asked to grow: snapshot and apply are recorded.
  const killed = await runKilledOnCall(['upgrade', 'cluster', NAME, '--kubernetes-version', TO, '--yes'], env, 'autoscaling:SetDesiredCapacity', (hook) => (onCall = hook));
  assert.ok(killed.killed, `the run reached SetDesiredCapacity:\n${killed.stderr}`);
  const progress = JSON.parse((await store.get(`${NAME}/upgrade/progress.json`))!.data.toString('utf8'));
  assert.deepEqual(progress.done, ['etcd-snapshot', 'apply']);
  assert.equal(progress.from, FROM);
  // The apply step wrote the new revision and told a lone control plane of 1.35.1 that it may join beside the old one.
  assert.equal(JSON.parse((await run('get', 'cluster', NAME, '-o', 'json')).stdout).spec.kubernetesVersion, TO);
  assert.equal((await store.get(`${NAME}/bootstrap/upgrade`))?.data.toString('utf8'), `from=${FROM}\nto=${TO}\n`);
  // The preview of the interrupted upgrade says what is done and what is left.
  const midway = JSON.parse((await run('upgrade', 'cluster', NAME, '--kubernetes-version', TO, '-o', 'json')).stdout);
  assert.deepEqual(midway.steps.map((s: any) => [s.id, s.done]), [['etcd-snapshot', true], ['apply', true], [`control-plane/${oldControlPlane.id}`, false], ['validate-control-plane', false], ['roll/nodes', false], ['validate', false]]);
  // Another version is refused while this one is unfinished.
  const other = await run('upgrade', 'cluster', NAME, '--kubernetes-version', '1.35.0', '--yes');
  assert.equal(other.code, 2, other.stderr);
  assert.match(other.stderr, /the upgrade from 1\.34\.4 to 1\.35\.1 has not finished/);

  // The apply step recorded the cluster's real endpoint (the load balancer) again: point it back at the fake.
  await pointAtFake();
  // The same command resumes (the lock of the killed process on this host is taken over: its pid is gone).
  const resumed = await k8sup(['upgrade', 'cluster', NAME, '--kubernetes-version', TO, '--yes', '--progress', 'ndjson'], { env, timeoutMs: 600_000 });
  assert.equal(resumed.code, 0, `${resumed.stdout}\n${resumed.stderr}`);
  const events = ndjson(resumed.stderr + '\n' + resumed.stdout);
  const steps = events.filter((e) => e.code === 'upgrade.step').map((e) => `${e.step}:${e.phase}`);
  assert.deepEqual(steps, [
    'etcd-snapshot:skipped',
    'apply:skipped',
    `control-plane/${oldControlPlane.id}:start`,
    `control-plane/${oldControlPlane.id}:done`,
    'validate-control-plane:start',
    'validate-control-plane:done',
    'roll/nodes:start',
    'roll/nodes:done',
    'validate:start',
    'validate:done',
  ]);
  const codes = events.map((e) => e.code);
  assert.ok(codes.indexOf('rolling-update.terminated') > codes.indexOf('rolling-update.surge') || !codes.includes('rolling-update.surge'), 'the old control plane goes only after the new one');
  assert.equal(events.filter((e) => e.code === 'upgrade.done').length, 1);

  // The cloud: the old control plane and node are gone; their replacements run the 1.35.1 bundle, whose control-plane
  // side carries the upgrade path (join beside the running control plane, snapshot, kubeadm upgrade plan/apply).
  const afterUpgrade = await instances();
  const newControlPlanes = afterUpgrade.filter((i) => i.group === 'control-plane');
  const newNodes = afterUpgrade.filter((i) => i.group === 'nodes');
  assert.equal(newControlPlanes.length, 1, 'the control-plane group is back to one instance');
  assert.notEqual(newControlPlanes[0].id, oldControlPlane.id);
  assert.equal(newNodes.length, 1);
  assert.notEqual(newNodes[0].id, oldNodes[0].id);
  const cpBundle = await bundleOf(newControlPlanes[0].ltId, newControlPlanes[0].ltVersion);
  assert.equal(versionOf(cpBundle), TO);
  assert.equal(versionOf(await bundleOf(newNodes[0].ltId, newNodes[0].ltVersion)), TO);
  assert.match(cpBundle, /^upgrade_in_progress\(\) \{$/m);
  assert.match(cpBundle, /^ {4}kubeadm upgrade plan "v\$\{K8S_VERSION\}"$/m);
  assert.match(cpBundle, /^ {4}kubeadm upgrade apply "v\$\{K8S_VERSION\}" --yes$/m);
  assert.match(cpBundle, /^ {4}k8sup-etcd-backup --force \|\| die/m);
  // The Kubernetes side: the old nodes were deleted, every node reports 1.35.1.
  assert.ok(!state.nodes.some((n) => n.metadata.name === oldControlPlane.dns || n.metadata.name === oldNodes[0].dns));
  assert.deepEqual([...new Set(state.nodes.map((n) => n.status.nodeInfo.kubeletVersion))], [`v${TO}`]);
  // The state: the spec says 1.35.1, progress and the lone-control-plane marker are gone, the backup is still there.
  assert.equal(JSON.parse((await run('get', 'cluster', NAME, '-o', 'json')).stdout).spec.kubernetesVersion, TO);
  assert.equal(await store.get(`${NAME}/upgrade/progress.json`), null);
  assert.equal(await store.get(`${NAME}/bootstrap/upgrade`), null);
  assert.equal(responder.answered.length, 1, 'one snapshot, before the control plane was touched');
  const backup = (await listBackups(store, NAME)).find((b) => b.command === responder!.answered[0]);
  assert.ok(backup?.complete, 'the snapshot answering the command is in the store');
  // The group's size limits are what the spec says again: update plans nothing.
  const update = await run('update', 'cluster', NAME, '-o', 'json');
  assert.equal(update.code, 0, update.stderr);
  const { summary } = JSON.parse(update.stdout);
  assert.deepEqual({ ...summary, noop: 0 }, { create: 0, update: 0, replace: 0, delete: 0, noop: 0 }, `update plans changes after the upgrade: ${update.stdout.slice(0, 3000)}`);

  // A re-run does nothing: no cloud write, nothing in the store.
  const settled = await snapshotWorld();
  const writes = fake.requests.filter((r) => r.method !== 'GET').length;
  const again = await run('upgrade', 'cluster', NAME, '--kubernetes-version', TO, '--yes');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /runs Kubernetes 1\.35\.1: nothing to upgrade/);
  assert.equal(await snapshotWorld(), settled);
  assert.equal(fake.requests.filter((r) => r.method !== 'GET').length, writes);
});
