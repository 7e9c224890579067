// `edit cluster` in a pipeline: without $VISUAL/$EDITOR and without a terminal there is no editor to open (vi would
// read no keys and print escape codes into the job's output), so it exits 2 before anything is written; a scripted
// editor (EDITOR="sed -i …", the kubectl idiom) works, and what it prints never mixes into the data on stdout.

import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { k8sup, tempHome, treeDigest } from '../helpers/cli.js';

const home = tempHome();
const env = { HOME: home };
const NAME = 'edit.k8s.local';

test('edit cluster with no editor set and no terminal: exit 2, two lines, nothing written', async () => {
  const created = await k8sup(['create', 'cluster', NAME, '--zones', 'us-east-2a'], { env });
  assert.equal(created.code, 0, created.stderr);
  const before = treeDigest(home);
  // stdin is not a terminal here (the helper gives the CLI none), as in a CI job; vi is on PATH.
  const r = await k8sup(['edit', 'cluster', NAME], { env: { ...env, EDITOR: undefined, VISUAL: undefined }, timeoutMs: 30_000 });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  const [what, hint, ...rest] = r.stderr.split('\n').filter(Boolean);
  assert.equal(what, 'error: edit cluster: $VISUAL and $EDITOR are unset and stdin is not a terminal, so there is no editor to open');
  assert.equal(hint, `hint: set EDITOR, or without an editor: k8sup get cluster ${NAME} -o yaml > cluster.yaml, change it, then k8sup replace -f cluster.yaml`);
  assert.deepEqual(rest, []);
  assert.equal(treeDigest(home), before, 'no lock, no revision, no kept edit');
});

test('a scripted editor that prints: its output goes to stderr, stdout is only the -o json document', async () => {
  const editor = join(home, 'editor.sh');
  writeFileSync(editor, '#!/bin/sh\necho "editor says hello"\nsed -i "s#kubernetesVersion: .*#kubernetesVersion: 1.34.4#" "$1"\n');
  chmodSync(editor, 0o755);
  const r = await k8sup(['edit', 'cluster', NAME, '-o', 'json'], { env: { ...env, EDITOR: editor } });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.cluster, NAME);
  assert.equal(doc.written, true);
  assert.deepEqual(doc.changes.map((c: { path: string }) => c.path), ['spec.kubernetesVersion']);
  assert.match(r.stderr, /^editor says hello$/m);
});

test('--progress ndjson: what the editor prints on stdout and stderr comes as editor.output events; stdout is only the document', async () => {
  const editor = join(home, 'noisy-editor.sh');
  writeFileSync(editor, '#!/bin/sh\necho "editor on stdout"\necho "editor on stderr" >&2\nprintf "no newline at the end" >&2\nsed -i "s#kubernetesVersion: .*#kubernetesVersion: 1.34.3#" "$1"\n');
  chmodSync(editor, 0o755);
  const r = await k8sup(['edit', 'cluster', NAME, '-o', 'json', '--progress', 'ndjson'], { env: { ...env, EDITOR: editor } });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).changes.map((c: { path: string }) => c.path), ['spec.kubernetesVersion']);
  const events = r.stderr.split('\n').filter(Boolean).map((line) => {
    try {
      return JSON.parse(line);
    } catch {
      assert.fail(`not one JSON object: ${JSON.stringify(line)} in\n${r.stderr}`);
    }
  });
  const printed = events.filter((e) => e.code === 'editor.output').map((e) => [e.stream, e.message]).sort();
  assert.deepEqual(printed, [['stderr', 'editor on stderr'], ['stderr', 'no newline at the end'], ['stdout', 'editor on stdout']]);
  assert.equal(events.at(-1).code, 'result');
  assert.equal(events.at(-1).exitCode, 0);
});
