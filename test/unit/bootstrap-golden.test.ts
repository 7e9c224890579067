// Every role × provider × (the oldest and the newest supported minor) renders to a reviewed golden script that passes shellcheck.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { renderBootstrapInstaller, renderBootstrapScript, renderEtcdBackupScript, renderEtcdControlScript, renderEtcdLeaveScript, renderEtcdRestoreScript, renderTokenRefreshScript } from '../../src/bootstrap/index.js';
import { wrapStartupScript } from '../../providers/gce/model/startup-script.js';
import { DEFAULT_KUBERNETES_VERSION, SUPPORTED_KUBERNETES_MINORS } from '../../src/api/version.js';
import { AIRGAP_ASSETS, PROVIDERS, ROLES, VERSIONS, testInput, withEverySetting } from '../helpers/bootstrap-fixtures.js';
import { expectGolden } from '../helpers/golden.js';

const cases: { name: string; script: string }[] = [];
for (const provider of PROVIDERS) {
  for (const role of ROLES) {
    for (const version of VERSIONS) {
      cases.push({ name: `${provider}-${role}-${version}`, script: renderBootstrapScript(testInput(provider, role, { version })) });
    }
  }
}
// The variants that change the script's shape: other CNIs, and an air-gapped install through mirrors.
cases.push({ name: 'aws-control-plane-init-1.35.1-cilium', script: renderBootstrapScript(testInput('aws', 'control-plane-init', { cni: 'cilium' })) });
cases.push({ name: 'gce-control-plane-init-1.35.1-flannel', script: renderBootstrapScript(testInput('gce', 'control-plane-init', { cni: 'flannel' })) });
cases.push({
  name: 'metal-control-plane-init-1.35.1-airgapped',
  script: renderBootstrapScript(
    testInput('metal', 'control-plane-init', { assets: { baseURL: 'https://mirror.corp.example/k8s-assets', registryMirror: 'registry.corp.example:5000' } }),
  ),
});
// Every component setting (docs/spec.md), for each supported minor: rendered into kubeadm v1beta4.
for (const minor of SUPPORTED_KUBERNETES_MINORS) {
  const input = testInput('aws', 'control-plane-init', { version: `1.${minor}.0` });
  withEverySetting(input.cluster);
  cases.push({ name: `aws-control-plane-init-1.${minor}.0-settings`, script: renderBootstrapScript(input) });
}
const settingsWorker = testInput('gce', 'worker');
withEverySetting(settingsWorker.cluster);
cases.push({ name: `gce-worker-${settingsWorker.cluster.spec.kubernetesVersion}-settings`, script: renderBootstrapScript(settingsWorker) });
// Air-gapped through the site's mirrors (containerRegistry, fileRepository, registry CA, package mirrors).
for (const [provider, role, cni] of [['aws', 'control-plane-init', 'calico'], ['gce', 'worker', 'flannel'], ['metal', 'control-plane-init', 'cilium']] as const) {
  cases.push({ name: `${provider}-${role}-${DEFAULT_KUBERNETES_VERSION}-mirrored`, script: renderBootstrapScript(testInput(provider, role, { cni, assets: AIRGAP_ASSETS })) });
}
cases.push({ name: `metal-worker-${DEFAULT_KUBERNETES_VERSION}-mirrored-rhel`, script: renderBootstrapScript({ ...testInput('metal', 'worker', { assets: AIRGAP_ASSETS }), osFamily: 'rhel' }) });
// A single control plane on the cloud: a replaced init instance refuses instead of joining (nothing to join).
const single = testInput('aws', 'control-plane-init');
single.cluster.spec.controlPlane.count = 1;
cases.push({ name: 'aws-control-plane-init-1.35.1-single', script: renderBootstrapScript(single) });
// Control planes rendered for `upgrade cluster` (docs/upgrades.md, "Clouds"): they join with the old version's packages
// when the cluster still runs it; the single first control plane joins only beside the running one; an old version
// without pins renders none (the node refuses).
cases.push({ name: 'aws-control-plane-join-1.35.1-upgrade-from-1.34.4', script: renderBootstrapScript({ ...testInput('aws', 'control-plane-join'), upgradeFrom: '1.34.4' }) });
cases.push({ name: 'aws-worker-1.35.1-upgrade-from-1.34.4', script: renderBootstrapScript({ ...testInput('aws', 'worker'), upgradeFrom: '1.34.4' }) });
const singleUpgrade = { ...testInput('gce', 'control-plane-init'), upgradeFrom: '1.34.4' };
singleUpgrade.cluster.spec.controlPlane.count = 1;
cases.push({ name: 'gce-control-plane-init-1.35.1-single-upgrade-from-1.34.4', script: renderBootstrapScript(singleUpgrade) });
cases.push({ name: 'aws-control-plane-init-1.33.8-upgrade-from-1.32.9', script: renderBootstrapScript({ ...testInput('aws', 'control-plane-init', { version: '1.33.8' }), upgradeFrom: '1.32.9' }) });
// Metal with an API VIP: kube-vip static pods on the control planes.
for (const [role, version] of [['control-plane-init', '1.35.1'], ['control-plane-join', '1.33.8']] as const) {
  const input = testInput('metal', role, { version });
  input.cluster.spec.api.vip = '10.0.0.100';
  cases.push({ name: `metal-${role}-${version}-vip`, script: renderBootstrapScript(input) });
}
// Metal with HAProxy + keepalived on the control planes (VIP on 8443), an external load balancer, and a RHEL-family host.
const METAL_CONTROL_PLANES = ['10.0.0.11', '10.0.0.12', '10.0.0.13'].map((address, i) => ({ name: `cp-${i + 1}`, address, port: 22, user: 'root', role: 'control-plane' as const }));
for (const [role, nodeIp] of [['control-plane-init', '10.0.0.11'], ['control-plane-join', '10.0.0.12'], ['worker', '10.0.0.21']] as const) {
  const input = testInput('metal', role);
  input.cluster.spec.api = { ...input.cluster.spec.api, frontEnd: 'haproxy-keepalived', vip: '10.0.0.100' };
  input.cluster.spec.hosts = METAL_CONTROL_PLANES;
  input.apiEndpoint = '10.0.0.100:8443';
  input.apiCertSANs = [];
  input.nodeIp = nodeIp;
  if (role === 'control-plane-join') input.nodeName = 'cp-2';
  cases.push({ name: `metal-${role}-1.35.1-haproxy-keepalived`, script: renderBootstrapScript(input) });
}
const external = testInput('metal', 'control-plane-init');
external.cluster.spec.api = { ...external.cluster.spec.api, frontEnd: 'external', endpoint: 'lb.corp.example:443' };
external.apiEndpoint = 'lb.corp.example:443';
external.apiCertSANs = [];
cases.push({ name: 'metal-control-plane-init-1.35.1-external', script: renderBootstrapScript(external) });
for (const role of ['control-plane-init', 'worker'] as const) {
  cases.push({ name: `metal-${role}-1.35.1-rhel`, script: renderBootstrapScript({ ...testInput('metal', role), osFamily: 'rhel' }) });
}
cases.push({ name: 'aws-token-refresh', script: renderTokenRefreshScript(testInput('aws', 'control-plane-init')) });
cases.push({ name: 'aws-etcd-leave', script: renderEtcdLeaveScript(testInput('aws', 'control-plane-join')) });
// What instances get: the installer of k8sup-bootstrap.service around the script (AWS user data, GCE startup script).
const dotted = { ...testInput('aws', 'worker'), stateStoreUrl: 's3://state.k8s.example.com/team-a', stateStoreRegion: 'eu-west-1' };
cases.push({ name: 'aws-user-data-worker-dotted-bucket', script: renderBootstrapInstaller(renderBootstrapScript(dotted)) });
cases.push({ name: 'gce-startup-script-worker', script: wrapStartupScript(renderBootstrapScript(testInput('gce', 'worker')), '100.96.0.0/11') });
cases.push({ name: 'gce-token-refresh', script: renderTokenRefreshScript(testInput('gce', 'control-plane-join')) });
// etcd backups (spec.etcd.backups): the control planes' install of the timer, and the backup and restore scripts.
const withBackups = (provider: 'aws' | 'gce' | 'metal', schedule = 'hourly') => {
  const input = testInput(provider, 'control-plane-init');
  input.cluster.spec.etcd = { backups: { schedule, retain: 24 } };
  return input;
};
cases.push({ name: `gce-control-plane-init-${DEFAULT_KUBERNETES_VERSION}-etcd-backups`, script: renderBootstrapScript(withBackups('gce')) });
cases.push({ name: `metal-control-plane-init-${DEFAULT_KUBERNETES_VERSION}-etcd-backups-off`, script: renderBootstrapScript(withBackups('metal', 'off')) });
for (const provider of PROVIDERS) {
  cases.push({ name: `${provider}-etcd-backup`, script: renderEtcdBackupScript(withBackups(provider)) });
  cases.push({ name: `${provider}-etcd-restore`, script: renderEtcdRestoreScript(withBackups(provider)) });
}
// The clouds' control poller (docs/backups.md, "The control folder"), with scheduled backups off: it runs regardless.
for (const provider of ['aws', 'gce'] as const) cases.push({ name: `${provider}-etcd-control`, script: renderEtcdControlScript(withBackups(provider, 'off')) });

const workDir = mkdtempSync(join(tmpdir(), 'k8sup-golden-sh-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

describe('bootstrap scripts (golden)', () => {
  test('cover every role × provider × version', () => {
    assert.equal(cases.filter((c) => /-(1\.33\.8|1\.35\.1)$/.test(c.name)).length, ROLES.length * PROVIDERS.length * VERSIONS.length);
  });

  for (const c of cases) {
    test(`${c.name} matches its golden file`, async () => {
      await expectGolden(`test/golden/bootstrap/${c.name}.sh`, c.script);
    });
  }

  test('all pass shellcheck at style severity (the strictest), with no rule disabled', () => {
    const files = cases.map((c) => {
      const path = join(workDir, `${c.name}.sh`);
      writeFileSync(path, c.script);
      return path;
    });
    // One shellcheck run for all files keeps this fast; exit status 0 means no finding at any severity.
    let output = '';
    try {
      execFileSync('/usr/bin/shellcheck', ['--severity=style', '--shell=bash', ...files], { encoding: 'utf8' });
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? err);
    }
    assert.equal(output, '', output);
    for (const c of cases) assert.doesNotMatch(c.script, /shellcheck disable/, `${c.name} disables a shellcheck rule`);
  });

  test('shellcheck does flag a broken script (the check above is live)', () => {
    const path = join(workDir, 'broken.sh');
    writeFileSync(path, '#!/usr/bin/env bash\nrm -rf $1/*\n');
    assert.throws(() => execFileSync('/usr/bin/shellcheck', ['--severity=style', path], { encoding: 'utf8' }));
  });
});
