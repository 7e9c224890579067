// Plans and immutable fields through the built CLI on the file store. A create's plan shows every attribute with the
// rendered user data (never the internal {template, vars}), in the table and in -o json. Fields that cannot change on
// an applied cluster (network/pod/service CIDRs, cloud, region, name…) may change before the first apply and are
// refused by replace, edit and update afterwards (exit 2, a hint, nothing written). "Applied" is what apply records:
// cluster-info.json with the applied revision.

import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { k8sup, tempHome, treeDigest } from '../helpers/cli.js';

const NAME = 'demo.k8s.local';

describe('plans and immutable fields (file store)', () => {
  let home: string;
  let env: Record<string, string>;
  const run = (...args: string[]) => k8sup(args, { env });
  const state = () => join(home, '.k8sup', 'state');
  const replaceWith = async (change: (d: any) => void) => {
    const doc = parse((await run('get', 'cluster', NAME, '-o', 'yaml')).stdout);
    change(doc);
    delete doc.metadata.revision;
    const file = join(home, 'spec.yaml');
    writeFileSync(file, JSON.stringify(doc));
    return run('replace', '-f', file);
  };

  before(() => {
    home = tempHome();
    env = { HOME: home };
  });

  it('a create plan shows every attribute and the rendered user data, in the table and in -o json', async () => {
    const r = await run('create', 'cluster', NAME, '--zones', 'us-east-2a', '--admin-access', '198.51.100.0/24');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\+ userData +\s*= <<-EOT\n\s+#!\/bin\/bash\n/);
    assert.match(r.stdout, /\+ cidrBlock += "172\.20\.0\.0\/16"/);
    assert.match(r.stdout, /\+ ingress += \[\n(.*\n)*?\s+\{ protocol = "tcp", fromPort = 6443, toPort = 6443, cidr = "198\.51\.100\.0\/24" \}/);
    assert.doesNotMatch(r.stdout, /template += |vars += |k8sup-var-|PRIVATE KEY/);

    const j = await run('create', 'cluster', 'json.k8s.local', '--zones', 'us-east-2a', '-o', 'json');
    assert.equal(j.code, 0, j.stderr);
    const view = JSON.parse(j.stdout);
    assert.equal(view.formatVersion, 1);
    assert.equal(view.summary.create, view.steps.length);
    const userData = view.steps.find((s: any) => s.kind === 'launch-template').changes.find((c: any) => c.field === 'userData');
    assert.equal(typeof userData.to, 'string');
    // The user data is the loader, pinned to the sha256 of the bundle it fetches (docs/bootstrap.md).
    assert.match(userData.to, /^#!\/bin\/bash\n# k8sup loader, [^]*\nBUNDLE_SHA256='[0-9a-f]{64}'\n/);
  });

  it('before the first apply the network may change', async () => {
    const r = await replaceWith((d) => (d.spec.networking.networkCIDR = '10.20.0.0/16'));
    assert.equal(r.code, 0, r.stderr);
  });

  it('after an apply, replace refuses an immutable field (exit 2, hint, nothing written)', async () => {
    writeFileSync(join(state(), NAME, 'cluster-info.json'), JSON.stringify({ appliedRevision: 2, appliedAt: new Date().toISOString() }));
    for (const [path, change] of [
      ['spec.networking.podCIDR', (d: any) => (d.spec.networking.podCIDR = '100.112.0.0/12')],
      ['spec.networking.networkCIDR', (d: any) => (d.spec.networking.networkCIDR = '172.20.0.0/16')],
      ['spec.region', (d: any) => ((d.spec.region = 'us-west-2'), (d.spec.zones = ['us-west-2a']), (d.spec.controlPlane.zones = ['us-west-2a']), d.spec.nodeGroups.forEach((g: any) => (g.zones = ['us-west-2a'])))],
    ] as const) {
      const before = treeDigest(state());
      const r = await replaceWith(change);
      assert.equal(r.code, 2, `${path}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`${path.replace(/\./g, '\\.')} cannot change on an applied cluster`));
      assert.match(r.stderr, /hint: set .* back to .*needs a new cluster/);
      assert.equal(treeDigest(state()), before, 'nothing written');
    }
    const fine = await replaceWith((d) => (d.spec.nodeGroups[0].maxSize = 4));
    assert.equal(fine.code, 0, 'other fields still change');
  });

  it('an apply that started but never finished (journal entries, no cluster-info.json) counts as applied', async () => {
    const name = 'partial.k8s.local';
    assert.equal((await run('create', 'cluster', name, '--zones', 'us-east-2a')).code, 0);
    writeFileSync(join(state(), name, 'applied.json'), JSON.stringify({ entries: [{ id: 'vpc', kind: 'vpc', cloudId: 'vpc-1', action: 'created', at: new Date().toISOString() }] }));
    const doc = parse((await run('get', 'cluster', name, '-o', 'yaml')).stdout);
    doc.spec.networking.serviceCIDR = '100.128.0.0/13';
    delete doc.metadata.revision;
    writeFileSync(join(home, 'partial.yaml'), JSON.stringify(doc));
    const r = await run('replace', '-f', join(home, 'partial.yaml'));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /spec\.networking\.serviceCIDR cannot change on an applied cluster/);
  });

  it('edit refuses it too: re-offered with the error, never saved', async () => {
    const editor = join(home, 'edit-cidr.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i "s#serviceCIDR: .*#serviceCIDR: 100.128.0.0/13#" "$1"\n');
    chmodSync(editor, 0o755);
    const before = treeDigest(join(state(), NAME, 'revisions'));
    const r = await k8sup(['edit', 'cluster', NAME], { env: { ...env, EDITOR: editor } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /spec\.networking\.serviceCIDR cannot change on an applied cluster/);
    assert.equal(treeDigest(join(state(), NAME, 'revisions')), before);
  });

  it('saved-plan and --admin flags: misuse is exit 2 with a hint, nothing written', async () => {
    const bogus = join(home, 'bogus.json');
    writeFileSync(bogus, '{"kind":"something-else"}');
    const other = join(home, 'other-plan.json');
    writeFileSync(other, JSON.stringify({ kind: 'k8sup.io/SavedPlan', formatVersion: 1, cluster: 'other.k8s.local', specRevision: 1, liveDigest: 'sha256:x', createdAt: '', plan: { steps: [] } }));
    const cases: [string[], RegExp][] = [
      [['update', 'cluster', NAME, '--plan', bogus], /--plan FILE applies a saved plan and needs --yes/],
      [['update', 'cluster', NAME, '--out-plan', join(home, 'p.json'), '--yes'], /--out-plan writes a plan for review/],
      [['update', 'cluster', NAME, '--out-plan', join(home, 'p.json'), '--plan', bogus, '--yes'], /cannot be combined/],
      [['update', 'cluster', NAME, '--plan', join(home, 'missing.json'), '--yes'], /cannot read the saved plan .*ENOENT/],
      [['update', 'cluster', NAME, '--plan', bogus, '--yes'], /is not a k8sup saved plan: kind is not k8sup\.io\/SavedPlan/],
      [['update', 'cluster', NAME, '--plan', other, '--yes'], /is a plan for other\.k8s\.local, not demo\.k8s\.local/],
      [['update', 'cluster', NAME, '--admin'], /--admin writes the kubeconfig after an apply and needs --yes/],
      [['update', 'cluster', NAME, '--yes', '--admin=forever'], /duration|forever/],
    ];
    for (const [args, message] of cases) {
      const before = treeDigest(home);
      const r = await run(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /^hint: /m);
      assert.equal(treeDigest(home), before, `${args.join(' ')} wrote nothing`);
    }
  });

  it('update refuses a stored revision that changes an immutable field of the applied one', async () => {
    // Revision 1 had 172.20.0.0/16, the current one 10.20.0.0/16: pretend revision 1 is what the cloud runs.
    writeFileSync(join(state(), NAME, 'cluster-info.json'), JSON.stringify({ appliedRevision: 1 }));
    const r = await run('update', 'cluster', NAME);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /spec\.networking\.networkCIDR cannot change on an applied cluster \(it is "172\.20\.0\.0\/16", the new spec says "10\.20\.0\.0\/16"\)/);
  });
});
