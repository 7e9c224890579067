// The commands that write a spec revision (replace -f, edit, rollback) print one document with -o json|yaml, like
// every other write command: the revision, whether it changed the spec, and each change. -o table keeps stdout
// empty (people read the note on stderr).

import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { parse } from 'yaml';
import { k8sup, tempHome, treeDigest } from '../helpers/cli.js';

const NAME = 'rev.k8s.local';
let env: Record<string, string>;
let home: string;
const store = () => treeDigest(join(home, '.k8sup'));
const zonesChange = (from: string, to: string) =>
  ['spec.zones', 'spec.controlPlane.zones', 'spec.nodeGroups[0].zones'].map((path) => ({ path, from: [from], to: [to] }));

before(async () => {
  home = tempHome();
  env = { HOME: home };
  const r = await k8sup(['create', 'cluster', NAME, '--zones', 'us-east-2a'], { env });
  assert.equal(r.code, 0, r.stderr);
});

test('replace -f, edit and rollback print the revision they wrote (or would write) as JSON and YAML', async () => {
  const spec = JSON.parse((await k8sup(['get', 'cluster', NAME, '-o', 'json'], { env })).stdout);
  spec.spec.zones = spec.spec.controlPlane.zones = spec.spec.nodeGroups[0].zones = ['us-east-2b'];
  const file = join(home, 'b.json');
  writeFileSync(file, JSON.stringify(spec));
  const replaced = await k8sup(['replace', '-f', file, '-o', 'json'], { env });
  assert.equal(replaced.code, 0, replaced.stderr);
  assert.deepEqual(JSON.parse(replaced.stdout), { cluster: NAME, revision: 2, changed: true, written: true, changes: zonesChange('us-east-2a', 'us-east-2b') });

  const editor = join(home, 'to-c.sh');
  writeFileSync(editor, '#!/bin/sh\nsed -i "s#us-east-2b#us-east-2c#g" "$1"\n');
  chmodSync(editor, 0o755);
  const edited = await k8sup(['edit', 'cluster', NAME, '-o', 'yaml'], { env: { ...env, EDITOR: editor } });
  assert.equal(edited.code, 0, edited.stderr);
  assert.deepEqual(parse(edited.stdout), { cluster: NAME, revision: 3, changed: true, written: true, changes: zonesChange('us-east-2b', 'us-east-2c') });

  // Without --yes: the revision it would write, and nothing written.
  const digest = store();
  const preview = await k8sup(['rollback', 'cluster', NAME, '--revision', '1', '-o', 'json'], { env });
  assert.equal(preview.code, 0, preview.stderr);
  assert.deepEqual(JSON.parse(preview.stdout), { cluster: NAME, revision: 4, changed: true, written: false, changes: zonesChange('us-east-2c', 'us-east-2a') });
  assert.equal(store(), digest, 'the preview wrote nothing');

  const rolled = await k8sup(['rollback', 'cluster', NAME, '--revision', '1', '--yes', '-o', 'yaml'], { env });
  assert.equal(rolled.code, 0, rolled.stderr);
  assert.deepEqual(parse(rolled.stdout), { cluster: NAME, revision: 4, changed: true, written: true, changes: zonesChange('us-east-2c', 'us-east-2a') });

  // Nothing to change: the current revision, changed false.
  const again = await k8sup(['rollback', 'cluster', NAME, '--revision', '1', '--yes', '-o', 'json'], { env });
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout), { cluster: NAME, revision: 4, changed: false, written: false, changes: [] });

  // -o table (the default): stdout stays empty, the note on stderr says it.
  const table = await k8sup(['rollback', 'cluster', NAME, '--revision', '2'], { env });
  assert.equal(table.code, 0, table.stderr);
  assert.equal(table.stdout, '');
  assert.match(table.stderr, /would write revision 5/);
});
