// A kill -9 while the restore script rewrites a file the next run trusts, against real etcd (Debian's /usr/bin/etcd)
// on 127.0.0.1: two control planes of one cluster, the first restored as the seed of an HA restore, the second
// rejoining it (templates/bootstrap/etcd-restore-body.sh, `rejoin`). The script is killed the moment it writes the
// parked etcd manifest with the new --initial-cluster (cat or mv into it, whichever the script uses): the manifest
// must still be whole afterwards, and the same command again must finish the rejoin.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { renderEtcdRestoreScript } from '../../src/bootstrap/index.js';
import { testInput } from '../helpers/bootstrap-fixtures.js';
import { etcdctl } from '../helpers/etcd.js';
import { memberList, runScript, startHaEtcd, stopHaEtcd, type HaNode } from '../helpers/etcd-ha-nodes.js';

const dir = mkdtempSync(join(tmpdir(), 'k8sup-etcd-kill-'));
let nodes: HaNode[] = [];
const RESTORE_ID = '20261202T010000Z-0a1b2c3d';

/**
 * `cat` and `mv` that SIGKILL the script (and the shells between it and them) when they are about to write
 * KILL_TARGET: cat with its output there (the shell has already truncated it), mv renaming anything but the live
 * manifest onto it. Once only (KILL_FLAG); every other call runs the real tool.
 */
function killerBin(): string {
  const bin = join(dir, 'killer');
  mkdirSync(bin, { recursive: true });
  const body = `#!/bin/bash
name="$(basename "$0")"
hit=0
if [ ! -e "\${KILL_FLAG}" ]; then
  case "\${name}" in
    cat) [ "$(readlink -f /proc/$$/fd/1)" = "\${KILL_TARGET}" ] && hit=1 ;;
    mv) if [ "\${!#}" = "\${KILL_TARGET}" ]; then case "\${@: -2:1}" in */manifests/*) ;; *) hit=1 ;; esac; fi ;;
  esac
fi
if [ "\${hit}" = 1 ]; then
  : >"\${KILL_FLAG}"
  pid=$PPID
  while [ "\${pid}" -gt 1 ] && grep -q k8sup-etcd-restore "/proc/\${pid}/cmdline" 2>/dev/null; do
    kill -9 "\${pid}"
    pid="$(awk '/^PPid:/ { print $2 }' "/proc/\${pid}/status" 2>/dev/null || echo 1)"
  done
  exit 137
fi
exec "/bin/\${name}" "$@"
`;
  for (const name of ['cat', 'mv']) writeFileSync(join(bin, name), body, { mode: 0o755 });
  return bin;
}

before(async () => {
  nodes = await startHaEtcd(dir, ['cp-a', 'cp-b']);
  const input = testInput('aws', 'control-plane-init');
  input.cluster.spec.controlPlane.count = 3;
  input.cluster.spec.etcd = { backups: { schedule: 'off', retain: 2 } };
  const script = renderEtcdRestoreScript(input);
  for (const n of nodes) {
    mkdirSync(join(n.root, 'usr/local/sbin'), { recursive: true });
    writeFileSync(join(n.root, 'usr/local/sbin/k8sup-etcd-restore'), script, { mode: 0o755 });
  }
  assert.equal(etcdctl(nodes[0].root, nodes[0].member, ['put', '/registry/secrets/default/db', 's3cr3t']).status, 0);
});

after(async () => {
  await stopHaEtcd(nodes);
  rmSync(dir, { recursive: true, force: true });
});

test('killed while it writes the parked etcd manifest, rejoin leaves it whole and the next run finishes', { timeout: 240_000 }, async () => {
  const [seed, joiner] = nodes;
  const snapshot = join(dir, 'snapshot.db');
  const saved = etcdctl(seed.root, seed.member, ['snapshot', 'save', snapshot]);
  assert.equal(saved.status, 0, saved.stderr);
  const sha = createHash('sha256').update(readFileSync(snapshot)).digest('hex');
  const seeded = await runScript(seed, 'k8sup-etcd-restore', ['seed', snapshot, sha, RESTORE_ID], { timeoutMs: 200_000 });
  assert.equal(seeded.status, 0, seeded.stderr);

  const parked = join(joiner.root, 'etc/kubernetes/k8sup-restore-manifests/etcd.yaml');
  const flag = join(dir, 'killed');
  const killed = await runScript(joiner, 'k8sup-etcd-restore', ['rejoin', seed.member.clientUrl, RESTORE_ID], {
    pathPrefix: killerBin(),
    env: { KILL_TARGET: parked, KILL_FLAG: flag },
    timeoutMs: 200_000,
  });
  assert.ok(existsSync(flag), `the script never wrote the parked manifest (status ${killed.status}):\n${killed.stderr}`);
  assert.equal(killed.status, null, `the script was not killed:\n${killed.stderr}`);
  const manifest = readFileSync(parked, 'utf8');
  assert.match(manifest, /^\s*- --name=cp-b$/m, `the parked manifest was left broken by the kill:\n${manifest}`);
  assert.match(manifest, /^\s*- --initial-cluster=/m, manifest);

  const again = await runScript(joiner, 'k8sup-etcd-restore', ['rejoin', seed.member.clientUrl, RESTORE_ID], { timeoutMs: 200_000 });
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(memberList(seed).map((m) => m.split(' ').slice(0, 2).join(' ')), ['started cp-a', 'started cp-b']);
  const read = etcdctl(joiner.root, joiner.member, ['get', '/registry/secrets/default/db', '--print-value-only']);
  assert.equal(read.stdout.trim(), 's3cr3t', read.stderr);
});
