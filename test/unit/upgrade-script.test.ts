// The scripts of `upgrade cluster`'s steps (templates/upgrade) and of `certs` (templates/certs): every action on apt
// and dnf hosts passes shellcheck,
// a finished step is a no-op when it runs again, and the packages come from the new minor's repository.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { renderUpgradeStepScript, type UpgradeScriptInput } from '../../src/bootstrap/upgrade-script.js';
import { testCluster } from '../helpers/bootstrap-fixtures.js';

const ACTIONS: UpgradeScriptInput['action'][] = ['etcd-snapshot', 'kubeadm', 'upgrade-apply', 'upgrade-node', 'drain', 'kubelet', 'uncordon', 'validate'];
const dir = mkdtempSync(join(tmpdir(), 'k8sup-upgrade-script-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const render = (action: UpgradeScriptInput['action'], osFamily: 'debian' | 'rhel' = 'debian') =>
  renderUpgradeStepScript({ cluster: testCluster({ provider: 'metal', version: '1.35.1' }), stepId: `host/w1/${action}`, action, node: 'w1', from: '1.34.4', to: '1.35.1', osFamily });

describe('upgrade step scripts', () => {
  test('every action passes shellcheck on apt and dnf hosts', () => {
    for (const family of ['debian', 'rhel'] as const) {
      for (const action of ACTIONS) {
        const file = join(dir, `${family}-${action}.sh`);
        writeFileSync(file, render(action, family));
        execFileSync('shellcheck', ['--severity=style', file]);
      }
    }
  });

  test('the certs scripts (templates/certs) pass shellcheck', () => {
    for (const name of ['list.sh', 'renew.sh']) execFileSync('shellcheck', ['--severity=style', '--shell=bash', new URL(`../../templates/certs/${name}`, import.meta.url).pathname]);
  });

  test('packages: the new minor repository and pinned versions; dnf hosts use the rpm repository', () => {
    const apt = render('kubelet');
    assert.match(apt, /^repo='https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v1\.35\/deb\/'$/m);
    assert.match(apt, /install -y -q --allow-change-held-packages 'kubelet=1\.35\.1-1\.1' 'kubectl=1\.35\.1-1\.1'$/m);
    assert.match(apt, /systemctl restart kubelet/);
    const dnf = render('kubeadm', 'rhel');
    assert.match(dnf, /^baseurl=https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v1\.35\/rpm\/$/m);
    assert.match(dnf, /dnf install -y -q --disableexcludes=kubernetes 'kubeadm-1\.35\.1'$/m);
    assert.doesNotMatch(dnf, /apt-get|systemctl restart kubelet/);
  });

  test('a finished step leaves its marker and is a no-op the second time', () => {
    const root = mkdtempSync(join(dir, 'root-'));
    const bin = join(root, 'bin');
    execFileSync('mkdir', ['-p', bin]);
    writeFileSync(join(bin, 'kubeadm'), `#!/bin/sh\necho "kubeadm $*" >> "${root}/calls"\n`, { mode: 0o755 });
    const script = join(root, 'step.sh');
    writeFileSync(script, render('upgrade-node'));
    const env = { ...process.env, K8SUP_ROOT: root, PATH: `${bin}:${process.env.PATH}` };
    const first = spawnSync('bash', [script], { env, encoding: 'utf8' });
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /^k8sup-step: done$/m);
    const second = spawnSync('bash', [script], { env, encoding: 'utf8' });
    assert.match(second.stdout, /^k8sup-step: already done$/m);
    assert.equal(execFileSync('cat', [join(root, 'calls')], { encoding: 'utf8' }), 'kubeadm upgrade node\n');
  });

  test('a node name that is not a DNS name is refused before anything is rendered', () => {
    assert.throws(() => renderUpgradeStepScript({ cluster: testCluster({ provider: 'metal' }), stepId: 'x', action: 'drain', node: 'w1; rm -rf /', from: '1.34.4', to: '1.35.1', osFamily: 'debian' }), /not a node name/);
  });
});
