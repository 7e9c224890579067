// A run that dies holding the cluster's lock: the next run exits 3 naming the holder and the lock id, and
// `unlock cluster --lock-id` (with the id from that message) frees the cluster.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { K8SUP, k8sup, tempHome, treeDigest } from '../helpers/cli.js';
import { waitFor } from '../helpers/net.js';

test('a stale lock: exit 3 with holder and id, unlock frees it', { timeout: 60_000 }, async () => {
  const home = tempHome();
  const env = { HOME: home };
  const name = 'locked.k8s.local';
  assert.equal((await k8sup(['create', 'cluster', name, '--zones', 'us-east-2a'], { env })).code, 0);

  // An edit whose editor never returns holds the lock; killing it with SIGKILL leaves the lock behind.
  const started = join(home, 'editor-started');
  const editor = join(home, 'hang.sh');
  writeFileSync(editor, `#!/bin/sh\ntouch '${started}'\nsleep 60\n`);
  chmodSync(editor, 0o755);
  const child = spawn(process.execPath, [K8SUP, 'edit', 'cluster', name], { env: { PATH: process.env.PATH, HOME: home, EDITOR: editor }, stdio: 'ignore', detached: true });
  await waitFor(async () => existsSync(started), { timeoutMs: 20_000, what: 'the editor to start' });
  process.kill(-child.pid!, 'SIGKILL');

  const file = join(home, 'spec.json');
  const spec = JSON.parse((await k8sup(['get', 'cluster', name, '-o', 'json'], { env })).stdout);
  spec.spec.nodeGroups[0].maxSize = 4;
  writeFileSync(file, JSON.stringify(spec));
  const blocked = await k8sup(['replace', '-f', file], { env });
  assert.equal(blocked.code, 3, blocked.stderr);
  assert.match(blocked.stderr, new RegExp(`locked by .*pid ${child.pid}.*"edit cluster"`));
  const id = /--lock-id (\S+)/.exec(blocked.stderr)?.[1];
  assert.ok(id, `no lock id in: ${blocked.stderr}`);

  assert.equal((await k8sup(['unlock', 'cluster', name, '--lock-id', 'not-the-id'], { env })).code, 2, 'a wrong id is refused');
  assert.equal((await k8sup(['unlock', 'cluster', name, '--lock-id', 'not-the-id', '--yes'], { env })).code, 2, 'a wrong id is refused');
  // Without --yes unlock only shows the lock: the store is byte-for-byte the same and the cluster still locked.
  const digest = treeDigest(join(home, '.k8sup'));
  const preview = await k8sup(['unlock', 'cluster', name, '--lock-id', id], { env });
  assert.equal(preview.code, 0, preview.stderr);
  assert.match(preview.stderr, new RegExp(`held by \\S+ \\(pid ${child.pid}, "edit cluster"\\)`));
  assert.doesNotMatch(preview.stderr, /@[^@\s]+@/, 'the holder is user@host, not user@host@host');
  assert.match(preview.stderr, new RegExp(`k8sup unlock cluster ${name} --lock-id ${id} --yes`));
  assert.equal(treeDigest(join(home, '.k8sup')), digest, 'unlock without --yes wrote something');
  assert.equal((await k8sup(['replace', '-f', file], { env })).code, 3, 'still locked');
  const unlocked = await k8sup(['unlock', 'cluster', name, '--lock-id', id, '--yes'], { env });
  assert.equal(unlocked.code, 0, unlocked.stderr);
  const after = await k8sup(['replace', '-f', file], { env });
  assert.equal(after.code, 0, after.stderr);
  const history = JSON.parse((await k8sup(['history', 'cluster', name, '-o', 'json'], { env })).stdout);
  assert.equal(history.length, 2);
});
