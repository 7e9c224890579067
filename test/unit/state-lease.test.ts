// The lease lock's waiting and takeover rules, on the memory store with real timers, and the local process checks
// the CLI gives it (real processes, real /proc).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { lockHolderIsGone, ownIdentity, processStartTime } from '../../src/cli/local-process.js';
import { ConflictError, OperationError } from '../../src/core/errors.js';
import { RecordingIo } from '../../src/core/io.js';
import { ClusterLockedError, ClusterStore, holderName } from '../../src/state/cluster-store.js';
import type { BlobStore } from '../../src/state/blob.js';
import { MemoryBlobStore } from '../../src/state/memory.js';

const holder = { owner: 'alice@box', host: 'box', pid: 100, command: 'update cluster', ttlMs: 60_000, renewEveryMs: 0 };

/** Counts reads of lock.json: each poll for a held lock is one. */
function countingStore(inner: BlobStore): { store: BlobStore; lockReads: () => number } {
  let reads = 0;
  const store = Object.create(inner) as BlobStore;
  store.get = (key) => {
    if (key.endsWith('/lock.json')) reads++;
    return inner.get(key);
  };
  return { store, lockReads: () => reads };
}

describe('lease: waiting for a held lock (--lock-timeout)', () => {
  it('waits, polling a bounded number of times, and takes the lock as soon as it is released', async () => {
    const mem = new MemoryBlobStore();
    const first = await new ClusterStore(mem, 'c').acquireLock(holder);
    const { store, lockReads } = countingStore(mem);
    const io = new RecordingIo();
    setTimeout(() => void first.release(), 2000);
    const t0 = performance.now();
    const lease = await new ClusterStore(store, 'c').acquireLock({ ...holder, owner: 'bob@box', waitMs: 30_000, io });
    const waited = performance.now() - t0;
    assert.ok(waited >= 1900 && waited < 7000, `took the lock ${Math.round(waited)} ms after asking`);
    assert.equal(lease.record.owner, 'bob@box');
    // 0.5 s, 1 s, 2 s … ceilings with jitter: a handful of reads for 2 s, not a busy loop.
    assert.ok(lockReads() >= 2 && lockReads() <= 6, `${lockReads()} reads of lock.json`);
    const waits = io.events.filter((e) => e.code === 'state.lock.wait');
    assert.equal(waits.length, 1, 'the wait is announced once');
    assert.match(waits[0].message, /locked by alice@box \(pid 100, "update cluster"\); waiting up to 30 s/);
    await lease.release();
  });

  it('gives up after the timeout with ClusterLockedError (exit 3) that says how long it waited', async () => {
    const mem = new MemoryBlobStore();
    await new ClusterStore(mem, 'c').acquireLock(holder);
    const t0 = performance.now();
    await assert.rejects(new ClusterStore(mem, 'c').acquireLock({ ...holder, owner: 'bob@box', waitMs: 1200 }), (e: unknown) => {
      assert.ok(e instanceof ClusterLockedError);
      assert.equal(e.exitCode, 3);
      assert.match(e.message, /locked by alice@box .*\(waited 1\.\d s\)$/);
      return true;
    });
    const waited = performance.now() - t0;
    assert.ok(waited >= 1200 && waited < 3000, `gave up after ${Math.round(waited)} ms`);
  });

  it('without a timeout it fails at once; an abort stops a wait at once with the abort reason', async () => {
    const mem = new MemoryBlobStore();
    await new ClusterStore(mem, 'c').acquireLock(holder);
    const t0 = performance.now();
    await assert.rejects(new ClusterStore(mem, 'c').acquireLock({ ...holder, owner: 'bob@box' }), ClusterLockedError);
    assert.ok(performance.now() - t0 < 500);

    const abort = new AbortController();
    const reason = new Error('interrupted by SIGTERM');
    setTimeout(() => abort.abort(reason), 300);
    const t1 = performance.now();
    await assert.rejects(new ClusterStore(mem, 'c').acquireLock({ ...holder, owner: 'bob@box', waitMs: 60_000, signal: abort.signal }), (e) => e === reason);
    assert.ok(performance.now() - t1 < 1500, 'the wait ended with the abort, not the timeout');
    await assert.rejects(new ClusterStore(mem, 'c').acquireLock({ ...holder, owner: 'bob@box', signal: abort.signal }), (e) => e === reason, 'an aborted run takes no lock');
  });
});

describe('lease: a holder that no longer exists on this host', () => {

  it('is taken over at once, with a warning naming it, when host and pid namespace match', async () => {
    const mem = new MemoryBlobStore();
    await new ClusterStore(mem, 'c').acquireLock({ ...holder, pidNamespace: 'boot/pid:[1]', startTime: '42' });
    const stored = (await new ClusterStore(mem, 'c').lockInfo())!;
    assert.equal(stored.startTime, '42', 'the start time is recorded');
    const io = new RecordingIo();
    const asked: unknown[] = [];
    const lease = await new ClusterStore(mem, 'c').acquireLock({ ...holder, owner: 'bob@box', pid: 200, pidNamespace: 'boot/pid:[1]', io, holderIsGone: (h) => (asked.push(h.pid), true) });
    assert.deepEqual(asked, [100]);
    assert.equal((await new ClusterStore(mem, 'c').lockInfo())!.id, lease.id);
    const [warning] = io.events.filter((e) => e.code === 'state.lock.takeover');
    assert.equal(warning.level, 'warn');
    assert.match(warning.message, /from alice@box \(pid 100, "update cluster"\): that process no longer runs on this host/);
  });

  it('is never judged from another host or another pid namespace (a container with the same host name)', async () => {
    for (const other of [{ host: 'elsewhere' }, { pidNamespace: 'boot/pid:[2]' }]) {
      const mem = new MemoryBlobStore();
      await new ClusterStore(mem, 'c').acquireLock({ ...holder, pidNamespace: 'boot/pid:[1]' });
      let asked = false;
      const err = await new ClusterStore(mem, 'c').acquireLock({ ...holder, pidNamespace: 'boot/pid:[1]', ...other, holderIsGone: () => (asked = true) }).catch((e) => e);
      assert.ok(err instanceof ClusterLockedError, `${JSON.stringify(other)}: ${err}`);
      assert.equal(asked, false);
    }
  });

  it('a live holder keeps its lock', async () => {
    const mem = new MemoryBlobStore();
    await new ClusterStore(mem, 'c').acquireLock(holder);
    await assert.rejects(new ClusterStore(mem, 'c').acquireLock({ ...holder, holderIsGone: () => false }), ClusterLockedError);
  });
});

/**
 * A write that lands and is then reported as a transport failure: a lost reply whose retries ran out (the store's
 * budget is 8 attempts, about half a minute of outage). The lock object now holds what this run wrote.
 */
function landsThenFails(inner: BlobStore): { store: BlobStore; armNextLockWrite: () => void } {
  let armed = false;
  const store = Object.create(inner) as BlobStore;
  store.put = async (key, data, opts) => {
    const version = await inner.put(key, data, opts);
    if (armed && key.endsWith('/lock.json')) {
      armed = false;
      throw new OperationError(`S3 write of ${key} failed: socket hang up`);
    }
    return version;
  };
  return { store, armNextLockWrite: () => void (armed = true) };
}

describe('lease: a renewal that landed although its call failed', () => {
  it('the next renewal and the release recognise the lock by its id: still held, then removed', async () => {
    const mem = new MemoryBlobStore();
    const { store, armNextLockWrite } = landsThenFails(mem);
    let clock = Date.parse('2030-01-01T00:00:00Z');
    const cs = new ClusterStore(store, 'c', { now: () => clock });
    const lease = await cs.acquireLock(holder);
    clock += 20_000;
    armNextLockWrite();
    await assert.rejects(lease.renew(), OperationError);
    assert.equal(lease.held, true, 'a failed call is not a lost lock');
    clock += 20_000;
    await lease.renew();
    assert.equal(lease.held, true, 'the lock holds our id: nobody took it over');
    assert.equal((await cs.lockInfo())!.expiresAt, '2030-01-01T00:01:40.000Z', 'renewed from the latest renewal');
    lease.assertHeld();
    armNextLockWrite();
    await assert.rejects(lease.renew(), OperationError);
    await lease.release();
    assert.equal(await cs.lockInfo(), null, 'the release removed our lock rather than leaving it to expire');
  });

  it('taking the lock: a create or a takeover that landed although its call failed is the lease, not a lock left behind', async () => {
    for (const takeover of [false, true]) {
      const mem = new MemoryBlobStore();
      const { store, armNextLockWrite } = landsThenFails(mem);
      let clock = Date.parse('2030-01-01T00:00:00Z');
      const cs = new ClusterStore(store, 'c', { now: () => clock });
      if (takeover) {
        await new ClusterStore(mem, 'c', { now: () => clock }).acquireLock({ ...holder, owner: 'crashed@box', ttlMs: 1000 });
        clock += 1001;
      }
      armNextLockWrite();
      const lease = await cs.acquireLock(holder);
      assert.equal(lease.held, true, `takeover ${takeover}`);
      assert.equal((await cs.lockInfo())!.id, lease.id);
      await lease.renew();
      await lease.release();
      assert.equal(await cs.lockInfo(), null, `takeover ${takeover}: released`);
    }
  });

  it('a lock of another id is still another run\'s: the renewal reports the lease lost and the release keeps it', async () => {
    const mem = new MemoryBlobStore();
    let clock = Date.parse('2030-01-01T00:00:00Z');
    const cs = new ClusterStore(mem, 'c', { now: () => clock });
    const lease = await cs.acquireLock({ ...holder, ttlMs: 1000 });
    clock += 1001;
    const other = await new ClusterStore(mem, 'c', { now: () => clock }).acquireLock({ ...holder, owner: 'bob@box' });
    await assert.rejects(lease.renew(), ConflictError);
    await lease.release();
    assert.equal((await cs.lockInfo())!.id, other.id);
  });
});

describe('holderName', () => {
  it('prints owner@host once', () => {
    assert.equal(holderName({ owner: 'root@vm', host: 'vm' }), 'root@vm');
    assert.equal(holderName({ owner: 'alice', host: 'vm' }), 'alice@vm');
    assert.equal(holderName({ owner: 'alice@other', host: 'vm' }), 'alice@other@vm');
  });
});

describe('local processes (Linux /proc)', () => {
  it('a process that exited is gone; a running one is not, unless its pid now has another start time', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    await new Promise((r) => child.once('spawn', r));
    const pid = child.pid!;
    const started = processStartTime(pid);
    assert.match(started ?? '', /^\d+$/);
    // The child started after this process: field 22 counts clock ticks since boot.
    assert.ok(Number(started) >= Number(processStartTime(process.pid)), `${started} vs ${processStartTime(process.pid)}`);
    assert.equal(lockHolderIsGone({ pid, startTime: started }), false);
    assert.equal(lockHolderIsGone({ pid }), false);
    assert.equal(lockHolderIsGone({ pid, startTime: String(Number(started) + 1) }), true, 'a reused pid');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.equal(lockHolderIsGone({ pid, startTime: started }), true);
    assert.equal(lockHolderIsGone({ pid: 0 }), false, 'no pid: cannot tell');
    const self = ownIdentity(process.pid);
    assert.match(self.pidNamespace ?? '', /^[0-9a-f-]{36}\/pid:\[\d+\]$/);
    assert.equal(self.startTime, processStartTime(process.pid));
  });
});
