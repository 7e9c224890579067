// Cluster identity (metadata.uid) and the revision a document was read at (metadata.revision), through spec-store's
// writeSpec on a memory store: the uid is kept and never changed, clusters without one keep working, and the
// revision is printed but never stored.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { clusterToYaml, loadCluster, type Cluster } from '../../src/api/index.js';
import { assertNotStale, readSpec, withRevision, writeSpec } from '../../src/lifecycle/spec-store.js';
import { ConflictError, InvalidInputError } from '../../src/core/errors.js';
import { ClusterStore } from '../../src/state/cluster-store.js';
import { MemoryBlobStore } from '../../src/state/memory.js';

const NAME = 'id.k8s.local';
const actor = { owner: 'me', host: 'h', pid: 1 };
const spec = (metadata: Record<string, unknown> = {}, maxSize = 1): Cluster =>
  loadCluster({ metadata: { name: NAME, ...metadata }, spec: { cloud: 'aws', zones: ['us-east-2a'], nodeGroups: [{ name: 'nodes', minSize: 1, maxSize }] } });

describe('metadata.uid and metadata.revision', () => {
  it('the uid is kept by every later revision; a document without one keeps it; another one is exit 2', async () => {
    const cs = new ClusterStore(new MemoryBlobStore(), NAME);
    const uid = '0b7c3c0e-1f3a-4d7e-9a55-1d2b3c4d5e6f';
    await writeSpec(cs, spec({ uid }), 0, actor, 'create');
    await writeSpec(cs, spec({}, 2), 1, actor, 'replace');
    assert.equal((await readSpec(cs, NAME)).cluster.metadata.uid, uid);
    const err = await writeSpec(cs, spec({ uid: 'another-uid' }, 3), 2, actor, 'replace').catch((e) => e);
    assert.ok(err instanceof InvalidInputError, String(err));
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /identity cannot change/);
    assert.deepEqual(await cs.revisionNumbers(), [1, 2], 'nothing written');
  });

  it('a cluster created without a uid keeps working without one and cannot be given one', async () => {
    const cs = new ClusterStore(new MemoryBlobStore(), NAME);
    await cs.writeRevision(clusterToYaml(spec()), { expectedRevision: 0, author: 'old', message: 'create' });
    assert.deepEqual(await writeSpec(cs, spec({}, 2), 1, actor, 'edit'), { revision: 2, changed: true, changes: [{ path: 'spec.nodeGroups[0].maxSize', from: 1, to: 2 }] });
    assert.equal((await readSpec(cs, NAME)).cluster.metadata.uid, undefined);
    await assert.rejects(writeSpec(cs, spec({ uid: 'new-uid' }, 3), 2, actor, 'replace'), InvalidInputError);
  });

  it('the revision is printed, never stored; a stale document is a conflict (exit 3) unless forced', async () => {
    const cs = new ClusterStore(new MemoryBlobStore(), NAME);
    await writeSpec(cs, spec({ uid: 'u-1' }), 0, actor, 'create');
    const shown = withRevision((await readSpec(cs, NAME)).cluster, 1);
    assert.deepEqual(parse(clusterToYaml(shown)).metadata, { name: NAME, uid: 'u-1', revision: 1 });
    await writeSpec(cs, spec({ uid: 'u-1', revision: 1 }, 4), 1, actor, 'replace');
    assert.doesNotMatch((await cs.latest())!.yaml, /revision/);
    const current = await readSpec(cs, NAME);
    assert.throws(() => assertNotStale(spec({ revision: 1 }), current, 'f.yaml', false), (e: unknown) => e instanceof ConflictError && e.exitCode === 3);
    assert.doesNotThrow(() => assertNotStale(spec({ revision: 1 }), current, 'f.yaml', true));
    assert.doesNotThrow(() => assertNotStale(spec({ revision: 2 }), current, 'f.yaml', false));
    assert.doesNotThrow(() => assertNotStale(spec(), current, 'f.yaml', false), 'a hand-written document is not checked');
  });

  it('a malformed uid or revision in a document is exit 2 naming the field', () => {
    assert.throws(() => spec({ uid: 'Not_A_UID' }), (e: unknown) => e instanceof InvalidInputError && /metadata\.uid/.test(e.message));
    assert.throws(() => spec({ revision: 0 }), (e: unknown) => e instanceof InvalidInputError && /metadata\.revision/.test(e.message));
    assert.throws(() => spec({ revision: 'two' }), (e: unknown) => e instanceof InvalidInputError && /metadata\.revision/.test(e.message));
  });
});
