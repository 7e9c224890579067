// A build is code and templates of one moment: the bundle renders dist/templates, copied there by the build, not the
// checkout's templates/. A checkout pulled without `npm run build` once failed every plan of a cloud cluster
// ("bootstrap/kubeadm-upgrade.sh: no value for joinOlder"): old code rendering a template that names a newer value.
// Here a copy of the built package whose templates/ holds such a template still plans, from the templates it was
// built with.

import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO, k8sup, tempHome } from '../helpers/cli.js';

test('the built CLI renders the templates it was built with, not a newer templates/ beside it', async () => {
  const pkg = mkdtempSync(join(tmpdir(), 'k8sup-stale-checkout-'));
  try {
    for (const part of ['bin', 'dist', 'templates', 'package.json']) cpSync(join(REPO, part), join(pkg, part), { recursive: true });
    symlinkSync(join(REPO, 'node_modules'), join(pkg, 'node_modules'));
    // What a `git pull` brings and this build does not know: a template naming a value the code does not give.
    appendFileSync(join(pkg, 'templates/bootstrap/kubeadm-upgrade.sh'), '{{#if valueOfANewerCheckout}}\n{{/if}}\n');
    const r = await k8sup(['create', 'cluster', 'stale.k8s.local', '--zones', 'us-east-2a'], { bin: join(pkg, 'bin/k8sup'), env: { HOME: tempHome() }, cwd: pkg });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Plan for stale\.k8s\.local: \d+ to create/);
    assert.match(r.stdout, /launch-template/);
  } finally {
    rmSync(pkg, { recursive: true, force: true });
  }
});
