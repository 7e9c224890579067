// ONE conformance suite for every BlobStore backend (memory, file, s3, later gs): compare-and-swap, list, delete,
// and the ClusterStore built on top (revisions, lease lock, objects, journal). Backend-specific checks (file modes,
// SSE headers) live in the backend's own test file.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { ConflictError, InvalidInputError, NotFoundError } from '../../src/core/errors.js';
import { newWriteToken, PreconditionFailedError, type BlobStore, type PutOptions } from '../../src/state/blob.js';
import { casUpdate } from '../../src/state/cas.js';
import { ClusterLockedError, ClusterStore } from '../../src/state/cluster-store.js';

const lockOpts = (owner: string, extra: Partial<Parameters<ClusterStore['acquireLock']>[0]> = {}) => ({
  owner,
  host: `${owner}-host`,
  pid: 4242,
  command: 'k8sup replace -f cluster.yaml',
  ttlMs: 60_000,
  renewEveryMs: 0,
  ...extra,
});

async function rejectsWith(p: Promise<unknown>, cls: abstract new (...a: any[]) => Error): Promise<Error> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    return e as Error;
  }
  assert.fail(`expected ${cls.name}, but it resolved`);
}

/**
 * A transport fault: the server (or the filesystem) applied a write, and the reply never reached the client, which
 * then retried it. S3 and GCS tests lose the reply for real (a proxy or the fake resets the connection after the
 * server ran the request, and the client's own retry follows); file and memory have no wire, so `replayingStore`
 * plays the same sequence: the write lands, then the very same write (same token) is sent again.
 */
export interface LostReplies {
  /** The next write of a key ending in `keySuffix` is applied, then its reply is lost (and the client retries it). */
  dropNextReply(op: 'put' | 'delete', keySuffix: string): void;
  /** How many replies were lost so far. */
  dropped(): number;
}

/** file / memory: replays an armed write with the same write token, as a client retrying after a lost reply does. */
export function replayingStore(inner: BlobStore): { store: BlobStore; faults: LostReplies } {
  const armed: { op: 'put' | 'delete'; keySuffix: string }[] = [];
  let dropped = 0;
  const take = (op: 'put' | 'delete', key: string) => {
    const i = armed.findIndex((a) => a.op === op && key.endsWith(a.keySuffix));
    return i >= 0 ? armed.splice(i, 1).length > 0 : false;
  };
  const store: BlobStore = {
    url: inner.url,
    get: (key) => inner.get(key),
    list: (prefix) => inner.list(prefix),
    async put(key: string, data: Buffer | string, opts: PutOptions = {}) {
      if (!take('put', key)) return inner.put(key, data, opts);
      const replay = { ...opts, writeToken: opts.writeToken ?? newWriteToken() };
      await inner.put(key, data, replay);
      dropped++;
      return inner.put(key, data, replay);
    },
    async delete(key: string, opts: { ifMatch?: string } = {}) {
      if (!take('delete', key)) return inner.delete(key, opts);
      await inner.delete(key, opts);
      dropped++;
      return inner.delete(key, opts);
    },
  };
  return { store, faults: { dropNextReply: (op, keySuffix) => void armed.push({ op, keySuffix }), dropped: () => dropped } };
}

/**
 * A backend that cannot recognise its own write: the first armed put lands and is then reported as a lost
 * compare-and-swap. Read-modify-write callers (the journal) must not apply their change twice.
 */
function ownWriteReportedAsConflict(inner: BlobStore, keySuffix: string): BlobStore {
  let armed = true;
  return {
    url: inner.url,
    get: (key) => inner.get(key),
    list: (prefix) => inner.list(prefix),
    delete: (key, opts) => inner.delete(key, opts),
    async put(key, data, opts) {
      const version = await inner.put(key, data, opts);
      if (armed && key.endsWith(keySuffix)) {
        armed = false;
        throw new PreconditionFailedError(key);
      }
      return version;
    },
  };
}

/**
 * Registers the suite. `makeStore` must return a fresh, empty store each call; `makeFaultyStore` (optional) one whose
 * writes can lose their replies after they were applied.
 */
export function blobStoreConformance(
  backend: string,
  makeStore: () => Promise<BlobStore>,
  makeFaultyStore?: () => Promise<{ store: BlobStore; faults: LostReplies }>,
): void {
  if (makeFaultyStore) lostReplyConformance(backend, makeStore, makeFaultyStore);
  describe(`BlobStore conformance: ${backend}`, () => {
    it('get of a missing key is null; put/get round-trips bytes exactly', async () => {
      const s = await makeStore();
      assert.equal(await s.get('c/missing.json'), null);
      const bytes = Buffer.from([0, 1, 2, 255, 10, 13, 0x80]);
      const v = await s.put('c/bin', bytes);
      const got = await s.get('c/bin');
      assert.ok(got && typeof got.version === 'string' && got.version.length > 0);
      assert.deepEqual(got.data, bytes);
      assert.equal(got.version, v);
      await s.put('c/text', 'héllo\n');
      assert.equal((await s.get('c/text'))!.data.toString('utf8'), 'héllo\n');
    });

    it('the version changes when the content changes', async () => {
      const s = await makeStore();
      const v1 = await s.put('k/a', 'one');
      const v2 = await s.put('k/a', 'two');
      assert.notEqual(v1, v2);
      assert.equal((await s.get('k/a'))!.version, v2);
    });

    it('ifNoneMatch creates once; a second create fails with PreconditionFailedError (exit 3) and keeps the first', async () => {
      const s = await makeStore();
      await s.put('k/once', 'first', { ifNoneMatch: true });
      const err = await rejectsWith(s.put('k/once', 'second', { ifNoneMatch: true }), PreconditionFailedError);
      assert.ok(err instanceof ConflictError);
      assert.equal((err as ConflictError).exitCode, 3);
      assert.equal((await s.get('k/once'))!.data.toString(), 'first');
    });

    it('ifMatch writes only over the expected version; a stale or missing version fails', async () => {
      const s = await makeStore();
      const v1 = await s.put('k/cas', 'v1');
      const v2 = await s.put('k/cas', 'v2', { ifMatch: v1 });
      await rejectsWith(s.put('k/cas', 'stale', { ifMatch: v1 }), PreconditionFailedError);
      assert.equal((await s.get('k/cas'))!.data.toString(), 'v2');
      await s.put('k/cas', 'v3', { ifMatch: v2 });
      assert.equal((await s.get('k/cas'))!.data.toString(), 'v3');
      await rejectsWith(s.put('k/nothing-here', 'x', { ifMatch: v1 }), PreconditionFailedError);
      assert.equal(await s.get('k/nothing-here'), null);
    });

    it('delete: missing key is fine; ifMatch deletes only the expected version', async () => {
      const s = await makeStore();
      await s.delete('k/never');
      const v1 = await s.put('k/del', 'a');
      const v2 = await s.put('k/del', 'b');
      await rejectsWith(s.delete('k/del', { ifMatch: v1 }), PreconditionFailedError);
      assert.equal((await s.get('k/del'))!.data.toString(), 'b');
      await s.delete('k/del', { ifMatch: v2 });
      assert.equal(await s.get('k/del'), null);
      await rejectsWith(s.delete('k/del', { ifMatch: v2 }), PreconditionFailedError);
      await s.put('k/plain', 'x');
      await s.delete('k/plain');
      assert.equal(await s.get('k/plain'), null);
      assert.deepEqual(await s.list('k/'), []);
    });

    it('list is recursive, sorted, and respects the prefix exactly', async () => {
      const s = await makeStore();
      assert.deepEqual(await s.list(''), []);
      for (const k of ['a/z.json', 'a/b/c.yaml', 'a/b/a.yaml', 'ab/x', 'b/y']) await s.put(k, k);
      assert.deepEqual(await s.list(''), ['a/b/a.yaml', 'a/b/c.yaml', 'a/z.json', 'ab/x', 'b/y']);
      assert.deepEqual(await s.list('a/'), ['a/b/a.yaml', 'a/b/c.yaml', 'a/z.json']);
      assert.deepEqual(await s.list('a'), ['a/b/a.yaml', 'a/b/c.yaml', 'a/z.json', 'ab/x']);
      assert.deepEqual(await s.list('a/b/'), ['a/b/a.yaml', 'a/b/c.yaml']);
      assert.deepEqual(await s.list('a/b/c'), ['a/b/c.yaml']);
      assert.deepEqual(await s.list('nope/'), []);
    });

    it('rejects keys that could escape the store or collide with internal files', async () => {
      const s = await makeStore();
      for (const bad of ['', '../x', 'a/../b', '/abs', 'a//b', '.hidden', 'a/.lock', 'a/b/']) {
        await rejectsWith(s.put(bad, 'x'), InvalidInputError);
        await rejectsWith(s.get(bad), InvalidInputError);
      }
    });

    it('20 concurrent create-only writes of one key: exactly one wins', async () => {
      const s = await makeStore();
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => s.put('race/one', `w${i}`, { ifNoneMatch: true })));
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof PreconditionFailedError);
    });

    it('12 concurrent CAS increments of one counter: no lost update', async () => {
      const s = await makeStore();
      await Promise.all(
        Array.from({ length: 12 }, () =>
          casUpdate(s, 'race/counter', (cur) => String(Number(cur?.toString() ?? '0') + 1), { backoffMs: 10, maxAttempts: 200 }),
        ),
      );
      assert.equal((await s.get('race/counter'))!.data.toString(), '12');
    });
  });

  describe(`ClusterStore conformance: ${backend}`, () => {
    const spec = (n: number) => `# my spec, kept verbatim\napiVersion: k8sup.io/v1alpha1\nkind: Cluster\nmetadata: {name: demo.k8s.local}\nspec:\n  nodes: ${n}   # trailing comment ✓\n`;

    it('revisions: create, latest, history, exact text, numbered keys', async () => {
      const s = await makeStore();
      const c = new ClusterStore(s, 'demo.k8s.local', { now: () => Date.parse('2030-01-02T03:04:05Z') });
      assert.equal(await c.latest(), null);
      assert.deepEqual(await c.revisions(), []);
      assert.equal(await c.writeRevision(spec(1), { expectedRevision: 0, author: 'alice', message: 'create\nwith newline' }), 1);
      assert.equal(await c.writeRevision(spec(2), { expectedRevision: 1, author: 'bob' }), 2);
      const noNewline = 'kind: Cluster\nspec: {nodes: 3}';
      assert.equal(await c.writeRevision(noNewline, { expectedRevision: 2, author: 'carol' }), 3);

      const latest = await c.latest();
      assert.equal(latest!.revision, 3);
      assert.equal(latest!.yaml, noNewline);
      assert.equal((await c.revision(1))!.yaml, spec(1));
      assert.equal((await c.revision(2))!.yaml, spec(2));
      assert.equal(await c.revision(4), null);
      assert.deepEqual(await c.revisions(), [
        { revision: 1, createdAt: '2030-01-02T03:04:05.000Z', author: 'alice', message: 'create\nwith newline' },
        { revision: 2, createdAt: '2030-01-02T03:04:05.000Z', author: 'bob' },
        { revision: 3, createdAt: '2030-01-02T03:04:05.000Z', author: 'carol' },
      ]);
      assert.deepEqual(await s.list('demo.k8s.local/revisions/'), [
        'demo.k8s.local/revisions/000001.yaml',
        'demo.k8s.local/revisions/000002.yaml',
        'demo.k8s.local/revisions/000003.yaml',
      ]);
      // The stored object is itself valid YAML: the metadata header is a comment.
      const raw = (await s.get('demo.k8s.local/revisions/000002.yaml'))!.data.toString();
      assert.deepEqual(parseYaml(raw), parseYaml(spec(2)));
    });

    it('writeRevision refuses a stale base and an existing cluster with ConflictError, writing nothing', async () => {
      const s = await makeStore();
      const c = new ClusterStore(s, 'demo');
      await c.writeRevision(spec(1), { expectedRevision: 0, author: 'a' });
      await c.writeRevision(spec(2), { expectedRevision: 1, author: 'a' });
      const stale = await rejectsWith(c.writeRevision(spec(9), { expectedRevision: 1, author: 'b' }), ConflictError);
      assert.match(stale.message, /revision 2.*revision 1/);
      const exists = await rejectsWith(c.writeRevision(spec(9), { expectedRevision: 0, author: 'b' }), ConflictError);
      assert.match(exists.message, /already exists/);
      assert.deepEqual(await c.revisionNumbers(), [1, 2]);
    });

    it('6 writers racing from the same base: exactly one new revision', async () => {
      const s = await makeStore();
      const c = new ClusterStore(s, 'race');
      await c.writeRevision(spec(0), { expectedRevision: 0, author: 'seed' });
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) => new ClusterStore(s, 'race').writeRevision(spec(100 + i), { expectedRevision: 1, author: `w${i}` })),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof ConflictError, String(r.reason));
      assert.deepEqual(await c.revisionNumbers(), [1, 2]);
      const winner = results.findIndex((r) => r.status === 'fulfilled');
      assert.equal((await c.latest())!.yaml, spec(100 + winner));
    });

    it('listClusters names clusters that have revisions, not ones that only hold a lock', async () => {
      const s = await makeStore();
      await new ClusterStore(s, 'b.example').writeRevision('x: 1\n', { expectedRevision: 0, author: 'a' });
      await new ClusterStore(s, 'a.example').writeRevision('x: 1\n', { expectedRevision: 0, author: 'a' });
      const half = await new ClusterStore(s, 'c.example').acquireLock(lockOpts('z'));
      assert.deepEqual(await ClusterStore.listClusters(s), ['a.example', 'b.example']);
      await half.release();
    });

    it('lock: a live lock refuses others naming the holder; release frees it', async () => {
      const s = await makeStore();
      const c = new ClusterStore(s, 'locked');
      const lease = await c.acquireLock(lockOpts('alice'));
      const info = await c.lockInfo();
      assert.equal(info!.id, lease.id);
      assert.equal(info!.owner, 'alice');
      assert.equal(info!.host, 'alice-host');
      assert.equal(info!.pid, 4242);
      assert.equal(info!.expired, false);
      const err = await rejectsWith(c.acquireLock(lockOpts('bob')), ClusterLockedError);
      assert.equal((err as ClusterLockedError).exitCode, 3);
      assert.match(err.message, /alice@alice-host/);
      assert.match(err.message, /pid 4242/);
      assert.ok(err.message.includes(lease.id) && err.message.includes(info!.acquiredAt));
      assert.equal((err as ClusterLockedError).hint, `Wait for that run to finish. If it is no longer running: k8sup unlock cluster locked --lock-id ${lease.id}`);
      await lease.release();
      assert.equal(await c.lockInfo(), null);
      const again = await c.acquireLock(lockOpts('bob'));
      assert.equal((await c.lockInfo())!.owner, 'bob');
      await again.release();
    });

    it('lock: an expired lock is taken over; the old holder can neither renew nor delete it', async () => {
      const s = await makeStore();
      let clock = Date.parse('2030-01-01T00:00:00Z');
      const c = new ClusterStore(s, 'expiring', { now: () => clock });
      const old = await c.acquireLock(lockOpts('crashed', { ttlMs: 1000 }));
      clock += 999;
      await rejectsWith(c.acquireLock(lockOpts('early')), ClusterLockedError);
      clock += 2;
      assert.equal((await c.lockInfo())!.expired, true);
      const fresh = await c.acquireLock(lockOpts('newcomer'));
      assert.equal((await c.lockInfo())!.owner, 'newcomer');
      await rejectsWith(old.renew(), ConflictError);
      assert.equal(old.held, false);
      assert.throws(() => old.assertHeld(), ConflictError);
      await old.release(); // must not delete the newcomer's lock
      assert.equal((await c.lockInfo())!.id, fresh.id);
      await rejectsWith(c.writeRevision('a: 1\n', { expectedRevision: 0, author: 'crashed', lease: old }), ConflictError);
      assert.equal(await c.writeRevision('a: 1\n', { expectedRevision: 0, author: 'newcomer', lease: fresh }), 1);
      await fresh.release();
      assert.equal(await c.lockInfo(), null);
    });

    it('lock: renew moves the expiry forward; the keep-alive timer renews by itself and stops on release', async () => {
      const s = await makeStore();
      let clock = Date.parse('2030-01-01T00:00:00Z');
      const c = new ClusterStore(s, 'renew', { now: () => clock });
      const lease = await c.acquireLock(lockOpts('a', { ttlMs: 10_000 }));
      clock += 5000;
      await lease.renew();
      assert.equal((await c.lockInfo())!.expiresAt, '2030-01-01T00:00:15.000Z');
      await lease.release();

      const real = new ClusterStore(s, 'keepalive');
      const kept = await real.acquireLock(lockOpts('k', { ttlMs: 60_000, renewEveryMs: 40 }));
      const first = (await real.lockInfo())!.expiresAt;
      const deadline = Date.now() + 5000;
      while ((await real.lockInfo())!.expiresAt === first && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok((await real.lockInfo())!.expiresAt > first, 'keep-alive should have renewed the lock');
      await kept.release();
      assert.equal(kept.held, false);
      assert.equal(await real.lockInfo(), null);
      await kept.renew(); // after release a renew (from a late timer tick) must not resurrect the lock
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(await real.lockInfo(), null);
    });

    it('a ClusterStore whose lease expired or was lost refuses to write; after a normal release it writes again', async () => {
      const s = await makeStore();
      let clock = Date.parse('2030-01-01T00:00:00Z');
      const slow = new ClusterStore(s, 'guarded', { now: () => clock });
      const lease = await slow.acquireLock(lockOpts('slow', { ttlMs: 1000 }));
      assert.equal(await slow.writeRevision('a: 1\n', { expectedRevision: 0, author: 'slow' }), 1);
      clock += 1001; // expired locally: another run may already have taken over
      await rejectsWith(slow.writeRevision('a: 2\n', { expectedRevision: 1, author: 'slow' }), ConflictError);
      await rejectsWith(slow.putObject('cluster-info.json', '{}'), ConflictError);
      const other = new ClusterStore(s, 'guarded', { now: () => clock });
      const taken = await other.acquireLock(lockOpts('other'));
      await rejectsWith(lease.renew(), ConflictError);
      clock -= 1001; // even with time back inside the ttl, a lost lease stays lost
      await rejectsWith(slow.writeRevision('a: 2\n', { expectedRevision: 1, author: 'slow' }), ConflictError);
      assert.deepEqual(await slow.revisionNumbers(), [1]);
      assert.equal(await s.get('guarded/cluster-info.json'), null);
      await taken.release();
      const again = await slow.acquireLock(lockOpts('slow'));
      await again.release();
      assert.equal(await slow.writeRevision('a: 2\n', { expectedRevision: 1, author: 'slow' }), 2);
    });

    it('forceUnlock: wrong id is invalid input, no lock is NotFound, right id removes it and the holder loses it', async () => {
      const s = await makeStore();
      const c = new ClusterStore(s, 'stuck');
      await rejectsWith(c.forceUnlock('whatever'), NotFoundError);
      const lease = await c.acquireLock(lockOpts('gone'));
      const bad = await rejectsWith(c.forceUnlock('not-the-id'), InvalidInputError);
      assert.equal((bad as InvalidInputError).exitCode, 2);
      assert.ok((await c.lockInfo()) !== null);
      const removed = await c.forceUnlock(lease.id);
      assert.equal(removed.owner, 'gone');
      assert.equal(await c.lockInfo(), null);
      await rejectsWith(lease.renew(), ConflictError);
      const next = await c.acquireLock(lockOpts('next'));
      await lease.release();
      assert.equal((await c.lockInfo())!.id, next.id);
      await next.release();
    });

    it('objects: put/get with CAS options, reserved names refused, deleteAll removes only this cluster (lock last)', async () => {
      const s = await makeStore();
      const c = new ClusterStore(s, 'objs');
      const other = new ClusterStore(s, 'objs2');
      await other.writeRevision('o: 1\n', { expectedRevision: 0, author: 'a' });
      await c.writeRevision('a: 1\n', { expectedRevision: 0, author: 'a' });
      const v = await c.putObject('pki/ca.key', 'KEY', { secret: true, ifNoneMatch: true });
      await rejectsWith(c.putObject('pki/ca.key', 'KEY2', { ifNoneMatch: true }), PreconditionFailedError);
      await c.putObject('pki/ca.key', 'KEY3', { ifMatch: v });
      assert.equal((await c.getObject('pki/ca.key'))!.data.toString(), 'KEY3');
      await c.putObject('kubeconfig', 'kc');
      await c.journal.record({ id: 'vpc', kind: 'Vpc', cloudId: 'vpc-1', action: 'created', at: 'now' });
      for (const reserved of ['lock.json', 'applied.json', 'revisions/000009.yaml']) {
        await rejectsWith(c.putObject(reserved, 'x'), InvalidInputError);
      }
      const lease = await c.acquireLock(lockOpts('deleter'));
      await c.deleteAll({ lease });
      assert.deepEqual(await s.list('objs/'), []);
      assert.deepEqual(await ClusterStore.listClusters(s), ['objs2']);
      assert.deepEqual(await s.list('objs2/'), ['objs2/revisions/000001.yaml']);
    });

    it('deleteAll of cluster X leaves alone a store whose prefix is X (s3://b and s3://b/X): its clusters are not X\'s keys', async () => {
      const s = await makeStore();
      // Store "s3://b/team-a" holds demo.k8s.local (and a sub-team's store below it); store "s3://b" a cluster team-a.
      const nested = ['team-a/demo.k8s.local/revisions/000001.yaml', 'team-a/demo.k8s.local/pki/ca.key', 'team-a/demo.k8s.local/lock.json', 'team-a/sub/other/revisions/000002.yaml', 'team-a/sub/other/applied.json'];
      for (const k of nested) await s.put(k, k);
      const c = new ClusterStore(s, 'team-a');
      await c.writeRevision('a: 1\n', { expectedRevision: 0, author: 'a' });
      await c.putObject('pki/ca.key', 'KEY');
      await c.putObject('backups/etcd/20300101T000000Z/manifest.json', '{}');
      await c.journal.record({ id: 'vpc', kind: 'Vpc', cloudId: 'vpc-1', action: 'created', at: 'now' });
      const lease = await c.acquireLock(lockOpts('deleter'));
      await c.deleteAll({ lease });
      assert.deepEqual(await s.list('team-a/'), [...nested].sort());
      assert.equal(await c.latest(), null);
      assert.deepEqual(await c.ownKeys(), [], 'what is left is not the cluster\'s');
    });

    it('journal: concurrent records are all kept; clearJournal empties it', async () => {
      const s = await makeStore();
      const c = new ClusterStore(s, 'journal');
      assert.deepEqual(await c.journal.load(), []);
      const entries = Array.from({ length: 15 }, (_, i) => ({ id: `r${i}`, kind: 'K', cloudId: `c${i}`, action: 'created' as const, at: `t${i}` }));
      // Two ClusterStore instances model two runs writing the same journal.
      const second = new ClusterStore(s, 'journal');
      await Promise.all(entries.map((e, i) => (i % 2 ? second : c).journal.record(e)));
      const loaded = await c.journal.load();
      assert.deepEqual(loaded.map((e) => e.id).sort(), entries.map((e) => e.id).sort());
      await c.clearJournal();
      assert.deepEqual(await c.journal.load(), []);
    });

    it('rejects a cluster name that is not a safe DNS-1123 subdomain', () => {
      for (const bad of ['', 'Demo', '../x', 'a/b', '-a', 'a-']) {
        assert.throws(() => new ClusterStore(null as unknown as BlobStore, bad), InvalidInputError);
      }
    });
  });
}

function lostReplyConformance(
  backend: string,
  makeStore: () => Promise<BlobStore>,
  makeFaultyStore: () => Promise<{ store: BlobStore; faults: LostReplies }>,
): void {
  describe(`lost replies after the server applied the write: ${backend}`, () => {
    it('create-only: the retry finds its own object and succeeds with its version', async () => {
      const { store: s, faults } = await makeFaultyStore();
      const before = faults.dropped();
      faults.dropNextReply('put', 'k/created');
      const v = await s.put('k/created', 'mine', { ifNoneMatch: true });
      assert.equal(faults.dropped() - before, 1, 'the reply was really lost');
      const got = await s.get('k/created');
      assert.equal(got!.data.toString(), 'mine');
      assert.equal(got!.version, v);
      // The version returned is the real one: a CAS on it works.
      await s.put('k/created', 'next', { ifMatch: v });
    });

    it('compare-and-swap: the retry finds its own write and succeeds; a stale CAS after it still fails', async () => {
      const { store: s, faults } = await makeFaultyStore();
      const v1 = await s.put('k/swapped', 'v1', { ifNoneMatch: true });
      const before = faults.dropped();
      faults.dropNextReply('put', 'k/swapped');
      const v2 = await s.put('k/swapped', 'v2', { ifMatch: v1 });
      assert.equal(faults.dropped() - before, 1);
      assert.equal((await s.get('k/swapped'))!.version, v2);
      await rejectsWith(s.put('k/swapped', 'late', { ifMatch: v1 }), PreconditionFailedError);
      assert.equal((await s.get('k/swapped'))!.data.toString(), 'v2');
    });

    it('a lost reply never hides a real conflict: another writer\'s object still wins', async () => {
      const { store: s, faults } = await makeFaultyStore();
      await s.put('k/theirs', 'theirs', { ifNoneMatch: true });
      faults.dropNextReply('put', 'k/theirs');
      await rejectsWith(s.put('k/theirs', 'mine', { ifNoneMatch: true }), PreconditionFailedError);
      const v = (await s.get('k/theirs'))!.version;
      await s.put('k/theirs', 'theirs-2', { ifMatch: v });
      faults.dropNextReply('put', 'k/theirs');
      await rejectsWith(s.put('k/theirs', 'mine', { ifMatch: v }), PreconditionFailedError);
      assert.equal((await s.get('k/theirs'))!.data.toString(), 'theirs-2');
    });

    it('lock acquire, renew and release with lost replies: no self-lock, the lock is ours, then gone', async () => {
      const { store: s, faults } = await makeFaultyStore();
      const c = new ClusterStore(s, 'lossy');
      const before = faults.dropped();
      faults.dropNextReply('put', 'lossy/lock.json');
      const lease = await c.acquireLock(lockOpts('me'));
      assert.equal((await c.lockInfo())!.id, lease.id);
      faults.dropNextReply('put', 'lossy/lock.json');
      await lease.renew();
      assert.equal(lease.held, true);
      await lease.renew(); // the version the replayed renew returned is the real one
      faults.dropNextReply('delete', 'lossy/lock.json');
      await lease.release();
      assert.equal(await c.lockInfo(), null);
      assert.ok(faults.dropped() - before >= 2, 'the replies were really lost');
      const next = await c.acquireLock(lockOpts('next'));
      await next.release();
    });

    it('journal append with a lost reply: recorded exactly once', async () => {
      const { store: s, faults } = await makeFaultyStore();
      const c = new ClusterStore(s, 'journal-lossy');
      await c.journal.record({ id: 'vpc', kind: 'Vpc', cloudId: 'vpc-1', action: 'created', at: 't1' });
      const before = faults.dropped();
      faults.dropNextReply('put', 'journal-lossy/applied.json');
      await c.journal.record({ id: 'subnet', kind: 'Subnet', cloudId: 'subnet-1', action: 'created', at: 't2' });
      assert.equal(faults.dropped() - before, 1);
      assert.deepEqual((await c.journal.load()).map((e) => e.id), ['vpc', 'subnet']);
    });

    it('revision write with a lost reply: the revision is ours, not "another run wrote it first"', async () => {
      const { store: s, faults } = await makeFaultyStore();
      const c = new ClusterStore(s, 'rev-lossy');
      faults.dropNextReply('put', 'rev-lossy/revisions/000001.yaml');
      assert.equal(await c.writeRevision('a: 1\n', { expectedRevision: 0, author: 'me' }), 1);
      faults.dropNextReply('put', 'rev-lossy/revisions/000002.yaml');
      assert.equal(await c.writeRevision('a: 2\n', { expectedRevision: 1, author: 'me' }), 2);
      assert.deepEqual(await c.revisionNumbers(), [1, 2]);
    });

    it('journal: a landed append reported as a conflict is not appended again on the CAS retry', async () => {
      const c = new ClusterStore(ownWriteReportedAsConflict(await makeStore(), 'dup/applied.json'), 'dup');
      await c.journal.record({ id: 'role', kind: 'Role', cloudId: 'r-1', action: 'created', at: 't' });
      assert.deepEqual((await c.journal.load()).map((e) => e.id), ['role']);
    });
  });
}
