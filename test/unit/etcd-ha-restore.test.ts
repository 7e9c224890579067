// The CLI side of an HA restore on the clouds (src/lifecycle/etcd-ha-restore.ts) on the memory store, with the control
// planes played by the test (they honour target and exclude as templates/bootstrap/etcd-control-body.sh does; the
// real scripts against three real etcd members are test/integration/etcd-restore-ha-control*.test.ts): a failed
// step and the re-run that continues it, a repeated seed step addressed to the seed that claimed the first, and an
// unfinished restore of another backup.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Cluster } from '../../src/api/index.js';
import { withDefaults } from '../../src/api/defaults.js';
import type { BackupManifest } from '../../src/lifecycle/etcd-backup.js';
import { claimKey, commandKey, resultKey } from '../../src/lifecycle/etcd-control.js';
import { restoreHaThroughControlPlanes, restoreRecordKey } from '../../src/lifecycle/etcd-ha-restore.js';
import { ConflictError, OperationError } from '../../src/core/errors.js';
import { RecordingIo } from '../../src/core/io.js';
import { PreconditionFailedError } from '../../src/state/blob.js';
import { MemoryBlobStore } from '../../src/state/memory.js';

const NAME = 'demo.k8s.local';
const cluster = (): Cluster => withDefaults({ metadata: { name: NAME }, spec: { zones: ['us-east-2a', 'us-east-2b', 'us-east-2c'], controlPlane: { count: 3 }, etcd: { backups: { schedule: 'off', retain: 2 } } } } as any);
const deps = (store: MemoryBlobStore, io = new RecordingIo()) => ({ store, cluster: cluster(), io, by: 'ops@laptop', waitMs: 5000, pollMs: 10 });
const backup = (id = '20261201T110000Z'): BackupManifest => ({ id, cluster: NAME, node: 'cp-a', member: 'cp-a', time: '', etcdVersion: '3.5.16', revision: 9, size: 1, sha256: 'a'.repeat(64), trigger: 'schedule' });
const json = async (store: MemoryBlobStore, key: string) => JSON.parse((await store.get(key))!.data.toString('utf8'));

type Answer = (command: any, node: string) => { status: 'done' | 'failed'; message?: string } | undefined;

/** Control planes polling every 5 ms until stop(): each claims what is for it and answers with `answer` (undefined: takes it and never answers). */
function controlPlanes(store: MemoryBlobStore, nodes: string[], answer: Answer) {
  const seen: { node: string; command: any }[] = [];
  let stopped = false;
  const loops = nodes.map(async (node) => {
    for (let i = 0; i < 2000 && !stopped; i++) {
      await new Promise((r) => setTimeout(r, 5));
      const blob = await store.get(commandKey(NAME));
      if (!blob) continue;
      const c = JSON.parse(blob.data.toString('utf8'));
      if ((c.target && c.target !== node) || String(c.exclude ?? '').split(',').includes(node) || (await store.get(resultKey(NAME, c.id)))) continue;
      try {
        await store.put(claimKey(NAME, c.id), JSON.stringify({ command: c.id, node, nonce: node, time: new Date().toISOString() }), { ifNoneMatch: true });
      } catch (e) {
        if (e instanceof PreconditionFailedError) continue;
        throw e;
      }
      seen.push({ node, command: c });
      const a = answer(c, node);
      if (!a) continue;
      const member = `${node}=https://${node}:2380`;
      await store.put(resultKey(NAME, c.id), JSON.stringify({ command: c.id, action: c.action, status: a.status, backup: c.backup, node, time: '', message: a.message ?? '', member, client: c.action === 'restore-seed' ? `https://${node}:2379` : '' }));
    }
  });
  return {
    seen,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

test('HA restore: a seed, then one rejoin per other member, each excluding those done; a failed rejoin exits 1 and the re-run continues with it', async () => {
  const store = new MemoryBlobStore();
  let failOnce = true;
  const cps = controlPlanes(store, ['cp-a', 'cp-b', 'cp-c'], (c) => {
    if (c.action === 'rejoin' && failOnce) {
      failOnce = false;
      return { status: 'failed', message: 'timed out after 300s waiting for member cp-b to answer through quorum' };
    }
    return { status: 'done' };
  });
  try {
    await assert.rejects(restoreHaThroughControlPlanes(deps(store), backup()), (e: unknown) => e instanceof OperationError && e.exitCode === 1 && e.code === 'EtcdRestoreFailed' && /could not rejoin the restored etcd of demo\.k8s\.local: timed out/.test(e.message));
    const partial = await json(store, restoreRecordKey(NAME));
    assert.equal(partial.done, false);
    assert.deepEqual(partial.joined, []);
    const io = new RecordingIo();
    const record = await restoreHaThroughControlPlanes(deps(store, io), backup());
    assert.equal(record.done, true);
    assert.equal(record.restore, partial.restore, 'the re-run continued the same restore');
    assert.deepEqual(io.events.map((e) => e.code).filter((c) => c.startsWith('etcd.restore')), ['etcd.restore.resumed', 'etcd.restore.rejoined', 'etcd.restore.rejoined']);
    const steps = cps.seen.map((s) => s.command);
    assert.deepEqual(steps.map((c) => c.action), ['restore-seed', 'rejoin', 'rejoin', 'rejoin']);
    assert.ok(steps.every((c) => c.restore === record.restore));
    const seed = record.seed!.node;
    assert.equal(steps[1].seed, `https://${seed}:2379`);
    // Every rejoin excludes the seed and those already joined; the failed one is asked again with the same exclude.
    assert.deepEqual(steps.slice(1).map((c) => c.exclude), [seed, seed, [seed, record.joined[0]].join(',')]);
    assert.deepEqual([seed, ...record.joined].sort(), ['cp-a', 'cp-b', 'cp-c']);
  } finally {
    await cps.stop();
  }
});

test('HA restore: a seed step that failed after a control plane took it is asked again of that control plane only', async () => {
  const store = new MemoryBlobStore();
  let seeds = 0;
  const cps = controlPlanes(store, ['cp-a', 'cp-b', 'cp-c'], (c) => (c.action === 'restore-seed' && seeds++ === 0 ? { status: 'failed', message: 'cannot download backup' } : { status: 'done' }));
  try {
    await assert.rejects(restoreHaThroughControlPlanes(deps(store), backup()), (e: unknown) => e instanceof OperationError && e.code === 'EtcdRestoreFailed');
    const first = cps.seen[0];
    assert.equal((await json(store, restoreRecordKey(NAME))).seedNode, first.node);
    const record = await restoreHaThroughControlPlanes(deps(store), backup());
    assert.equal(record.seed!.node, first.node);
    assert.equal(cps.seen[1].command.action, 'restore-seed');
    assert.equal(cps.seen[1].command.target, first.node);
    assert.equal(cps.seen[1].node, first.node);
  } finally {
    await cps.stop();
  }
});

test('HA restore: an unfinished restore of another backup is exit 3 once a seed was taken; before that a new restore replaces it', async () => {
  const store = new MemoryBlobStore();
  const unfinished = { v: 1, restore: '20261201T120000Z-0badc0de', backup: '20261201T100000Z', sha256: 'b'.repeat(64), members: 3, seedNode: 'cp-a', joined: [], done: false, started: '2026-12-01T12:00:00Z', by: 'someone' };
  await store.put(restoreRecordKey(NAME), JSON.stringify(unfinished));
  await assert.rejects(restoreHaThroughControlPlanes(deps(store), backup()), (e: unknown) => e instanceof ConflictError && e.exitCode === 3 && /HA restore of demo\.k8s\.local from backup 20261201T100000Z .* is unfinished/.test(e.message));
  assert.equal((await store.get(commandKey(NAME))) ?? undefined, undefined, 'a command was written');

  const { seedNode: _, ...untouched } = unfinished;
  await store.put(restoreRecordKey(NAME), JSON.stringify(untouched));
  const cps = controlPlanes(store, ['cp-a', 'cp-b', 'cp-c'], () => ({ status: 'done' }));
  try {
    const record = await restoreHaThroughControlPlanes(deps(store), backup());
    assert.notEqual(record.restore, unfinished.restore);
    assert.equal(record.backup, '20261201T110000Z');
    assert.equal(record.done, true);
  } finally {
    await cps.stop();
  }
});
