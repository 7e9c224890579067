// `toolbox dump` through the built CLI on moto (AWS) with the state in S3, and a fake kube-apiserver that trusts the
// cluster's own CA at the recorded API endpoint (as validate reaches it): the document lists the cloud resources
// the provider discovers, the instances' bootstrap reports, nodes, pods and recent events — and none of the
// secrets planted on the way (a pod's env value, a token in an event message, the user data, the PKI's keys).
// Read-only: the bucket is byte-for-byte the same afterwards, and a cluster locked by another run is dumped anyway.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import type { Cluster } from '../../src/api/types.js';
import { loadClusterPki } from '../../src/pki/index.js';
import { ClusterStore } from '../../src/state/cluster-store.js';
import { openBlobStore } from '../../src/state/open.js';
import { decodeUserData } from '../../providers/aws/resources/launch-template.js';
import { healthyClusterState, type FakeKubeApiserver } from '../fakes/kube-apiserver.js';
import { k8sup, tempHome } from '../helpers/cli.js';
import { startClusterApi } from '../helpers/cluster-api.js';
import { startMoto, type Moto } from '../helpers/moto.js';

const NAME = 'dump.k8s.local';
const BUCKET = 'k8sup-state';
const STATE = `s3://${BUCKET}/clusters`;
const PLANTED_ENV = 'hunter2-planted-env-value-5c1e';
const PLANTED_JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6InBsYW50ZWQifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6cGxhbnRlZCJ9.c2lnbmF0dXJlLXBsYW50ZWQ';
const PLANTED_BOOTSTRAP_TOKEN = 'abcdef.0123456789abcdef';

let moto: Moto;
let home: string;
let env: Record<string, string>;
let api: FakeKubeApiserver | undefined;
let cluster: Cluster;
let s3: import('@aws-sdk/client-s3').S3Client;

const run = (...args: string[]) => k8sup(args, { env, timeoutMs: 180_000 });
const store = () => openBlobStore(STATE, env, home);

/** Every object of the bucket with its ETag: what "nothing was written" is checked against. */
async function bucketDigest(): Promise<string[]> {
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const out: string[] = [];
  let token: string | undefined;
  for (let page = 0; page < 50; page++) {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: token }));
    for (const o of r.Contents ?? []) out.push(`${o.Key} ${o.ETag} ${o.Size}`);
    token = r.NextContinuationToken;
    if (!token) break;
  }
  return out.sort();
}

async function userDataOfLaunchTemplates(): Promise<string[]> {
  const { EC2Client, DescribeLaunchTemplatesCommand, DescribeLaunchTemplateVersionsCommand } = await import('@aws-sdk/client-ec2');
  const ec2 = new EC2Client({ endpoint: moto.endpoint, region: 'us-east-2', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const templates = await ec2.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: 'tag:k8sup.io/cluster', Values: [NAME] }] }));
  const out: string[] = [];
  for (const t of templates.LaunchTemplates ?? []) {
    const v = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: t.LaunchTemplateId, Versions: ['$Latest'] }));
    const data = v.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.UserData;
    if (data) out.push(decodeUserData(data));
  }
  ec2.destroy();
  return out;
}

before(async () => {
  moto = await startMoto();
  home = tempHome();
  env = { HOME: home, ...moto.env, AWS_ENDPOINT_URL: moto.endpoint, K8SUP_STATE_STORE: STATE };
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
  const created = await run('create', 'cluster', NAME, '--zones', 'us-east-2a', '--yes');
  assert.equal(created.code, 0, created.stderr);
  cluster = JSON.parse((await run('get', 'cluster', NAME, '-o', 'json')).stdout);
  // A node's bootstrap report, as the instance writes it with its own identity.
  await (await store()).put(`${NAME}/nodes/status/i-0123456789abcdef0.json`, JSON.stringify({ instance: 'i-0123456789abcdef0', role: 'node', group: 'nodes', step: 'kubeadm', state: 'failed', attempt: 2, error: 'kubeadm join timed out', time: '2026-12-01T16:00:00Z' }));
});

after(async () => {
  await api?.stop();
  s3?.destroy();
  await moto?.stop();
});

/** The fake API at the cluster's endpoint, with a pod that carries a secret, and events old and new. */
async function startApi(): Promise<FakeKubeApiserver> {
  const state = healthyClusterState(cluster);
  const worker = state.nodes.find((n) => n.metadata.labels['k8sup.io/node-group'] === 'nodes')!;
  state.modify('nodes', worker, (n) => (n.spec.providerID = 'aws:///us-east-2a/i-0123456789abcdef0'));
  const pod = state.add('pods', {
    metadata: {
      name: 'billing-7d9f8-x2x4q',
      namespace: 'shop',
      labels: { app: 'billing' },
      // kubectl apply keeps the whole object here, env values included: a dump must not carry annotations.
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ env: [{ name: 'DB_PASSWORD', value: PLANTED_ENV }] }) },
    },
    spec: {
      nodeName: worker.metadata.name,
      containers: [{
        name: 'billing',
        image: 'registry.example.com/billing:1.4.2',
        args: [`--api-token=${PLANTED_ENV}`],
        env: [
          { name: 'DB_PASSWORD', value: PLANTED_ENV },
          { name: 'API_KEY', valueFrom: { secretKeyRef: { name: 'billing-keys', key: 'api' } } },
        ],
      }],
    },
    status: {
      phase: 'Running',
      containerStatuses: [{ name: 'billing', ready: false, started: true, restartCount: 4, image: 'registry.example.com/billing:1.4.2', imageID: '', containerID: '', state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } } }],
    },
  });
  const now = Date.now();
  state.recordEvent(pod, { reason: 'BackOff', type: 'Warning', message: 'Back-off restarting failed container billing', at: new Date(now - 5 * 60_000), count: 4, host: worker.metadata.name });
  state.recordEvent(pod, { reason: 'Failed', type: 'Warning', message: `Error: auth with ${PLANTED_JWT} and ${PLANTED_BOOTSTRAP_TOKEN} refused`, at: new Date(now - 2 * 60_000) });
  state.recordEvent(worker, { reason: 'NodeReady', message: 'Node became ready yesterday', at: new Date(now - 26 * 3600_000) });
  return startClusterApi(await store(), NAME, state);
}

test('the dump: cloud resources, instances, nodes, pods and recent events; YAML by default, the same document as JSON', { timeout: 300_000 }, async () => {
  api = await startApi();
  const before = await bucketDigest();
  const r = await run('toolbox', 'dump', NAME);
  assert.equal(r.code, 0, r.stderr);
  const doc = parse(r.stdout);
  assert.equal(doc.kind, 'ToolboxDump');
  assert.equal(doc.cluster.name, NAME);
  assert.equal(doc.cluster.uid, cluster.metadata.uid);
  assert.deepEqual(doc.warnings, []);

  // Cloud: what the provider's discover step finds, each with its kind, id, cloud id and attributes.
  assert.equal(doc.cloud.reachable, true);
  const kinds = new Set(doc.cloud.resources.map((x: any) => x.kind));
  for (const k of ['vpc', 'subnet', 'security-group', 'launch-template', 'autoscaling-group', 'load-balancer']) assert.ok(kinds.has(k), `no ${k} in ${[...kinds].join(', ')}`);
  const vpc = doc.cloud.resources.find((x: any) => x.kind === 'vpc');
  assert.match(vpc.cloudId, /^vpc-/);
  assert.equal(vpc.attributes.cidrBlock, cluster.spec.networking.networkCIDR);
  const template = doc.cloud.resources.find((x: any) => x.kind === 'launch-template');
  assert.equal(template.attributes.userData, '(redacted)');
  assert.match(template.attributes.instanceType, /^t3\./);
  // Only what is secret goes: the IMDSv2 setting and a security group's description stay.
  assert.equal(template.attributes.metadataOptions.httpTokens, 'required');
  assert.match(doc.cloud.resources.find((x: any) => x.kind === 'security-group').attributes.description, /\S/);
  assert.notEqual(doc.cloud.resources.find((x: any) => x.kind === 'security-group').attributes.description, '(redacted)');
  assert.ok(doc.cloud.instanceGroups.length >= 2, 'the Auto Scaling groups with their instances');

  assert.deepEqual(doc.instances.map((i: any) => [i.instance, i.state, i.step]), [['i-0123456789abcdef0', 'failed', 'kubeadm']]);

  const k = doc.kubernetes;
  assert.equal(k.reachable, true);
  assert.equal(k.server, api.url);
  assert.deepEqual(k.nodes.map((n: any) => n.name).sort(), api.state.nodes.map((n) => n.metadata.name).sort());
  const cp = k.nodes.find((n: any) => n.group === 'control-plane');
  assert.deepEqual(cp.roles, ['control-plane']);
  assert.match(cp.versions.kubelet, /^v\d+\.\d+\.\d+$/);
  assert.ok(cp.conditions.some((c: any) => c.type === 'Ready' && c.status === 'True'));
  assert.ok(cp.addresses.some((a: any) => a.type === 'InternalIP'));
  assert.equal(k.nodes.find((n: any) => n.group === 'nodes')?.providerID, 'aws:///us-east-2a/i-0123456789abcdef0');
  assert.equal(k.pods.length, api.state.pods.length);
  const billing = k.pods.find((p: any) => p.name === 'billing-7d9f8-x2x4q');
  assert.deepEqual([billing.namespace, billing.phase, billing.restarts, billing.images], ['shop', 'Running', 4, ['registry.example.com/billing:1.4.2']]);
  assert.deepEqual(billing.containers[0].env, { DB_PASSWORD: '(redacted)', API_KEY: '(from secret billing-keys, key api)' });
  assert.equal(billing.containers[0].state, 'CrashLoopBackOff');
  // The last hour's events, newest first; yesterday's is left out.
  assert.deepEqual(k.events.map((e: any) => e.reason), ['Failed', 'BackOff']);
  assert.equal(k.events[1].object, 'Pod/shop/billing-7d9f8-x2x4q');
  assert.equal(k.events[1].count, 4);
  assert.equal(k.events[0].message, 'Error: auth with (redacted) and (redacted) refused');

  // Secrets: none of the planted ones, no user data, no private key of the PKI (nor of the admin credential).
  const json = await run('toolbox', 'dump', NAME, '-o', 'json');
  assert.equal(json.code, 0, json.stderr);
  const fromJson = JSON.parse(json.stdout);
  assert.deepEqual({ ...fromJson, generatedAt: 0, kubernetes: { ...fromJson.kubernetes, events: 0 } }, { ...doc, generatedAt: 0, kubernetes: { ...doc.kubernetes, events: 0 } });
  const pki = (await loadClusterPki(await store(), NAME))!;
  for (const out of [r.stdout, json.stdout]) {
    for (const planted of [PLANTED_ENV, PLANTED_JWT, PLANTED_BOOTSTRAP_TOKEN]) assert.ok(!out.includes(planted), `${planted} leaked`);
    assert.doesNotMatch(out, /PRIVATE KEY|last-applied-configuration/);
    const keyBody = pki.ca.keyPem.split('\n')[1];
    assert.ok(!out.includes(keyBody), 'the CA key leaked');
    for (const userData of await userDataOfLaunchTemplates()) {
      for (const line of userData.split('\n').filter((l) => l.length > 40)) assert.ok(!out.includes(line), `user data leaked: ${line}`);
    }
  }
  // Only nodes, pods and events were read (never Secrets or ConfigMaps).
  const paths = new Set(api.requests.map((q) => new URL(q.url, 'https://x').pathname));
  assert.deepEqual([...paths].sort(), ['/api/v1/events', '/api/v1/nodes', '/api/v1/pods']);

  assert.deepEqual(await bucketDigest(), before, 'toolbox dump wrote to the state store');
});

test('-o table is a summary; --max-events and --events-since bound the events', { timeout: 120_000 }, async () => {
  const table = await run('toolbox', 'dump', NAME, '-o', 'table');
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^Cloud resources \(\d+\)$/m);
  assert.match(table.stdout, /^shop\s+billing-7d9f8-x2x4q\s+\S+\s+Running\s+4$/m);
  const one = parse((await run('toolbox', 'dump', NAME, '--max-events', '1')).stdout);
  assert.deepEqual(one.kubernetes.events.map((e: any) => e.reason), ['Failed']);
  const day = parse((await run('toolbox', 'dump', NAME, '--events-since', '48h')).stdout);
  assert.deepEqual(day.kubernetes.events.map((e: any) => e.reason), ['Failed', 'BackOff', 'NodeReady']);
  const bad = await run('toolbox', 'dump', NAME, '--events-since', 'soon');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--events-since/);
});

test('a cluster locked by another run is dumped anyway (no lock is taken)', { timeout: 120_000 }, async () => {
  const cs = new ClusterStore(await store(), NAME);
  const lease = await cs.acquireLock({ owner: 'ci@elsewhere', host: 'elsewhere', pid: 4242, command: 'update cluster', ttlMs: 600_000, renewEveryMs: 0 });
  try {
    const r = await run('toolbox', 'dump', NAME, '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).kubernetes.reachable, true);
  } finally {
    await lease.release();
  }
});

test('an API that does not answer: the document says so, a warning, exit 0', { timeout: 120_000 }, async () => {
  await api!.stop();
  api = undefined;
  const r = await run('toolbox', 'dump', NAME, '-o', 'json');
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.kubernetes.reachable, false);
  assert.match(doc.kubernetes.error, /cannot reach https:\/\/127\.0\.0\.1:\d+/);
  assert.equal(doc.cloud.reachable, true, 'the cloud part is still there');
  assert.match(r.stderr, /warning: kubernetes API: /);
});
