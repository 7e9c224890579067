// Pure plans: without --yes no command writes to the state store — not a PKI, not even its lock. Each command runs
// in-process through the real CLI with the store wrapped in a write-counting BlobStore (and the file tree is
// fingerprinted too), against moto for the commands that plan against the cloud.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { run } from '../../src/cli/main.js';
import { K8supError } from '../../src/core/errors.js';
import type { BlobStore, PutOptions } from '../../src/state/blob.js';
import { tempHome, treeDigest } from '../helpers/cli.js';
import { startMoto, type Moto } from '../helpers/moto.js';

const NAME = 'pure.k8s.local';

/** Counts every write (put, delete) that reaches the store. */
class CountingStore implements BlobStore {
  writes: string[] = [];
  constructor(private readonly inner: BlobStore) {}
  get url() {
    return this.inner.url;
  }
  get(key: string) {
    return this.inner.get(key);
  }
  list(prefix: string) {
    return this.inner.list(prefix);
  }
  put(key: string, data: Buffer | string, opts?: PutOptions) {
    this.writes.push(`put ${key}`);
    return this.inner.put(key, data, opts);
  }
  delete(key: string, opts?: { ifMatch?: string }) {
    this.writes.push(`delete ${key}`);
    return this.inner.delete(key, opts);
  }
}

const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

let moto: Moto;
let home: string;
let env: Record<string, string | undefined>;

/** Runs one command in-process; resolves with its exit code and the writes the store saw. */
async function counted(...argv: string[]): Promise<{ code: number; writes: string[] }> {
  let store: CountingStore | undefined;
  let code: number;
  try {
    code = await run(argv, { env, stdout: sink(), stderr: sink(), wrapStore: (s) => (store = new CountingStore(s)) });
  } catch (e) {
    if (!(e instanceof K8supError)) throw e;
    code = e.exitCode;
  }
  return { code, writes: store?.writes ?? [] };
}

before(async () => {
  moto = await startMoto();
  home = tempHome();
  env = { HOME: home, PATH: process.env.PATH, K8SUP_PROGRESS: 'plain', ...moto.env };
  const created = await counted('create', 'cluster', NAME, '--zones', 'us-east-2a');
  assert.equal(created.code, 0);
  assert.ok(created.writes.some((w) => w.startsWith('put pure.k8s.local/pki/')), 'create stores its PKI (by contract)');
});
after(async () => {
  await moto?.stop();
});

describe('without --yes nothing is written', () => {
  const state = () => join(home, '.k8sup', 'state');
  const commands = [
    ['update', 'cluster', NAME],
    ['update', 'cluster', NAME, '--detailed-exitcode'],
    ['delete', 'cluster', NAME],
    ['rolling-update', 'cluster', NAME],
    ['validate', 'cluster', NAME],
    ['get', 'cluster', NAME, '-o', 'yaml'],
    ['get', 'clusters'],
    ['history', 'cluster', NAME],
  ];

  for (const argv of commands) {
    it(`${argv.join(' ')}: no write`, async () => {
      const digest = treeDigest(state());
      const r = await counted(...argv);
      assert.deepEqual(r.writes, [], `exit ${r.code}`);
      assert.equal(treeDigest(state()), digest);
    });
  }

  it('update without --yes of a cluster whose PKI is missing plans with a transient PKI and stores none', async () => {
    // A revision without PKI: a spec written by hand, or a create interrupted by an older k8sup.
    rmSync(join(state(), NAME, 'pki'), { recursive: true, force: true });
    const digest = treeDigest(state());
    const r = await counted('update', 'cluster', NAME);
    assert.equal(r.code, 0);
    assert.deepEqual(r.writes, []);
    assert.equal(treeDigest(state()), digest);
  });
});
