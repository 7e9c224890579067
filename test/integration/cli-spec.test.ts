// The spec lifecycle through the real CLI on the default local state store: create, get, replace, history,
// rollback, edit, delete — and bad input that must exit 2 and leave the store byte-for-byte unchanged.

import assert from 'node:assert/strict';
import { existsSync, chmodSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, before } from 'node:test';
import { parse } from 'yaml';
import { k8sup, tempHome, treeDigest } from '../helpers/cli.js';

const NAME = 'demo.k8s.local';

describe('cluster spec lifecycle (file store)', () => {
  let home: string;
  let env: Record<string, string>;
  const run = (...args: string[]) => k8sup(args, { env });

  before(async () => {
    home = tempHome();
    env = { HOME: home };
  });

  it('create without --yes stores revision 1 and prints a plan with no cloud account', async () => {
    const r = await run('create', 'cluster', NAME, '--zones', 'us-east-2a');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Plan for demo\.k8s\.local: \d+ to create/);
    assert.match(r.stdout, /\+\s+vpc\s+vpc/);
    const state = join(home, '.k8sup', 'state', NAME);
    assert.ok(readFileSync(join(state, 'pki', 'ca.crt'), 'utf8').includes('BEGIN CERTIFICATE'));
  });

  it('get cluster prints the spec as YAML and JSON, with region derived from the zone', async () => {
    const y = await run('get', 'cluster', NAME, '-o', 'yaml');
    assert.equal(y.code, 0, y.stderr);
    const doc = parse(y.stdout);
    assert.equal(doc.spec.region, 'us-east-2');
    assert.deepEqual(doc.spec.zones, ['us-east-2a']);
    const j = await run('get', 'cluster', NAME, '-o', 'json');
    assert.deepEqual(JSON.parse(j.stdout), doc);
    const list = await run('get', 'clusters', '-o', 'json');
    assert.deepEqual(JSON.parse(list.stdout).map((c: any) => [c.name, c.revision, c.appliedRevision]), [[NAME, 1, null]]);
  });

  it('replace, history and rollback: one revision per change, rollback restores the exact spec', async () => {
    const v1 = (await run('get', 'cluster', NAME, '-o', 'yaml')).stdout;
    const doc = parse(v1);
    doc.spec.nodeGroups[0].minSize = 3;
    doc.spec.nodeGroups[0].maxSize = 3;
    const file = join(home, 'c.yaml');
    writeFileSync(file, JSON.stringify(doc));
    const r = await run('replace', '-f', file);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /spec\.nodeGroups\[0\]\.minSize: 1 → 3/, 'replace says what the revision changes');
    // The revision the file was read at is no change of the spec.
    assert.doesNotMatch(r.stderr, /metadata\./, 'only what the new revision changes is listed');
    // The file was read at revision 1 and the cluster is now at 2: replacing with it again is stale (exit 3)…
    const stale = await run('replace', '-f', file);
    assert.equal(stale.code, 3, stale.stderr);
    assert.match(stale.stderr, /based on revision 1/);
    // …while the current document, replaced unchanged, is no change at all.
    writeFileSync(file, (await run('get', 'cluster', NAME, '-o', 'yaml')).stdout);
    const same = await run('replace', '-f', file);
    assert.equal(same.code, 0);
    assert.match(same.stderr, /No change/);

    const h = await run('history', 'cluster', NAME, '-o', 'json');
    assert.deepEqual(JSON.parse(h.stdout).map((x: any) => x.revision), [1, 2]);

    // Without --yes a rollback only says what it would change: the store is byte-for-byte the same.
    const digest = treeDigest(join(home, '.k8sup'));
    const preview = await run('rollback', 'cluster', NAME, '--revision', '1');
    assert.equal(preview.code, 0, preview.stderr);
    assert.match(preview.stderr, /spec\.nodeGroups\[0\]\.minSize: 3 → 1/);
    assert.match(preview.stderr, /k8sup rollback cluster demo\.k8s\.local --revision 1 --yes/);
    assert.equal(treeDigest(join(home, '.k8sup')), digest, 'rollback without --yes wrote something');
    const rb = await run('rollback', 'cluster', NAME, '--revision', '1', '--yes');
    assert.equal(rb.code, 0, rb.stderr);
    const h2 = JSON.parse((await run('history', 'cluster', NAME, '-o', 'json')).stdout);
    assert.deepEqual(h2.map((x: any) => x.revision), [1, 2, 3]);
    // The same spec again; only the revision the document was read at differs.
    const now = parse((await run('get', 'cluster', NAME, '-o', 'yaml')).stdout);
    assert.equal(now.metadata.revision, 3);
    assert.deepEqual({ ...now, metadata: { ...now.metadata, revision: 1 } }, parse(v1));

    const bad = await run('rollback', 'cluster', NAME, '--revision', '9', '--yes');
    assert.equal(bad.code, 2);
  });

  it('edit: an invalid edit is re-offered with the error and never saved; a valid one is a new revision', async () => {
    const before = JSON.parse((await run('history', 'cluster', NAME, '-o', 'json')).stdout).length;
    // An "editor" that first breaks the spec, then (seeing the error comment) fixes it.
    const editor = join(home, 'editor.sh');
    writeFileSync(editor, `#!/bin/sh
if grep -q '^# ERROR' "$1"; then
  grep -q 'overlaps' "$1" || exit 9
  sed -i 's#podCIDR: 172.20.0.0/16#podCIDR: 100.96.0.0/11#; s#kubernetesVersion: .*#kubernetesVersion: 1.34.4#' "$1"
else
  sed -i 's#podCIDR: .*#podCIDR: 172.20.0.0/16#' "$1"
fi
`);
    chmodSync(editor, 0o755);
    const r = await k8sup(['edit', 'cluster', NAME], { env: { ...env, EDITOR: editor } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /invalid and was not saved/);
    const revs = JSON.parse((await run('history', 'cluster', NAME, '-o', 'json')).stdout);
    assert.equal(revs.length, before + 1, 'exactly one new revision: the invalid edit was not saved');
    assert.equal(parse((await run('get', 'cluster', NAME, '-o', 'yaml')).stdout).spec.kubernetesVersion, '1.34.4');

    // An editor that keeps saving the same invalid spec: cancelled, nothing saved.
    const stubborn = join(home, 'stubborn.sh');
    writeFileSync(stubborn, `#!/bin/sh\nsed -i 's#count: 1#count: 2#' "$1"\n`);
    chmodSync(stubborn, 0o755);
    const digest = treeDigest(join(home, '.k8sup', 'state'));
    const r2 = await k8sup(['edit', 'cluster', NAME], { env: { ...env, EDITOR: stubborn } });
    assert.equal(r2.code, 2);
    assert.equal(treeDigest(join(home, '.k8sup', 'state')), digest, 'the state store is untouched');
    // The user's work is not thrown away: the cancelled edit is kept, and the message says where.
    const kept = /(\/\S+\/\.k8sup\/edits\/\S+\.yaml)/.exec(r2.stderr)?.[1];
    assert.ok(kept && existsSync(kept), r2.stderr);
  });

  it('replace -f of a document without metadata: the uid is kept, and the change list names only what changed', async () => {
    const doc = parse((await run('get', 'cluster', NAME, '-o', 'yaml')).stdout);
    const uid = doc.metadata.uid;
    doc.metadata = { name: NAME };
    doc.spec.nodeGroups[0].maxSize += 1;
    const file = join(home, 'no-metadata.yaml');
    writeFileSync(file, JSON.stringify(doc));
    const r = await run('replace', '-f', file);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /spec\.nodeGroups\[0\]\.maxSize: \d+ → \d+/);
    assert.doesNotMatch(r.stderr, /metadata\./, 'the uid stays, so it is not listed as going');
    assert.equal(parse((await run('get', 'cluster', NAME, '-o', 'yaml')).stdout).metadata.uid, uid);
  });

  it('export kubeconfig writes a 0600 file that real kubectl reads', async () => {
    const path = join(home, 'kube', 'config');
    const r = await run('export', 'kubeconfig', NAME, '--kubeconfig', path, '--admin', '1h');
    assert.equal(r.code, 0, r.stderr);
    const { statSync } = await import('node:fs');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const { execFileSync } = await import('node:child_process');
    const view = execFileSync('kubectl', ['--kubeconfig', path, 'config', 'view', '--raw', '-o', 'json'], { encoding: 'utf8' });
    const kc = JSON.parse(view);
    assert.equal(kc['current-context'], NAME);
    assert.ok(kc.users[0].user['client-certificate-data']);
  });

  it('a second cluster with the same name is refused (exit 2) and changes nothing', async () => {
    const digest = treeDigest(join(home, '.k8sup'));
    const r = await run('create', 'cluster', NAME, '--zones', 'us-east-2a');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /already exists/);
    assert.equal(treeDigest(join(home, '.k8sup')), digest);
  });

  it('delete without --yes lists, with --yes removes the state of a never-applied cluster', async () => {
    const dry = await run('delete', 'cluster', NAME);
    assert.equal(dry.code, 0, dry.stderr);
    // The same plan document as an applied cluster's delete (formatVersion, summary, steps), plus the state objects.
    const doc = JSON.parse((await run('delete', 'cluster', NAME, '-o', 'json')).stdout);
    assert.deepEqual({ ...doc, stateObjects: 0 }, { formatVersion: 1, cluster: NAME, summary: { create: 0, update: 0, replace: 0, delete: 0, noop: 0 }, steps: [], stateObjects: 0 });
    assert.ok(doc.stateObjects > 0);
    assert.equal((await run('get', 'cluster', NAME)).code, 0);
    const r = await run('delete', 'cluster', NAME, '--yes');
    assert.equal(r.code, 0, r.stderr);
    assert.notEqual((await run('get', 'cluster', NAME)).code, 0);
    assert.deepEqual(JSON.parse((await run('get', 'clusters', '-o', 'json')).stdout), []);
  });
});

describe('bad input: exit 2, a message naming the field, a hint, and the store unchanged', () => {
  const home = tempHome();
  const env = { HOME: home };
  const badYaml = join(home, 'bad.yaml');
  writeFileSync(badYaml, 'apiVersion: k8sup.io/v1alpha1\nkind: Cluster\nmetadata: {name: x.k8s.local\nspec: [\n');
  const cases: [string, string[], RegExp][] = [
    ['invalid name', ['create', 'cluster', 'Bad_Name', '--zones', 'us-east-2a'], /cluster name/],
    ['zones from two regions', ['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2a,us-west-1b'], /spec\.zones\[1\]/],
    ['unknown zone', ['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2z'], /spec\.zones\[0\].*unknown/],
    ['negative count', ['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2a', '--node-count=-1'], /--node-count/],
    ['non-numeric count', ['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2a', '--control-plane-count', 'three'], /--control-plane-count/],
    ['even control plane', ['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2a', '--control-plane-count', '2'], /spec\.controlPlane\.count/],
    ['bad version', ['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2a', '--kubernetes-version', '1.2'], /spec\.kubernetesVersion/],
    ['unsupported version', ['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2a', '--kubernetes-version', '1.19.0'], /spec\.kubernetesVersion.*supported/],
    ['malformed YAML', ['create', '-f', badYaml], /bad\.yaml:\d+:\d+/],
    ['unknown flag', ['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2a', '--bogus'], /unknown option '--bogus'/],
    ['unsupported state URL', ['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2a', '--state', 'ftp://x/y'], /ftp/],
    // A pipeline's unset variable (`--state "$STORE"`) must not fall back to the local default store.
    ['empty --state', ['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2a', '--state', ''], /--state is empty/],
    ['missing --zones', ['create', 'cluster', 'a.k8s.local'], /--zones/],
    // A cluster the store does not hold: the name (or --state) is wrong, and nothing was written (CONTRACT exit 2).
    ['get a cluster not in the store', ['get', 'cluster', 'nope.k8s.local'], /cluster "nope\.k8s\.local" not found/],
    ['update a cluster not in the store', ['update', 'cluster', 'nope.k8s.local', '--yes'], /cluster "nope\.k8s\.local" not found/],
    ['delete a cluster not in the store', ['delete', 'cluster', 'nope.k8s.local', '--yes'], /cluster "nope\.k8s\.local" not found/],
    ['history of a cluster not in the store', ['history', 'cluster', 'nope.k8s.local'], /cluster "nope\.k8s\.local" not found/],
    // An unset pipeline variable must not silently become the default version, CNI or no SSH key.
    ['empty --kubernetes-version', ['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2a', '--kubernetes-version', ''], /--kubernetes-version is empty/],
    ['empty --ssh-public-key', ['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2a', '--ssh-public-key', ''], /--ssh-public-key is empty/],
    ['empty --node-size', ['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2a', '--node-size', ' '], /--node-size is empty/],
    ['machine type with a space', ['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2a', '--node-size', 't3 medium'], /spec\.nodeGroups\[0\]\.machineType: "t3 medium" is not a machine type/],
    ['a GCE project id with capitals', ['create', 'cluster', 'a.k8s.local', '--zones', 'us-central1-b', '--project', 'BAD_PROJECT'], /spec\.project: "BAD_PROJECT" is not a GCE project id/],
    ['--project on AWS', ['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2a', '--project', 'my-project'], /spec\.project: is a GCE setting/],
    ['create cluster NAME with -f', ['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2a', '-f', badYaml], /two ways to create/],
    ['bad networking', ['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2a', '--networking', 'weave'], /spec\.networking\.cni/],
    ['bad CIDR', ['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2a', '--admin-access', '10.0.0.1/8'], /spec\.api\.adminAccess\[0\]/],
  ];
  it('seed the store with one cluster', async () => {
    mkdirSync(join(home, '.k8sup'), { recursive: true });
    const r = await k8sup(['create', 'cluster', 'seed.k8s.local', '--zones', 'us-east-2a'], { env });
    assert.equal(r.code, 0, r.stderr);
  });
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const digest = treeDigest(join(home, '.k8sup'));
      const r = await k8sup(args, { env });
      assert.equal(r.code, 2, `${what}: exit ${r.code}\n${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.match(lines[0], /^error: /);
      assert.match(lines[0], message);
      assert.match(lines[1], /^hint: /);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace without -v');
      assert.equal(treeDigest(join(home, '.k8sup')), digest, 'store unchanged');
    });
  }
  it('an empty K8SUP_STATE_STORE (a pipeline\'s missing secret) is refused, not the local default store', async () => {
    const digest = treeDigest(join(home, '.k8sup'));
    const r = await k8sup(['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2a'], { env: { ...env, K8SUP_STATE_STORE: '' } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: K8SUP_STATE_STORE is set but empty\nhint: .*unset it for the default/m);
    assert.equal(treeDigest(join(home, '.k8sup')), digest, 'store unchanged');
  });
  it('overlapping CIDRs in a spec file name the field', async () => {
    const f = join(home, 'overlap.yaml');
    writeFileSync(f, 'apiVersion: k8sup.io/v1alpha1\nkind: Cluster\nmetadata: {name: o.k8s.local}\nspec:\n  zones: [us-east-2a]\n  networking: {serviceCIDR: 172.20.0.0/24}\n');
    const digest = treeDigest(join(home, '.k8sup'));
    const r = await k8sup(['create', '-f', f], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /spec\.networking\.networkCIDR.*overlaps serviceCIDR/);
    assert.equal(treeDigest(join(home, '.k8sup')), digest);
  });
});
