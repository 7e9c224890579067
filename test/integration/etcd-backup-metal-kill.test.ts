// The metal k8sup-etcd-backup keeps its snapshot on the host (/var/lib/k8sup/etcd-backups/<id>/), against a real etcd
// (Debian's /usr/bin/etcd) on 127.0.0.1 run from its static pod manifest. Killed (SIGKILL) the moment it moves the
// snapshot into the backup folder, it must never leave a manifest.json there without its whole snapshot.db: a
// folder with a manifest is a backup, and the next restore would trust it.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { renderEtcdBackupScript } from '../../src/bootstrap/index.js';
import { testInput } from '../helpers/bootstrap-fixtures.js';
import { etcdctl, newMember, StaticPodKubelet, waitHealthy, writeEtcdManifest, writeEtcdPki, type EtcdMember } from '../helpers/etcd.js';

const dir = mkdtempSync(join(tmpdir(), 'k8sup-etcd-backup-kill-'));
const root = join(dir, 'cp');
let member: EtcdMember;
let kubelet: StaticPodKubelet;

/** An `mv` that SIGKILLs the backup script when it moves anything onto a name with snapshot.db in it (once only). */
function killerBin(): string {
  const bin = join(dir, 'killer');
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    join(bin, 'mv'),
    `#!/bin/bash
if [ ! -e "\${KILL_FLAG}" ]; then
  case "\${!#}" in
    *snapshot.db*)
      : >"\${KILL_FLAG}"
      kill -9 "$PPID"
      exit 137 ;;
  esac
fi
exec /bin/mv "$@"
`,
    { mode: 0o755 },
  );
  return bin;
}

function runBackup(script: string, env: Record<string, string> = {}, pathPrefix = ''): Promise<{ status: number | null; stderr: string; stdout: string }> {
  const path = join(dir, 'k8sup-etcd-backup');
  writeFileSync(path, script, { mode: 0o700 });
  const child = spawn('bash', [path, '--force'], { env: { PATH: `${pathPrefix}/usr/bin:/bin`, K8SUP_ROOT: root, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((resolve) => child.on('close', (status) => (clearTimeout(killer), resolve({ status, stdout, stderr }))));
}

before(async () => {
  await writeEtcdPki(root);
  member = await newMember('cp', join(dir, 'cp-data'));
  writeEtcdManifest(root, member);
  kubelet = new StaticPodKubelet(root);
  kubelet.start();
  await waitHealthy(root, member, 60_000);
  assert.equal(etcdctl(root, member, ['put', '/registry/secrets/default/db', 's3cr3t']).status, 0);
});

after(async () => {
  await kubelet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('killed while it moves the snapshot into place: no backup folder has a manifest without its snapshot; the next run keeps a whole backup', { timeout: 180_000 }, async () => {
  const input = testInput('metal', 'control-plane-init');
  input.cluster.spec.etcd = { backups: { schedule: 'hourly', retain: 5 } };
  const script = renderEtcdBackupScript(input);
  const flag = join(dir, 'killed');
  const killed = await runBackup(script, { KILL_FLAG: flag }, `${killerBin()}:`);
  assert.ok(existsSync(flag), `the script never moved its snapshot (status ${killed.status}):\n${killed.stderr}`);
  assert.equal(killed.status, null, `the script was not killed:\n${killed.stderr}`);
  const backups = join(root, 'var/lib/k8sup/etcd-backups');
  const folders = () => (existsSync(backups) ? readdirSync(backups) : []);
  for (const id of folders()) {
    const files = readdirSync(join(backups, id));
    assert.ok(!files.includes('manifest.json') || files.includes('snapshot.db'), `backup ${id} has a manifest without its snapshot: ${files.join(', ')}`);
  }
  const interrupted = folders();
  assert.equal(interrupted.length, 1, `the killed run left no folder: ${interrupted.join(', ')}`);
  await new Promise((resolve) => setTimeout(resolve, 1100)); // ids are per second: the next run's is another
  const again = await runBackup(script);
  assert.equal(again.status, 0, again.stderr);
  const id = /^backup=(\S+)$/m.exec(again.stdout)?.[1];
  assert.ok(id, again.stdout);
  assert.ok(statSync(join(backups, id, 'snapshot.db')).size > 0);
  assert.ok(existsSync(join(backups, id, 'manifest.json')));
  // The killed run's folder is no backup: the next run removes it, so it neither looks like one nor takes a place
  // among the newest `retain`.
  assert.notEqual(interrupted[0], id);
  assert.ok(!folders().includes(interrupted[0]), `the interrupted folder ${interrupted[0]} is still there: ${folders().join(', ')}`);
  assert.ok(again.stderr.includes(`removed interrupted backup ${interrupted[0]} (no manifest.json)`), again.stderr);
  for (const f of folders()) assert.ok(existsSync(join(backups, f, 'manifest.json')), `${f} has no manifest.json`);
});
