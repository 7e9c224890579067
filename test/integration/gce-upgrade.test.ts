// upgrade cluster on GCE through the real CLI: Compute over K8SUP_GCE_ENDPOINT (the shared fake: managed groups keep
// their target size from their current template, resize and deleteInstances as GCE has them), the state in gs:// over
// STORAGE_EMULATOR_HOST, the Kubernetes API played by the fake kube-apiserver trusted through the cluster's CA. A
// poller plays the kubelets: an instance that boots registers a Ready node under its name whose kubelet version is the
// one its bootstrap bundle installs — read as the instance reads it: its startup-script (the loader) → the bundle's
// sha256 → the bundle in the state store → K8S_VERSION. A control plane also gets its static pods.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Cluster } from '../../src/api/types.js';
import type { BlobStore } from '../../src/state/blob.js';
import { openBlobStore } from '../../src/state/open.js';
import { FakeCompute } from '../fakes/gce-compute.js';
import { FakeGcs } from '../fakes/gcs.js';
import { healthyClusterState, type FakeKubeApiserver, type KubeObject } from '../fakes/kube-apiserver.js';
import { k8sup, tempHome } from '../helpers/cli.js';
import { startClusterApi } from '../helpers/cluster-api.js';
import { startControlResponder, type ControlResponder } from '../helpers/etcd-control-responder.js';

const NAME = 'up.k8s.local';
const PROJECT = 'up-project';
const STATE = 'gs://k8sup-up-state/prod';
const FROM = '1.34.4';
const TO = '1.35.1';

const compute = new FakeCompute({ project: PROJECT, pendingOperations: true });
const gcs = new FakeGcs();
const home = tempHome();
let env: Record<string, string>;
let store: BlobStore;
let fake: FakeKubeApiserver | undefined;
let poller: NodeJS.Timeout | undefined;

before(async () => {
  await compute.start();
  await gcs.start();
  gcs.createBucket('k8sup-up-state', { uniformBucketLevelAccess: true });
  env = { HOME: home, K8SUP_GCE_ENDPOINT: compute.endpoint, STORAGE_EMULATOR_HOST: gcs.url, K8SUP_STATE_STORE: STATE };
  store = await openBlobStore(STATE, env, home);
});
let responder: ControlResponder | undefined;
after(async () => {
  await responder?.stop();
  clearInterval(poller);
  await fake?.stop();
  await compute.stop();
  await gcs.stop();
  rmSync(home, { recursive: true, force: true });
});

const run = (...args: string[]) => k8sup(args, { env, timeoutMs: 180_000 });

interface Instance {
  id: string;
  name: string;
  group: string;
  status: string;
  loader: string;
}

function instances(): Instance[] {
  return compute
    .list('instances')
    .filter((i) => i.labels['k8sup-cluster'] === 'up-k8s-local')
    .map((i) => ({
      id: i.id,
      name: i.name,
      group: i.labels['k8sup-node-group'],
      status: i.status,
      loader: i.metadata.items.find((m: { key: string }) => m.key === 'startup-script')?.value ?? '',
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

async function bundleOf(loader: string): Promise<string> {
  const sha = /^BUNDLE_SHA256='?([0-9a-f]{64})'?$/m.exec(loader)?.[1];
  assert.ok(sha, `a loader with its bundle's sha256:\n${loader.slice(0, 300)}`);
  const blob = await store.get(`${NAME}/bootstrap/bundles/${sha}.sh`);
  assert.ok(blob, `bundle ${sha} is in the state store`);
  return blob.data.toString('utf8');
}
const versionOf = (bundle: string) => /^K8S_VERSION='?([0-9.]+)'?$/m.exec(bundle)?.[1];

const computeWrites = () => compute.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/listManagedInstances')).length;

test('a single-control-plane GCE cluster: snapshot → control plane beside → nodes, then nothing to do', { timeout: 600_000 }, async () => {
  const created = await run('create', 'cluster', NAME, '--zones', 'us-central1-b', '--project', PROJECT, '--node-count', '1', '--kubernetes-version', FROM, '--yes');
  assert.equal(created.code, 0, created.stderr);
  const cluster = JSON.parse((await run('get', 'cluster', NAME, '-o', 'json')).stdout) as Cluster;
  const before = instances();
  const [oldControlPlane] = before.filter((i) => i.group === 'control-plane');
  const [oldNode] = before.filter((i) => i.group === 'nodes');
  assert.ok(oldControlPlane && oldNode);
  assert.equal(versionOf(await bundleOf(oldControlPlane.loader)), FROM);

  const state = healthyClusterState(cluster);
  // The GCP CCM pins an image for 1.35 only (docs/addons.md): the upgraded control plane's bundle applies it, so the
  // API shows its DaemonSet as it will once applied (an extra DaemonSet does not matter to the 1.34 checks).
  const upgradedState = healthyClusterState({ ...cluster, spec: { ...cluster.spec, kubernetesVersion: TO } });
  for (const ds of upgradedState.daemonSets) {
    if (!state.daemonSets.some((d) => d.metadata.namespace === ds.metadata.namespace && d.metadata.name === ds.metadata.name)) state.add('daemonsets', ds);
  }
  const templates = new Map<string, KubeObject>();
  const booted = new Set<string>();
  for (const group of ['control-plane', 'nodes']) {
    const member = before.find((i) => i.group === group)!;
    const [old] = state.nodesInGroup(group);
    state.modify('nodes', state.node(old), (n) => {
      n.metadata.name = member.name;
      n.metadata.labels['kubernetes.io/hostname'] = member.name;
    });
    for (const pod of state.pods.filter((p) => p.spec.nodeName === old)) state.modify('pods', pod, (p) => (p.spec.nodeName = member.name));
    booted.add(member.id);
    templates.set(group, structuredClone(state.node(member.name)));
  }
  fake = await startClusterApi(store, NAME, state);
  const staticPods = state.pods.filter((p) => p.metadata.labels?.tier === 'control-plane').map((p) => structuredClone(p));
  let syncing = false;
  poller = setInterval(async () => {
    if (syncing) return;
    syncing = true;
    try {
      for (const i of instances()) {
        if (i.status !== 'RUNNING' || booted.has(i.id)) continue;
        booted.add(i.id);
        const version = versionOf(await bundleOf(i.loader));
        const node = structuredClone(templates.get(i.group)!);
        node.metadata = { name: i.name, labels: { ...node.metadata.labels, 'kubernetes.io/hostname': i.name }, annotations: node.metadata.annotations };
        node.status.nodeInfo.kubeletVersion = `v${version}`;
        state.add('nodes', node);
        if (i.group !== 'control-plane') continue;
        for (const pod of staticPods) {
          const copy = structuredClone(pod);
          copy.metadata.name = copy.metadata.name.replace(oldControlPlane.name, i.name);
          delete copy.metadata.uid;
          delete copy.metadata.resourceVersion;
          copy.spec.nodeName = i.name;
          state.add('pods', copy);
        }
      }
    } catch {
      // the fakes stopping under a last poll (after()).
    } finally {
      syncing = false;
    }
  }, 100);

  const writes = computeWrites();
  const preview = await run('upgrade', 'cluster', NAME, '--kubernetes-version', TO, '-o', 'json');
  assert.equal(preview.code, 0, preview.stderr);
  assert.deepEqual(JSON.parse(preview.stdout).steps.map((s: any) => s.id), ['etcd-snapshot', 'apply', `control-plane/${oldControlPlane.name}`, 'validate-control-plane', 'roll/nodes', 'validate']);
  assert.equal(computeWrites(), writes, 'the preview wrote to Compute');
  assert.equal(await store.get(`${NAME}/upgrade/progress.json`), null);

  // The control plane's poller answers the snapshot command in the state store (docs/backups.md, "The control folder").
  responder = startControlResponder(store, NAME);
  const upgraded = await k8sup(['upgrade', 'cluster', NAME, '--kubernetes-version', TO, '--yes', '--progress', 'ndjson'], { env, timeoutMs: 400_000 });
  assert.equal(upgraded.code, 0, `${upgraded.stdout}\n${upgraded.stderr}`);
  assert.equal(responder.answered.length, 1, 'one snapshot before the control plane was touched');
  const events = upgraded.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  assert.deepEqual(
    events.filter((e) => e.code === 'upgrade.step' && e.phase === 'done').map((e) => e.step),
    ['etcd-snapshot', 'apply', `control-plane/${oldControlPlane.name}`, 'validate-control-plane', 'roll/nodes', 'validate'],
  );
  const codes = events.map((e) => e.code);
  assert.ok(codes.indexOf('rolling-update.surge') >= 0 && codes.indexOf('rolling-update.surge') < codes.indexOf('rolling-update.terminated'), 'the new control plane came before the old one left');

  const afterUpgrade = instances();
  const cps = afterUpgrade.filter((i) => i.group === 'control-plane');
  assert.equal(cps.length, 1, 'the control-plane group is back to its size');
  assert.notEqual(cps[0].name, oldControlPlane.name);
  const cpBundle = await bundleOf(cps[0].loader);
  assert.equal(versionOf(cpBundle), TO);
  assert.match(cpBundle, /^ {4}kubeadm upgrade apply "v\$\{K8S_VERSION\}" --yes$/m);
  assert.match(cpBundle, /^upgrade_in_progress\(\) \{$/m);
  const nodes = afterUpgrade.filter((i) => i.group === 'nodes');
  assert.equal(nodes.length, 1);
  assert.equal(versionOf(await bundleOf(nodes[0].loader)), TO);
  assert.deepEqual([...new Set(state.nodes.map((n) => n.status.nodeInfo.kubeletVersion))], [`v${TO}`]);
  assert.equal(JSON.parse((await run('get', 'cluster', NAME, '-o', 'json')).stdout).spec.kubernetesVersion, TO);
  assert.equal(await store.get(`${NAME}/bootstrap/upgrade`), null);
  assert.equal(compute.list('instanceGroupManagers').find((g) => g.name.includes('-cp-'))?.targetSize, 1, 'the group is back to its spec size');

  const settled = computeWrites();
  const again = await run('upgrade', 'cluster', NAME, '--kubernetes-version', TO, '--yes');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /nothing to upgrade/);
  assert.equal(computeWrites(), settled);
});
