import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { ConflictError } from '../../src/core/errors.js';
import { ClusterStore } from '../../src/state/cluster-store.js';
import { FileBlobStore } from '../../src/state/file.js';
import { blobStoreConformance, replayingStore } from '../helpers/state-conformance.js';

const base = mkdtempSync(join(tmpdir(), 'k8sup-state-file-'));
after(() => rmSync(base, { recursive: true, force: true }));
let counter = 0;
function freshRoot(): string {
  // The root does not exist yet: the store must create it (0700) on first write.
  return join(base, `store-${++counter}`, 'state');
}
const storeAt = (root: string, opts = {}) => new FileBlobStore(root, pathToFileURL(root).href, opts);

blobStoreConformance('file', async () => storeAt(freshRoot()), async () => replayingStore(storeAt(freshRoot())));

/** Every path under `dir` (relative), folders with a trailing '/'. */
function walkAll(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? [`${prefix}${e.name}/`, ...walkAll(join(dir, e.name), `${prefix}${e.name}/`)] : [`${prefix}${e.name}`],
  );
}
/** The write records (`.NAME.write`, what makes replays idempotent) are kept on purpose; temp files and locks never. */
const WRITE_RECORD = /(^|\/)\.[^/]+\.write$/;
const walk = (dir: string) => walkAll(dir).filter((p) => !WRITE_RECORD.test(p));

describe('file store on disk', () => {
  it('writes 0600 files in 0700 folders (including the root it creates), and leaves no temp or lock files', async () => {
    const root = freshRoot();
    const c = new ClusterStore(storeAt(root), 'demo.k8s.local');
    await c.writeRevision('a: 1\n', { expectedRevision: 0, author: 'me' });
    await c.putObject('pki/ca.key', 'PRIVATE', { secret: true });
    await c.putObject('pki/ca.crt', 'CERT');
    await c.putObject('pki/ca.crt', 'CERT2');
    const lease = await c.acquireLock({ owner: 'me', host: 'h', pid: 1, command: 'x', ttlMs: 60_000, renewEveryMs: 0 });
    await lease.renew();
    await c.journal.record({ id: 'a', kind: 'K', cloudId: 'c', action: 'created', at: 't' });
    assert.equal(statSync(root).mode & 0o777, 0o700);
    assert.equal(statSync(join(root, '..')).mode & 0o777, 0o700, 'missing parents are created private too');
    const paths = walk(root);
    const records = walkAll(root).filter((p) => WRITE_RECORD.test(p));
    assert.ok(records.includes('demo.k8s.local/.lock.json.write'), String(records));
    for (const p of records) assert.equal(statSync(join(root, p)).mode & 0o777, 0o600);
    assert.deepEqual(paths.sort(), [
      'demo.k8s.local/',
      'demo.k8s.local/applied.json',
      'demo.k8s.local/kubeconfig',
      'demo.k8s.local/lock.json',
      'demo.k8s.local/pki/',
      'demo.k8s.local/pki/ca.crt',
      'demo.k8s.local/pki/ca.key',
      'demo.k8s.local/revisions/',
      'demo.k8s.local/revisions/000001.yaml',
    ].filter((p) => p !== 'demo.k8s.local/kubeconfig'));
    for (const p of paths) {
      const mode = statSync(join(root, p)).mode & 0o777;
      assert.equal(mode, p.endsWith('/') ? 0o700 : 0o600, `${p} has mode ${mode.toString(8)}`);
    }
    await lease.release();
  });

  it('deleteAll leaves no empty folders behind', async () => {
    const root = freshRoot();
    const c = new ClusterStore(storeAt(root), 'gone');
    await c.writeRevision('a: 1\n', { expectedRevision: 0, author: 'me' });
    await c.putObject('pki/etcd/ca.key', 'k', { secret: true });
    await c.deleteAll();
    assert.deepEqual(walkAll(root), [], 'write records go with their keys');
    // …and the store keeps working after its folders were pruned.
    assert.equal(await c.writeRevision('a: 2\n', { expectedRevision: 0, author: 'me' }), 1);
  });

  it('breaks a per-key lock left by a crashed process once it is stale', async () => {
    const root = freshRoot();
    const s = storeAt(root, { lockStaleMs: 2000, lockWaitMs: 10_000 });
    await s.put('c/obj', 'v1');
    const lockDir = join(root, 'c', '.obj.lock');
    mkdirSync(lockDir);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockDir, old, old);
    const started = Date.now();
    await s.put('c/obj', 'v2');
    assert.ok(Date.now() - started < 1000, 'a stale lock must be broken at once, not waited out');
    assert.equal((await s.get('c/obj'))!.data.toString(), 'v2');
    assert.deepEqual(walk(join(root, 'c')), ['obj']);
  });

  it('waits for a live per-key lock, and gives up with ConflictError after lockWaitMs', async () => {
    const root = freshRoot();
    const s = storeAt(root, { lockStaleMs: 60_000, lockWaitMs: 300 });
    await s.put('c/obj', 'v1');
    const lockDir = join(root, 'c', '.obj.lock');
    mkdirSync(lockDir);
    const started = Date.now();
    await assert.rejects(s.put('c/obj', 'v2'), ConflictError);
    assert.ok(Date.now() - started >= 300);
    assert.equal((await s.get('c/obj'))!.data.toString(), 'v1');
    // Released while a writer waits: the writer proceeds.
    const pending = s.put('c/obj', 'v3');
    setTimeout(() => rmSync(lockDir, { recursive: true }), 100);
    await pending;
    assert.equal((await s.get('c/obj'))!.data.toString(), 'v3');
  });

  it('versions are content hashes, stable across store instances (another process sees the same version)', async () => {
    const root = freshRoot();
    const v = await storeAt(root).put('c/x', 'same');
    assert.equal((await storeAt(root).get('c/x'))!.version, v);
    assert.match(v, /^[0-9a-f]{64}$/);
  });
});
