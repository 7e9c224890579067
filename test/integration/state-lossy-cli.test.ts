// Every state write of the day-to-day commands, through a network that loses replies after the server applied the
// write: create (spec + PKI), create secret, replace -f, edit, rollback, update --yes, delete --yes. On S3 (moto) the
// state goes through the fault proxy (30% of calls reset — half of them after S3 applied the call — and 10% SlowDown);
// on GCS (the fake) 30% of object writes are applied and then answered with a reset or a 503. Each command still exits
// 0 exactly once, history holds exactly one revision per change (none doubled, none reported as "another run wrote it
// first"), no lock is left behind, and delete leaves the bucket and the cloud empty. Seeded: a failure repeats.

import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { FakeCompute } from '../fakes/gce-compute.js';
import { FakeGcs } from '../fakes/gcs.js';
import { k8sup, tempHome } from '../helpers/cli.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { startThrottleProxy, type ThrottleProxy } from '../helpers/throttle-proxy.js';
import { taggedResources, total } from './aws-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'k8sup-lossy-cli-'));
const REGISTRY = 'registry.corp.example';

/** $EDITOR for `edit cluster`: one more node at most. */
const editor = join(dir, 'editor.sh');
writeFileSync(editor, '#!/bin/sh\nsed -i "s/maxSize: 2/maxSize: 3/" "$1"\n');
chmodSync(editor, 0o755);

interface Backend {
  env: Record<string, string>;
  spec: Record<string, unknown>;
  /** Keys left under the store's prefix. */
  stateKeys(): Promise<string[]>;
  /** Cloud objects of the cluster left. */
  cloudLeft(name: string): Promise<number>;
  /** Replies lost so far. */
  lost(): number;
}

async function scenario(b: Backend, name: string): Promise<void> {
  const run = (args: string[], input?: string) => k8sup(args, { env: { ...b.env, EDITOR: editor }, timeoutMs: 600_000, input });
  const ok = async (args: string[], input?: string) => {
    const r = await run(args, input);
    assert.equal(r.code, 0, `${args.join(' ')} (exit ${r.code}):\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /another run wrote|changed under us|locked by/, `${args.join(' ')} took its own write for another run's`);
    return r;
  };
  const lostBefore = b.lost();
  const spec = { apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name }, spec: { ...b.spec, assets: { registries: [{ host: REGISTRY, credentials: { secretRef: 'corp' } }] } } };
  writeFileSync(join(dir, `${name}.yaml`), stringify(spec));
  await ok(['create', '-f', join(dir, `${name}.yaml`)]);
  await ok(['create', 'secret', 'registry', 'corp', '--name', name, '--registry', REGISTRY, '--username', 'robot', '--password-stdin'], 's3cr3t-pw\n');
  const got = JSON.parse((await ok(['get', 'cluster', name, '-o', 'json'])).stdout);
  got.spec.nodeGroups[0].maxSize = 2;
  writeFileSync(join(dir, `${name}-2.json`), JSON.stringify(got));
  await ok(['replace', '-f', join(dir, `${name}-2.json`)]);
  await ok(['edit', 'cluster', name]);
  assert.equal(JSON.parse((await ok(['get', 'cluster', name, '-o', 'json'])).stdout).spec.nodeGroups[0].maxSize, 3, 'the edit was saved');
  await ok(['rollback', 'cluster', name, '--revision', '1', '--yes']);
  const history = JSON.parse((await ok(['history', 'cluster', name, '-o', 'json'])).stdout) as { revision: number; message?: string }[];
  assert.deepEqual(history.map((h) => h.revision), [1, 2, 3, 4], `one revision per change: ${JSON.stringify(history)}`);
  assert.match(history[3].message ?? '', /rollback to revision 1/);
  assert.equal(JSON.parse((await ok(['get', 'cluster', name, '-o', 'json'])).stdout).spec.nodeGroups[0].maxSize, 1);

  await ok(['update', 'cluster', name, '--yes']);
  const plan = await run(['update', 'cluster', name, '--detailed-exitcode']);
  assert.equal(plan.code, 0, `the plan after the apply is empty:\n${plan.stdout}${plan.stderr}`);
  assert.ok(!(await b.stateKeys()).some((k) => k.endsWith('/lock.json')), 'no lock is left behind');
  assert.ok((await b.cloudLeft(name)) > 0, 'the apply made the cluster');

  await ok(['delete', 'cluster', name, '--yes']);
  assert.doesNotMatch((await ok(['get', 'clusters', '-o', 'json'])).stdout, new RegExp(name.replaceAll('.', '\\.')));
  assert.deepEqual(await b.stateKeys(), [], 'delete removed every state object');
  assert.equal(await b.cloudLeft(name), 0, 'delete removed every cloud object');
  assert.ok(b.lost() - lostBefore >= 10, `replies were really lost (${b.lost() - lostBefore})`);
}

describe('S3 state through a proxy that loses 30% of replies', { timeout: 1_800_000 }, () => {
  const BUCKET = 'k8sup-lossy-cli';
  let moto: Moto;
  let proxy: ThrottleProxy;
  let s3: import('@aws-sdk/client-s3').S3Client;
  before(async () => {
    moto = await startMoto();
    proxy = await startThrottleProxy(moto.endpoint, { throttleRate: 0.1, resetRate: 0.3, seed: 7 });
    const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
    s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
  });
  after(async () => {
    s3?.destroy();
    await proxy?.stop();
    await moto?.stop();
  });

  it('create, create secret, replace, edit, rollback, update --yes, delete --yes: each once, nothing left', async () => {
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    await scenario(
      {
        // Only the state store goes through the proxy: the cloud's own lost replies have their test (aws-lost-replies).
        env: { HOME: tempHome(), ...moto.env, AWS_ENDPOINT_URL: moto.endpoint, AWS_ENDPOINT_URL_S3: proxy.endpoint, K8SUP_STATE_STORE: `s3://${BUCKET}/team` },
        spec: { zones: ['us-east-2a'] },
        stateKeys: async () => ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'team/' }))).Contents ?? []).map((o) => o.Key!),
        cloudLeft: async (name) => total(await taggedResources(moto.env, name)),
        lost: () => proxy.stats.resetAfter + proxy.stats.resetBefore,
      },
      'lossy-s3.k8s.local',
    );
  });
});

describe('GCS state on a fake that loses 30% of write replies (reset or 503 after applying)', { timeout: 1_800_000 }, () => {
  const PROJECT = 'lossy-project';
  const compute = new FakeCompute({ project: PROJECT, pendingOperations: true });
  const gcs = new FakeGcs();
  before(async () => {
    await compute.start();
    await gcs.start();
    gcs.createBucket('k8sup-lossy', { uniformBucketLevelAccess: true });
    gcs.loseWriteReplies(0.3, 7);
  });
  after(async () => {
    await compute.stop();
    await gcs.stop();
  });

  it('create, create secret, replace, edit, rollback, update --yes, delete --yes: each once, nothing left', async () => {
    await scenario(
      {
        env: { HOME: tempHome(), K8SUP_GCE_ENDPOINT: compute.endpoint, STORAGE_EMULATOR_HOST: gcs.url, K8SUP_STATE_STORE: 'gs://k8sup-lossy/team' },
        spec: { zones: ['us-central1-b'], project: PROJECT },
        stateKeys: async () => [...gcs.objects('k8sup-lossy').keys()].filter((k) => k.startsWith('team/')),
        cloudLeft: async (name) => compute.labelled('k8sup-cluster', name.replaceAll('.', '-')).length,
        lost: () => gcs.droppedReplies,
      },
      'lossy-gcs.k8s.local',
    );
  });
});
