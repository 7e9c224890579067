// `unlock cluster -o json|yaml` prints the lock as data, so a pipeline can see who holds a cluster (and whether
// the lock expired) without parsing a sentence; `-o table` keeps stdout empty (the sentence is on stderr).

import assert from 'node:assert/strict';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { k8sup, startK8sup, tempHome } from '../helpers/cli.js';
import { waitFor } from '../helpers/net.js';

test('unlock cluster -o json / -o yaml: the lock the id names, before and after --yes', { timeout: 60_000 }, async () => {
  const home = tempHome();
  const env = { HOME: home };
  const name = 'held.k8s.local';
  assert.equal((await k8sup(['create', 'cluster', name, '--zones', 'us-east-2a'], { env })).code, 0);

  // A real holder: an edit whose editor waits (bounded) and saves nothing.
  const started = join(home, 'started');
  const editor = join(home, 'wait.sh');
  const stop = join(home, 'stop');
  writeFileSync(editor, `#!/bin/sh\ntouch '${started}'\ni=0\nwhile [ $i -lt 300 ] && [ ! -e '${stop}' ]; do sleep 0.1; i=$((i+1)); done\n`);
  chmodSync(editor, 0o755);
  const edit = startK8sup(['edit', 'cluster', name], { env: { ...env, EDITOR: editor } });
  try {
    await waitFor(async () => existsSync(started), { timeoutMs: 20_000, what: 'the editor to start' });
    // The id, as a pipeline gets it: from the error of the run that was refused (exit 3) — a run with a change to
    // write (a replace of the current spec is a no-op that takes no lock).
    const spec = join(home, 'spec.json');
    const doc0 = JSON.parse((await k8sup(['get', 'cluster', name, '-o', 'json'], { env })).stdout);
    doc0.spec.nodeGroups[0].maxSize += 1;
    writeFileSync(spec, JSON.stringify(doc0));
    const refused = await k8sup(['replace', '-f', spec], { env });
    assert.equal(refused.code, 3, refused.stderr);
    const lockId = /lock id ([0-9a-f-]{36})/.exec(refused.stderr)?.[1];
    assert.ok(lockId, refused.stderr);

    const shown = await k8sup(['unlock', 'cluster', name, '--lock-id', lockId, '-o', 'json'], { env });
    assert.equal(shown.code, 0, shown.stderr);
    const doc = JSON.parse(shown.stdout);
    assert.equal(doc.cluster, name);
    assert.equal(doc.released, false);
    assert.equal(doc.lock.id, lockId);
    assert.equal(doc.lock.command, 'edit cluster');
    assert.equal(doc.lock.pid, edit.child.pid);
    assert.equal(doc.lock.expired, false);
    assert.ok(Date.parse(doc.lock.expiresAt) > Date.now());
    assert.match(shown.stderr, /Nothing was released/);

    const asYaml = await k8sup(['unlock', 'cluster', name, '--lock-id', lockId, '-o', 'yaml'], { env });
    assert.deepEqual(parse(asYaml.stdout), doc, 'yaml is the same document');
    const asTable = await k8sup(['unlock', 'cluster', name, '--lock-id', lockId], { env });
    assert.equal(asTable.stdout, '');

    const released = await k8sup(['unlock', 'cluster', name, '--lock-id', lockId, '--yes', '-o', 'json'], { env });
    assert.equal(released.code, 0, released.stderr);
    const after = JSON.parse(released.stdout);
    assert.equal(after.released, true);
    assert.equal(after.lock.id, lockId);
    assert.equal(after.lock.command, 'edit cluster');
  } finally {
    // The editor ends first (the edit waits for it), then the edit itself.
    writeFileSync(stop, '');
    edit.child.kill('SIGTERM');
    await edit.done;
  }
});
