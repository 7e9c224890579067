// kubeconfig merging and writing, durations, and storing the cluster PKI in the state store.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { InvalidInputError, OperationError } from '../../src/core/errors.js';
import { PreconditionFailedError } from '../../src/state/blob.js';
import { FileBlobStore } from '../../src/state/file.js';
import { MemoryBlobStore } from '../../src/state/memory.js';
import {
  buildKubeconfig,
  generateClusterPki,
  loadClusterPki,
  mergeKubeconfig,
  parseDuration,
  pkiKey,
  saveClusterPki,
  writeKubeconfigFile,
  type ClusterPki,
} from '../../src/pki/index.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8sup-kubeconfig-'));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const mode = async (p: string) => (await stat(p)).mode & 0o777;

// Certificates are opaque strings to the kubeconfig code; fake PEM keeps these tests fast.
function fakeKubeconfig(name: string, server = `https://${name}.example:443`): string {
  return buildKubeconfig({
    clusterName: name,
    server,
    caCertPem: `CA of ${name}`,
    user: name,
    clientCertPem: `cert of ${name}`,
    clientKeyPem: `key of ${name}`,
  });
}

describe('parseDuration', () => {
  test('units and combinations', () => {
    assert.equal(parseDuration('18h'), 18 * 3600_000);
    assert.equal(parseDuration('30m'), 30 * 60_000);
    assert.equal(parseDuration('10s'), 10_000);
    assert.equal(parseDuration('1h30m'), 90 * 60_000);
    assert.equal(parseDuration('7d'), 7 * 86_400_000);
    assert.equal(parseDuration('1.5h'), 90 * 60_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration(' 2h '), 7_200_000);
  });

  test('bad input throws InvalidInputError with a hint', () => {
    for (const bad of ['', '18', 'h', '18x', '-1h', '1h 30m', 'abc', '1h-', '1e3s', '18H']) {
      assert.throws(
        () => parseDuration(bad),
        (e: unknown) => e instanceof InvalidInputError && e.exitCode === 2 && /18h/.test(e.hint ?? '') && e.message.includes(bad),
        `"${bad}" must be rejected`,
      );
    }
  });
});

describe('buildKubeconfig / mergeKubeconfig', () => {
  test('build: one cluster, user and context, current-context set, data base64', () => {
    const doc = parse(fakeKubeconfig('a.k8s.local'));
    assert.equal(doc.apiVersion, 'v1');
    assert.equal(doc.kind, 'Config');
    assert.equal(doc['current-context'], 'a.k8s.local');
    assert.deepEqual(doc.contexts, [{ name: 'a.k8s.local', context: { cluster: 'a.k8s.local', user: 'a.k8s.local' } }]);
    assert.equal(Buffer.from(doc.clusters[0].cluster['certificate-authority-data'], 'base64').toString(), 'CA of a.k8s.local');
    assert.equal(Buffer.from(doc.users[0].user['client-key-data'], 'base64').toString(), 'key of a.k8s.local');
  });

  test('merge keeps unrelated entries and fields, replaces same-named ones in place, switches current-context', () => {
    const existing = `apiVersion: v1
kind: Config
clusters:
- name: other
  cluster: {server: https://other:6443}
- name: a.k8s.local
  cluster: {server: https://stale:443}
users:
- name: other
  user: {token: abc}
- name: a.k8s.local
  user: {token: stale}
contexts:
- name: other
  context: {cluster: other, user: other, namespace: prod}
- name: a.k8s.local
  context: {cluster: a.k8s.local, user: a.k8s.local}
current-context: other
preferences: {colors: true}
extensions:
- name: keep-me
  extension: {x: 1}
`;
    const merged = parse(mergeKubeconfig(existing, fakeKubeconfig('a.k8s.local', 'https://new:443')));
    assert.equal(merged['current-context'], 'a.k8s.local');
    assert.deepEqual(merged.clusters.map((c: { name: string }) => c.name), ['other', 'a.k8s.local']);
    assert.equal(merged.clusters[1].cluster.server, 'https://new:443');
    assert.equal(merged.clusters[0].cluster.server, 'https://other:6443');
    assert.deepEqual(merged.users[0], { name: 'other', user: { token: 'abc' } });
    assert.equal(merged.users[1].user.token, undefined);
    assert.deepEqual(merged.contexts[0], { name: 'other', context: { cluster: 'other', user: 'other', namespace: 'prod' } });
    assert.equal(merged.contexts.length, 2);
    assert.deepEqual(merged.preferences, { colors: true });
    assert.deepEqual(merged.extensions, [{ name: 'keep-me', extension: { x: 1 } }]);
  });

  test('merge into nothing, an empty file, or null lists', () => {
    for (const existing of [null, '', '\n', 'clusters: null\nusers: null\ncontexts: null\n']) {
      const merged = parse(mergeKubeconfig(existing, fakeKubeconfig('b')));
      assert.equal(merged['current-context'], 'b');
      assert.equal(merged.apiVersion, 'v1');
      assert.deepEqual(merged.contexts.map((c: { name: string }) => c.name), ['b']);
    }
  });

  test('merging two clusters one after the other keeps both', () => {
    const both = parse(mergeKubeconfig(mergeKubeconfig(null, fakeKubeconfig('one')), fakeKubeconfig('two')));
    assert.deepEqual(both.contexts.map((c: { name: string }) => c.name), ['one', 'two']);
    assert.deepEqual(both.users.map((c: { name: string }) => c.name), ['one', 'two']);
    assert.equal(both['current-context'], 'two');
  });

  test('a malformed existing kubeconfig is refused, not overwritten', () => {
    for (const bad of ['clusters: [unclosed', '- just\n- a list\n', 'clusters: {a: 1}\n', 'contexts:\n- {context: {}}\n']) {
      assert.throws(() => mergeKubeconfig(bad, fakeKubeconfig('c')), InvalidInputError, bad);
    }
  });

  test('real kubectl reads the merged file and sees both contexts', async () => {
    const path = join(dir, 'merged', 'config');
    await writeKubeconfigFile(path, mergeKubeconfig(mergeKubeconfig(null, fakeKubeconfig('one')), fakeKubeconfig('two')));
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        'kubectl',
        ['--kubeconfig', path, 'config', 'get-contexts', '-o', 'name'],
        { timeout: 20_000, env: { PATH: process.env.PATH, HOME: dir } },
        (err, stdout, stderr) => (err ? reject(new Error(stderr || String(err))) : resolve(stdout)),
      ),
    );
    assert.deepEqual(out.trim().split('\n').sort(), ['one', 'two']);
  });
});

describe('writeKubeconfigFile', () => {
  test('creates a missing folder 0700 and the file 0600', async () => {
    const folder = join(dir, 'home', '.kube');
    const path = join(folder, 'config');
    await writeKubeconfigFile(path, 'apiVersion: v1\n');
    assert.equal(await readFile(path, 'utf8'), 'apiVersion: v1\n');
    assert.equal(await mode(path), 0o600);
    assert.equal(await mode(folder), 0o700);
  });

  test('replaces an existing world-readable file with 0600 and leaves no temp files behind', async () => {
    const folder = join(dir, 'existing');
    await mkdir(folder, { mode: 0o755 });
    const path = join(folder, 'config');
    await writeFile(path, 'old: true\n', { mode: 0o644 });
    assert.equal(await mode(path), 0o644);
    await writeKubeconfigFile(path, 'new: true\n');
    assert.equal(await readFile(path, 'utf8'), 'new: true\n');
    assert.equal(await mode(path), 0o600);
    assert.equal(await mode(folder), 0o755, 'an existing folder is the user’s; leave its mode alone');
    assert.deepEqual(await readdir(folder), ['config']);
  });

  test('a symlinked kubeconfig is written through, the link survives', async () => {
    const real = join(dir, 'real-config');
    const link = join(dir, 'link-config');
    await writeFile(real, 'old\n', { mode: 0o644 });
    await symlink(real, link);
    await writeKubeconfigFile(link, 'via link\n');
    assert.ok((await lstat(link)).isSymbolicLink());
    assert.equal(await readFile(real, 'utf8'), 'via link\n');
    assert.equal(await mode(real), 0o600);
  });
});

describe('cluster PKI in the state store', () => {
  let pki: ClusterPki;
  before(async () => {
    pki = await generateClusterPki('store.k8s.local');
  });

  test('file backend: round-trips, keys are 0600 in 0700 folders, kubeadm file names', async () => {
    const root = join(dir, 'state');
    const store = new FileBlobStore(root, `file://${root}`);
    assert.equal(await loadClusterPki(store, 'store.k8s.local'), null);
    await saveClusterPki(store, 'store.k8s.local', pki);
    assert.deepEqual(await loadClusterPki(store, 'store.k8s.local'), pki);
    assert.deepEqual(await store.list('store.k8s.local/pki/'), [
      'store.k8s.local/pki/ca.crt',
      'store.k8s.local/pki/ca.key',
      'store.k8s.local/pki/etcd/ca.crt',
      'store.k8s.local/pki/etcd/ca.key',
      'store.k8s.local/pki/front-proxy-ca.crt',
      'store.k8s.local/pki/front-proxy-ca.key',
      'store.k8s.local/pki/sa.key',
      'store.k8s.local/pki/sa.pub',
    ]);
    for (const key of ['ca.key', 'etcd/ca.key', 'sa.key', 'front-proxy-ca.key']) {
      assert.equal(await mode(join(root, 'store.k8s.local', 'pki', key)), 0o600, key);
    }
    assert.equal(await mode(join(root, 'store.k8s.local', 'pki')), 0o700);
    assert.equal(await mode(join(root, 'store.k8s.local', 'pki', 'etcd')), 0o700);
  });

  test('an existing PKI is never overwritten, a partial one is reported', async () => {
    const store = new MemoryBlobStore();
    await saveClusterPki(store, 'c', pki);
    const other = { ...pki, ca: { certPem: 'x', keyPem: 'y' } };
    await assert.rejects(saveClusterPki(store, 'c', other), PreconditionFailedError);
    assert.equal((await loadClusterPki(store, 'c'))?.ca.certPem, pki.ca.certPem);
    await store.delete(pkiKey('c', 'sa.key'));
    await assert.rejects(loadClusterPki(store, 'c'), (e: unknown) => e instanceof OperationError && /sa\.key is missing/.test(e.message));
  });
});
