// The instance side of the retrying bootstrap: the installer (AWS user data, GCE startup script) writes the script
// and k8sup-bootstrap.service and starts it; systemd accepts the unit; the reports nodes write are read back safely.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BOOTSTRAP_UNIT, readNodeReports, parseNodeReport, renderBootstrapInstaller, renderBootstrapScript } from '../../src/bootstrap/index.js';
import { evaluateBootstrapReports } from '../../src/validate/bootstrap-reports.js';
import { MemoryBlobStore } from '../../src/state/memory.js';
import { API_ADDRESS_PLACEHOLDER, wrapStartupScript } from '../../providers/gce/model/startup-script.js';
import { testInput } from '../helpers/bootstrap-fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'k8sup-unit-'));
after(() => rmSync(work, { recursive: true, force: true }));
const UNIT_TEMPLATE = readFileSync(new URL('../../templates/node/k8sup-bootstrap.service', import.meta.url), 'utf8');

/** Runs an installer with its absolute paths moved under a temporary folder and stub systemctl/curl on PATH. */
function runInstaller(installer: string, name: string) {
  const dir = join(work, name);
  const bin = join(dir, 'bin');
  mkdirSync(join(dir, 'etc/systemd/system'), { recursive: true });
  mkdirSync(bin, { recursive: true });
  const log = join(dir, 'calls.log');
  const stub = `#!/bin/bash\nprintf '%s %s\\n' "$(basename "$0")" "$*" >>'${log}'\n[ "$(basename "$0")" = curl ] && printf '10.0.0.9'\nexit 0\n`;
  for (const c of ['systemctl', 'curl']) {
    writeFileSync(join(bin, c), stub);
    chmodSync(join(bin, c), 0o755);
  }
  const moved = installer.replaceAll('/var/lib/k8sup', `${dir}/var/lib/k8sup`).replaceAll('/etc/systemd/system', `${dir}/etc/systemd/system`);
  const res = spawnSync('bash', ['-c', moved], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin` } });
  assert.equal(res.status, 0, res.stderr);
  return {
    /** What the installer was given, with the same paths moved. */
    moved: (text: string) => text.replaceAll('/var/lib/k8sup', `${dir}/var/lib/k8sup`).replaceAll('/etc/systemd/system', `${dir}/etc/systemd/system`),
    script: join(dir, 'var/lib/k8sup/bootstrap.sh'),
    unit: readFileSync(join(dir, 'etc/systemd/system', BOOTSTRAP_UNIT), 'utf8'),
    calls: readFileSync(log, 'utf8').trim().split('\n'),
  };
}

describe('the bootstrap installer', () => {
  test('AWS user data: writes the script byte for byte (0700) and the unit, enables it, starts it without waiting', () => {
    const bootstrap = renderBootstrapScript(testInput('aws', 'control-plane-init'));
    const out = runInstaller(renderBootstrapInstaller(bootstrap), 'aws');
    assert.equal(readFileSync(out.script, 'utf8'), out.moved(bootstrap));
    assert.equal(statSync(out.script).mode & 0o777, 0o700);
    assert.equal(out.unit, out.moved(UNIT_TEMPLATE));
    assert.deepEqual(out.calls, ['systemctl daemon-reload', `systemctl enable ${BOOTSTRAP_UNIT}`, `systemctl start --no-block ${BOOTSTRAP_UNIT}`]);
  });

  test('GCE startup script: fills in the API address from instance metadata on the way', () => {
    const bootstrap = renderBootstrapScript({ ...testInput('gce', 'worker'), apiEndpoint: `${API_ADDRESS_PLACEHOLDER}:6443` });
    assert.ok(bootstrap.includes(API_ADDRESS_PLACEHOLDER));
    const out = runInstaller(wrapStartupScript(bootstrap, '100.96.0.0/11'), 'gce');
    const written = readFileSync(out.script, 'utf8');
    assert.equal(written, out.moved(bootstrap).replaceAll(API_ADDRESS_PLACEHOLDER, '10.0.0.9'));
    assert.match(out.calls[0], /^curl .*instance\/attributes\/k8sup-api-address$/);
    assert.equal(out.calls.at(-1), `systemctl start --no-block ${BOOTSTRAP_UNIT}`);
  });

  test('systemd accepts the unit: oneshot, restarted on failure for ever, each run bounded', () => {
    const path = join(work, BOOTSTRAP_UNIT);
    writeFileSync(path, UNIT_TEMPLATE);
    const ok = spawnSync('systemd-analyze', ['verify', '--man=no', path], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stderr.trim(), '', ok.stderr);
    for (const line of ['Type=oneshot', 'Restart=on-failure', 'RestartSec=10', 'StartLimitIntervalSec=0', 'TimeoutStartSec=90min', 'ExecStart=/bin/bash /var/lib/k8sup/bootstrap.sh', 'WantedBy=multi-user.target']) {
      assert.ok(UNIT_TEMPLATE.split('\n').includes(line), line);
    }
    // The check above is live: systemd-analyze complains about a broken unit.
    writeFileSync(path, UNIT_TEMPLATE.replace('Type=oneshot', 'Type=oneshoot'));
    const bad = spawnSync('systemd-analyze', ['verify', '--man=no', path], { encoding: 'utf8' });
    assert.match(bad.stderr, /service type/i);
  });
});

describe('progress reports as k8sup reads them', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  const report = (instance: string, state: string, time: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ v: 1, instance, cluster: 'demo.k8s.local', role: 'worker', group: 'nodes', step: 'kubeadm', state, attempt: 2, error: 'boom', time, ...extra });

  test('malformed reports are rejected, not trusted', () => {
    assert.equal(parseNodeReport('not json'), undefined);
    assert.equal(parseNodeReport('{"instance":"i-1","state":"exploded"}'), undefined);
    assert.equal(parseNodeReport('{"state":"failed"}'), undefined);
    assert.deepEqual(parseNodeReport(report('i-1', 'failed', '2026-12-01T11:59:00Z', { attempt: 'x', error: 7 })), {
      instance: 'i-1', role: 'worker', group: 'nodes', step: 'kubeadm', state: 'failed', attempt: 0, error: '', time: '2026-12-01T11:59:00Z',
    });
  });

  test('readNodeReports: this cluster only, sorted by group and instance, unreadable ones skipped', async () => {
    const store = new MemoryBlobStore();
    await store.put('demo.k8s.local/nodes/status/i-2.json', report('i-2', 'done', '2026-12-01T11:00:00Z'));
    await store.put('demo.k8s.local/nodes/status/i-1.json', report('i-1', 'running', '2026-12-01T11:00:00Z'));
    await store.put('demo.k8s.local/nodes/status/cp.json', report('cp', 'done', '2026-12-01T11:00:00Z', { group: 'control-plane' }));
    await store.put('demo.k8s.local/nodes/status/junk.json', '{');
    await store.put('other.k8s.local/nodes/status/i-9.json', report('i-9', 'failed', '2026-12-01T11:00:00Z'));
    assert.deepEqual((await readNodeReports(store, 'demo.k8s.local')).map((r) => r.instance), ['cp', 'i-1', 'i-2']);
  });

  test('validate: a fresh failed report is a bootstrap failure; done, running and stale (replaced instance) ones are not', () => {
    const parsed = [
      report('i-fresh', 'failed', '2026-12-01T11:50:00Z'),
      report('i-stale', 'failed', '2026-12-01T09:00:00Z'),
      report('i-done', 'done', '2026-12-01T11:50:00Z'),
      report('i-run', 'running', '2026-12-01T11:50:00Z'),
      report('i-noclock', 'failed', 'whenever'),
    ].map((t) => parseNodeReport(t)!);
    assert.deepEqual(evaluateBootstrapReports(parsed, now), [
      { type: 'bootstrap', name: 'i-fresh', message: 'node i-fresh: bootstrap failing at step kubeadm (attempt 2): boom' },
    ]);
  });
});
