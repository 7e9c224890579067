// The bare-metal host inventory (providers/metal/inventory.ts) on an in-memory BlobStore: concurrent records are all
// kept (compare-and-swap), renames are not removals, a corrupt object is a clear error.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HostSpec } from '../../src/api/types.js';
import { ConflictError, OperationError } from '../../src/core/errors.js';
import { ClusterStore } from '../../src/state/cluster-store.js';
import { MemoryBlobStore } from '../../src/state/memory.js';
import { HostInventory, retiredHosts } from '../../providers/metal/inventory.js';
import { providerState } from '../../src/lifecycle/provider-state.js';

const host = (name: string, address: string, role: HostSpec['role'] = 'worker'): HostSpec => ({ name, address, port: 22, user: 'root', role });

test('hosts recorded at the same time are all kept; forget removes one', async () => {
  const store = new MemoryBlobStore('memory://inv');
  const inv = new HostInventory(providerState(store, 'lab.k8s.local'), 'lab.k8s.local');
  await Promise.all(Array.from({ length: 12 }, (_, i) => inv.remember(`w${i}`, host(`w${i}`, `10.0.0.${i + 1}`))));
  assert.equal(Object.keys(await inv.load()).length, 12);
  await inv.forget('w3');
  await inv.forget('w3');
  const left = await inv.load();
  assert.equal(Object.keys(left).length, 11);
  assert.equal(left.w3, undefined);
  assert.deepEqual(left.w4, host('w4', '10.0.0.5'));
  assert.ok((await store.get('lab.k8s.local/metal-hosts.json')) !== null);
});

test('a rename (same address and port) replaces the old entry and is not a removed host', async () => {
  const inv = new HostInventory(providerState(new MemoryBlobStore('memory://inv'), 'c'), 'c');
  await inv.remember('old', host('old', '10.0.0.1'));
  await inv.remember('w2', host('w2', '10.0.0.2'));
  await inv.remember('new', host('new', '10.0.0.1'));
  assert.deepEqual(Object.keys(await inv.load()).sort(), ['new', 'w2']);

  const current = new Map([['new', host('new', '10.0.0.1')]]);
  const retired = retiredHosts({ old: host('old', '10.0.0.1'), w2: host('w2', '10.0.0.2'), new: host('new', '10.0.0.1') }, current);
  assert.deepEqual([...retired.keys()], ['w2']);
});

test('a corrupt inventory is an error naming the object; no store means nothing remembered', async () => {
  const store = new MemoryBlobStore('memory://inv');
  await store.put('c/metal-hosts.json', '{"hosts": [1]}');
  await assert.rejects(new HostInventory(providerState(store, 'c'), 'c').load(), (e: unknown) => e instanceof OperationError && /c\/metal-hosts\.json is corrupt/.test(e.message));
  const none = new HostInventory(undefined, 'c');
  await none.remember('a', host('a', '10.0.0.1'));
  assert.deepEqual(await none.load(), {});
});

test('the inventory is written through the lease-fenced ClusterStore: once the run lost its lock, it writes nothing', async () => {
  const store = new MemoryBlobStore('memory://inv');
  let clock = Date.parse('2026-12-01T12:00:00Z');
  const cs = new ClusterStore(store, 'lab.k8s.local', { now: () => clock });
  const lease = await cs.acquireLock({ owner: 'ann', host: 'box', pid: 1, command: 'update cluster', ttlMs: 60_000, renewEveryMs: 0 });
  // The provider's handle is made apart from the ClusterStore that took the lock (create connects before locking).
  const inv = new HostInventory(providerState(store, 'lab.k8s.local'), 'lab.k8s.local');
  await inv.remember('w1', host('w1', '10.0.0.1'));
  clock += 61_000;
  await assert.rejects(inv.remember('w2', host('w2', '10.0.0.2')), (e: unknown) => e instanceof ConflictError && /expired/.test(e.message));
  assert.deepEqual(Object.keys(await inv.load()), ['w1'], 'nothing written after the lease expired');
  await lease.release().catch(() => undefined);
});

test('the provider sees the cluster state only through its narrow handle: no raw store in ConnectOptions', async () => {
  const state = providerState(new MemoryBlobStore('memory://inv'), 'lab.k8s.local');
  assert.deepEqual(Object.keys(state).sort(), ['getObject', 'location', 'readEncryptionConfig', 'readPki', 'updateObject']);
  assert.equal(state.location, null, 'an in-memory store has no URL scheme of its own');
  assert.equal(providerState(new MemoryBlobStore('s3://bucket/team'), 'c').location?.scheme, 's3');
});
