// The CLI side of the etcd control folder (src/lifecycle/etcd-control.ts) on the memory store, with the control plane
// played by test/helpers/etcd-control-responder.ts (the real script against a real etcd is
// test/integration/etcd-control.test.ts): what happens to a command already in the slot, a failed answer, an answer
// whose result object never arrived, a command nobody takes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Cluster } from '../../src/api/index.js';
import { withDefaults } from '../../src/api/defaults.js';
import { backupThroughControlPlanes, claimKey, commandKey, resultKey, runControlCommand, snapshotWaitFromEnv } from '../../src/lifecycle/etcd-control.js';
import { ConflictError, InvalidInputError, OperationError } from '../../src/core/errors.js';
import { RecordingIo } from '../../src/core/io.js';
import { MemoryBlobStore } from '../../src/state/memory.js';
import { carryOut, pollControlOnce } from '../helpers/etcd-control-responder.js';

const NAME = 'demo.k8s.local';
const cluster = (): Cluster => withDefaults({ metadata: { name: NAME }, spec: { zones: ['us-east-2a'], etcd: { backups: { schedule: 'off', retain: 2 } } } } as any);
const deps = (store: MemoryBlobStore, io = new RecordingIo(), waitMs = 5000) => ({ store, cluster: cluster(), io, by: 'ops@laptop', waitMs, pollMs: 20 });
const json = async (store: MemoryBlobStore, key: string) => JSON.parse((await store.get(key))!.data.toString('utf8'));

/** Answers the next command (not `previous`) as soon as it is there (a control plane polling often). */
function answerSoon(store: MemoryBlobStore, answer: (store: MemoryBlobStore) => Promise<unknown> = (s) => pollControlOnce(s, NAME), previous?: string): Promise<void> {
  return (async () => {
    for (let i = 0; i < 200; i++) {
      const current = await store.get(commandKey(NAME));
      if (current && JSON.parse(current.data.toString('utf8')).id !== previous) {
        await answer(store);
        return;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('no command appeared');
  })();
}

test('an open restore command blocks every new command (exit 3); once answered, the slot is taken over with compare-and-swap', async () => {
  const store = new MemoryBlobStore();
  const restore = { v: 1, id: '20261201T120000Z-0badc0de', action: 'restore', backup: '20261201T110000Z', sha256: 'a'.repeat(64), requested: new Date().toISOString(), notAfter: Math.floor(Date.now() / 1000) + 600, by: 'someone' };
  await store.put(commandKey(NAME), JSON.stringify(restore));
  await assert.rejects(runControlCommand(deps(store), { action: 'backup' }), (e: unknown) => e instanceof ConflictError && e.exitCode === 3 && /restore command 20261201T120000Z-0badc0de .* is still open/.test(e.message));
  assert.equal((await json(store, commandKey(NAME))).id, restore.id, 'the open command was overwritten');

  // The restore is answered: the next backup replaces the finished command.
  await store.put(resultKey(NAME, restore.id), JSON.stringify({ command: restore.id, action: 'restore', status: 'done', backup: restore.backup, node: 'cp', time: '', message: '' }));
  const io = new RecordingIo();
  const [manifest] = await Promise.all([backupThroughControlPlanes(deps(store, io)), answerSoon(store, undefined, restore.id)]);
  const command = await json(store, commandKey(NAME));
  assert.notEqual(command.id, restore.id);
  assert.equal(manifest.command, command.id);
  assert.deepEqual(io.events.map((e) => e.code), ['etcd.control.requested', 'etcd.backup.stored']);
});

test('a failed answer is exit 1 with the control plane\'s message; a command without result but with its backup in the store is answered', async () => {
  const store = new MemoryBlobStore();
  const failing = answerSoon(store, async (s) => {
    const c = await json(s, commandKey(NAME));
    await s.put(claimKey(NAME, c.id), JSON.stringify({ command: c.id, node: 'ip-10-0-1-7', nonce: '1' }), { ifNoneMatch: true });
    await s.put(resultKey(NAME, c.id), JSON.stringify({ command: c.id, action: 'backup', status: 'failed', backup: '', node: 'ip-10-0-1-7', time: '', message: 'etcd does not answer at https://127.0.0.1:2379: no backup' }));
  });
  await assert.rejects(backupThroughControlPlanes(deps(store)), (e: unknown) => e instanceof OperationError && e.exitCode === 1 && /ip-10-0-1-7 could not back up etcd of demo\.k8s\.local: etcd does not answer/.test(e.message));
  await failing;

  // The control plane uploaded the backup but could not write result.json: its manifest names the command.
  const store2 = new MemoryBlobStore();
  const uploadedOnly = answerSoon(store2, async (s) => {
    await pollControlOnce(s, NAME);
    const c = await json(s, commandKey(NAME));
    await s.delete(resultKey(NAME, c.id));
  });
  const manifest = await backupThroughControlPlanes(deps(store2, new RecordingIo(), 1500));
  await uploadedOnly;
  assert.equal(manifest.command, (await json(store2, commandKey(NAME))).id);
});

test('a command a control plane took but never answered: exit 1 naming it; a re-run waits for that command instead of asking again', async () => {
  const store = new MemoryBlobStore();
  const claimedOnly = answerSoon(store, async (s) => {
    const c = await json(s, commandKey(NAME));
    await s.put(claimKey(NAME, c.id), JSON.stringify({ command: c.id, node: 'ip-10-0-1-7', nonce: '1', time: new Date().toISOString() }), { ifNoneMatch: true });
  });
  await assert.rejects(backupThroughControlPlanes(deps(store, new RecordingIo(), 1000)), (e: unknown) => e instanceof OperationError && (e as OperationError).code === 'EtcdCommandUnfinished' && /ip-10-0-1-7 took etcd backup command/.test(e.message));
  await claimedOnly;
  const first = await json(store, commandKey(NAME));

  // Taken within the hour and not answered: the next run waits for it (past its notAfter: the control plane already
  // has it), and the claimer's answer arrives for that command.
  assert.ok(Date.now() / 1000 >= first.notAfter, 'the first run waited to its notAfter');
  const io = new RecordingIo();
  const answering = (async () => {
    await new Promise((r) => setTimeout(r, 100));
    await carryOut(store, NAME, first, 'ip-10-0-1-7');
  })();
  const manifest = await backupThroughControlPlanes({ ...deps(store, io), waitMs: 5000 });
  await answering;
  assert.equal(io.events[0].code, 'etcd.control.adopted');
  assert.equal(manifest.command, first.id);
  assert.equal((await json(store, commandKey(NAME))).id, first.id, 'a second command was written');

  // A claim older than an hour without an answer is abandoned: the next run asks anew.
  const stale = new MemoryBlobStore();
  const old = { v: 1, id: '20261201T100000Z-0000abcd', action: 'restore', requested: '2026-12-01T10:00:00Z', notAfter: Math.floor(Date.now() / 1000) - 7200, by: 'someone' };
  await stale.put(commandKey(NAME), JSON.stringify(old));
  await stale.put(claimKey(NAME, old.id), JSON.stringify({ command: old.id, node: 'gone', nonce: '2', time: new Date(Date.now() - 2 * 3600_000).toISOString() }));
  const [fresh] = await Promise.all([backupThroughControlPlanes(deps(stale)), answerSoon(stale, undefined, old.id)]);
  assert.notEqual(fresh.command, old.id);
});

test('K8SUP_ETCD_SNAPSHOT_WAIT: a duration, or exit 2', () => {
  assert.equal(snapshotWaitFromEnv({}), undefined);
  assert.equal(snapshotWaitFromEnv({ K8SUP_ETCD_SNAPSHOT_WAIT: '90s' }), 90_000);
  assert.throws(() => snapshotWaitFromEnv({ K8SUP_ETCD_SNAPSHOT_WAIT: 'soon' }), (e: unknown) => e instanceof InvalidInputError && e.exitCode === 2);
});
