// The lock lifecycle through the real CLI on the file store: a lock left by a run killed with SIGKILL on this host
// is taken over at once with a warning (also when its pid now belongs to another process); a lock of another host
// keeps exit 3 until it expires or `unlock cluster --lock-id` frees it; `--lock-timeout` waits for a lock instead;
// and `edit cluster` keeps its lock alive while the editor is open and never loses an edit it could not save.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ownIdentity } from '../../src/cli/local-process.js';
import { openBlobStore } from '../../src/state/open.js';
import { ClusterStore } from '../../src/state/cluster-store.js';
import { K8SUP, k8sup, startK8sup, tempHome, treeDigest } from '../helpers/cli.js';
import { waitFor } from '../helpers/net.js';

async function newCluster(name: string): Promise<{ home: string; env: Record<string, string> }> {
  const home = tempHome();
  const env = { HOME: home };
  const created = await k8sup(['create', 'cluster', name, '--zones', 'us-east-2a'], { env });
  assert.equal(created.code, 0, created.stderr);
  return { home, env };
}

const lockFile = (home: string, name: string) => join(home, '.k8sup', 'state', name, 'lock.json');

/** The cluster's store, opened in this process as k8sup opens it. */
async function clusterStore(home: string, name: string): Promise<ClusterStore> {
  return new ClusterStore(await openBlobStore(undefined, {}, home), name);
}

/** A spec file with the node group resized: the change `replace -f` makes in these tests. */
async function resizedSpec(home: string, env: Record<string, string>, name: string, maxSize: number): Promise<string> {
  const spec = JSON.parse((await k8sup(['get', 'cluster', name, '-o', 'json'], { env })).stdout);
  spec.spec.nodeGroups[0].maxSize = maxSize;
  const file = join(home, `spec-${maxSize}.json`);
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

async function history(env: Record<string, string>, name: string): Promise<any[]> {
  return JSON.parse((await k8sup(['history', 'cluster', name, '-o', 'json'], { env })).stdout);
}

async function maxSize(env: Record<string, string>, name: string): Promise<number> {
  return parse((await k8sup(['get', 'cluster', name, '-o', 'yaml'], { env })).stdout).spec.nodeGroups[0].maxSize;
}

function script(home: string, file: string, body: string): string {
  const path = join(home, file);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

test('a lock left by a run killed with SIGKILL on this host is taken over at once, with a warning naming it', { timeout: 60_000 }, async () => {
  const name = 'killed.k8s.local';
  const { home, env } = await newCluster(name);
  // An edit whose editor never returns holds the lock; SIGKILL gives it no chance to release it.
  const started = join(home, 'editor-started');
  const editor = script(home, 'hang.sh', `touch '${started}'\nsleep 60`);
  const child = spawn(process.execPath, [K8SUP, 'edit', 'cluster', name], { env: { PATH: process.env.PATH, HOME: home, EDITOR: editor }, stdio: 'ignore', detached: true });
  await waitFor(async () => existsSync(started), { timeoutMs: 20_000, what: 'the editor to start' });
  const left = JSON.parse(readFileSync(lockFile(home, name), 'utf8'));
  assert.equal(left.pid, child.pid);
  assert.ok(left.startTime, 'the lock records when its holder started (pid reuse)');
  process.kill(-child.pid!, 'SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(existsSync(lockFile(home, name)), 'SIGKILL left the lock behind');

  const replaced = await k8sup(['replace', '-f', await resizedSpec(home, env, name, 4)], { env });
  assert.equal(replaced.code, 0, replaced.stderr);
  assert.match(replaced.stderr, new RegExp(`warning: took over the lock on cluster ${name} from \\S+ \\(pid ${child.pid}, "edit cluster"\\): that process no longer runs on this host`));
  // The holder prints as user@host once, not user@host@host.
  assert.match(replaced.stderr, new RegExp(`from [^@\\s]+@${hostname()} \\(pid`));
  assert.equal(await maxSize(env, name), 4);
  assert.equal(existsSync(lockFile(home, name)), false, 'the taking run released the lock at its end');
});

test('a pid that now belongs to another process does not keep a dead run\'s lock; a live holder does', { timeout: 60_000 }, async () => {
  const name = 'reused.k8s.local';
  const { home, env } = await newCluster(name);
  const cs = await clusterStore(home, name);
  // This test process is alive: a lock with its pid and its real start time is a live holder on this host…
  const self = ownIdentity(process.pid);
  assert.ok(self.startTime && self.pidNamespace, 'Linux: the process identity is readable from /proc');
  const live = await cs.acquireLock({ owner: 'ops', host: hostname(), pid: process.pid, command: 'update cluster', ttlMs: 600_000, renewEveryMs: 0, ...self });
  const file = await resizedSpec(home, env, name, 5);
  const refused = await k8sup(['replace', '-f', file], { env });
  assert.equal(refused.code, 3, refused.stderr);
  assert.match(refused.stderr, new RegExp(`locked by ops@${hostname()} \\(pid ${process.pid}, "update cluster"\\)`));
  await live.release();

  // …but the same pid with another start time is a process that took the pid over after the holder died.
  await cs.acquireLock({ owner: 'ops', host: hostname(), pid: process.pid, command: 'update cluster', ttlMs: 600_000, renewEveryMs: 0, ...self, startTime: '1' });
  const taken = await k8sup(['replace', '-f', file], { env });
  assert.equal(taken.code, 0, taken.stderr);
  assert.match(taken.stderr, new RegExp(`took over the lock on cluster ${name} from ops@${hostname()} \\(pid ${process.pid}`));
  assert.equal(await maxSize(env, name), 5);
});

test('a lock of another host: exit 3 naming owner@host once and the lock id, even if its pid is unused here; unlock frees it', { timeout: 60_000 }, async () => {
  const name = 'foreign.k8s.local';
  const { home, env } = await newCluster(name);
  const cs = await clusterStore(home, name);
  // pid 2^22+1 is above Linux's pid_max ceiling: no process here has it, but on runner-7 it means something.
  const lease = await cs.acquireLock({ owner: 'ci@runner-7', host: 'runner-7', pid: 4194305, command: 'update cluster', ttlMs: 600_000, renewEveryMs: 0 });
  const file = await resizedSpec(home, env, name, 6);
  const blocked = await k8sup(['replace', '-f', file], { env });
  assert.equal(blocked.code, 3, blocked.stderr);
  assert.match(blocked.stderr, /locked by ci@runner-7 \(pid 4194305, "update cluster"\)/);
  assert.doesNotMatch(blocked.stderr, /runner-7@runner-7/);
  const id = /--lock-id (\S+)/.exec(blocked.stderr)?.[1];
  assert.equal(id, lease.id);

  assert.equal((await k8sup(['unlock', 'cluster', name, '--lock-id', 'not-the-id'], { env })).code, 2, 'a wrong id is refused');
  assert.equal((await k8sup(['unlock', 'cluster', name, '--lock-id', 'not-the-id', '--yes'], { env })).code, 2, 'a wrong id is refused with --yes too');
  // Without --yes unlock only shows the lock: the store is byte-for-byte the same and the cluster still locked.
  const digest = treeDigest(join(home, '.k8sup', 'state'));
  const preview = await k8sup(['unlock', 'cluster', name, '--lock-id', id!], { env });
  assert.equal(preview.code, 0, preview.stderr);
  assert.doesNotMatch(preview.stderr, /@[^@\s]+@/, 'the holder is user@host, not user@host@host');
  assert.match(preview.stderr, new RegExp(`k8sup unlock cluster ${name} --lock-id ${id} --yes`));
  assert.equal(treeDigest(join(home, '.k8sup', 'state')), digest, 'unlock without --yes wrote something');
  assert.equal((await k8sup(['replace', '-f', file], { env })).code, 3, 'still locked');
  const unlocked = await k8sup(['unlock', 'cluster', name, '--lock-id', id!, '--yes'], { env });
  assert.equal(unlocked.code, 0, unlocked.stderr);
  const after = await k8sup(['replace', '-f', file], { env });
  assert.equal(after.code, 0, after.stderr);
  assert.equal((await history(env, name)).length, 2);
});

test('--lock-timeout waits for the holder to finish; after the timeout it exits 3; a bad duration exits 2', { timeout: 90_000 }, async () => {
  const name = 'waiting.k8s.local';
  const { home, env } = await newCluster(name);
  const file = await resizedSpec(home, env, name, 7);

  // A bad duration is refused before anything is read or written.
  for (const [args, extra] of [[['--lock-timeout', 'soon'], {}], [[], { K8SUP_LOCK_TIMEOUT: '5' }]] as const) {
    const bad = await k8sup(['replace', '-f', file, ...args], { env: { ...env, ...extra } });
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /(--lock-timeout|K8SUP_LOCK_TIMEOUT): invalid duration/);
  }

  // A real holder: an edit whose editor waits for a go-ahead and then saves nothing.
  const started = join(home, 'started');
  const go = join(home, 'go');
  const editor = script(home, 'wait.sh', `touch '${started}'\ni=0\nwhile [ ! -e '${go}' ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done`);
  const edit = startK8sup(['edit', 'cluster', name], { env: { ...env, EDITOR: editor } });
  await waitFor(async () => existsSync(started), { timeoutMs: 20_000, what: 'the editor to start' });

  const t0 = performance.now();
  const gaveUp = await k8sup(['replace', '-f', file, '--lock-timeout', '1500ms'], { env });
  const waited = performance.now() - t0;
  assert.equal(gaveUp.code, 3, gaveUp.stderr);
  assert.match(gaveUp.stderr, /locked by .*"edit cluster".*\(waited 1\.\d s\)/);
  assert.ok(waited >= 1500, `gave up after ${Math.round(waited)} ms, before the timeout`);

  const waiter = startK8sup(['replace', '-f', file], { env: { ...env, K8SUP_LOCK_TIMEOUT: '60s' } });
  await waitFor(async () => /waiting up to 60 s/.test(waiter.stderr()), { timeoutMs: 20_000, what: 'the replace to wait for the lock' });
  writeFileSync(go, '');
  const editDone = await edit.done;
  assert.equal(editDone.code, 0, editDone.stderr);
  const replaced = await waiter.done;
  assert.equal(replaced.code, 0, replaced.stderr);
  assert.equal(await maxSize(env, name), 7);
});

test('edit cluster: the lock is renewed while the editor is open, so an edit longer than the lock lifetime saves', { timeout: 60_000 }, async () => {
  const name = 'long-edit.k8s.local';
  const { home, env } = await newCluster(name);
  const lock = lockFile(home, name);
  // The "editor" notes the lock's expiry, stays open for 2.5 lock lifetimes, notes it again, and resizes the group.
  const editor = script(
    home,
    'slow.sh',
    `cp '${lock}' '${home}/lock-before.json'\nsleep 5\ncp '${lock}' '${home}/lock-after.json'\nsed -i 's/maxSize: 1$/maxSize: 8/' "$1"`,
  );
  const edited = await k8sup(['edit', 'cluster', name], { env: { ...env, EDITOR: editor, K8SUP_LOCK_TTL: '2s' } });
  assert.equal(edited.code, 0, edited.stderr);
  const before = JSON.parse(readFileSync(join(home, 'lock-before.json'), 'utf8'));
  const after = JSON.parse(readFileSync(join(home, 'lock-after.json'), 'utf8'));
  assert.equal(after.id, before.id, 'the same lock');
  assert.ok(Date.parse(after.expiresAt) - Date.parse(before.expiresAt) >= 3000, `renewed while the editor was open: ${before.expiresAt} → ${after.expiresAt}`);
  assert.ok(Date.parse(after.expiresAt) - Date.parse(after.acquiredAt) > 2000, 'the lock outlived its 2s lifetime by renewal');
  assert.equal(await maxSize(env, name), 8);
  assert.equal(existsSync(lock), false);
});

test('edit cluster: an edit that could not be saved (lock lost while editing) is kept, and replace -f applies it', { timeout: 60_000 }, async () => {
  const name = 'lost-edit.k8s.local';
  const { home, env } = await newCluster(name);
  const started = join(home, 'started');
  const go = join(home, 'go');
  const editor = script(
    home,
    'edit.sh',
    `sed -i 's/maxSize: 1$/maxSize: 9/' "$1"\ntouch '${started}'\ni=0\nwhile [ ! -e '${go}' ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done`,
  );
  const edit = startK8sup(['edit', 'cluster', name], { env: { ...env, EDITOR: editor } });
  await waitFor(async () => existsSync(started), { timeoutMs: 20_000, what: 'the editor to start' });
  // Someone removes the lock while the editor is open (as `unlock` would for a run they wrongly believed dead).
  const id = JSON.parse(readFileSync(lockFile(home, name), 'utf8')).id;
  assert.equal((await k8sup(['unlock', 'cluster', name, '--lock-id', id, '--yes'], { env })).code, 0);
  writeFileSync(go, '');
  const r = await edit.done;
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /lost the lock/);
  const kept = /It is kept in (\S+);.* k8sup replace -f (\S+)/.exec(r.stderr);
  assert.ok(kept, `no kept edit named in:\n${r.stderr}`);
  assert.equal(kept[1], kept[2]);
  assert.ok(kept[1].startsWith(join(home, '.k8sup', 'edits')), kept[1]);
  assert.deepEqual(readdirSync(join(home, '.k8sup', 'edits')).length, 1);
  assert.equal((await history(env, name)).length, 1, 'nothing was saved');

  const applied = await k8sup(['replace', '-f', kept[1]], { env });
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal(await maxSize(env, name), 9);
});
