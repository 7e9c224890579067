// Every supported Kubernetes version has everything a node needs pinned: its packages (pkgs.k8s.io repository and
// package version of the minor), containerd and runc with an upstream sha256 per architecture, the pause image, and
// a kubeadm config template; and nothing outside the table (an unpublished patch, an old minor) is accepted.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { loadCluster } from '../../src/api/index.js';
import {
  DEFAULT_KUBERNETES_VERSION,
  KUBERNETES_RELEASES,
  SUPPORTED_KUBERNETES_MINORS,
  isSupported,
  parseKubeVersion,
  pauseImageFor,
} from '../../src/api/version.js';
import { renderBootstrapScript } from '../../src/bootstrap/index.js';
import { CONTAINERD, KUBEADM_API_VERSION, RUNC, debianPackageVersion, kubernetesAptRepository, kubernetesRpmRepository, type Arch } from '../../src/bootstrap/versions.js';
import { testInput } from '../helpers/bootstrap-fixtures.js';

const ARCHES: Arch[] = ['amd64', 'arm64'];
const SHA256 = /^[0-9a-f]{64}$/;

describe('pinned versions', () => {
  test('the supported minors are the ones upstream supports today plus the one before, newest as default', () => {
    assert.deepEqual(SUPPORTED_KUBERNETES_MINORS, [33, 34, 35]);
    assert.equal(DEFAULT_KUBERNETES_VERSION, '1.35.1');
  });

  for (const minor of SUPPORTED_KUBERNETES_MINORS) {
    const release = KUBERNETES_RELEASES[minor];
    const newest = parseKubeVersion(`1.${minor}.${release.newestPatch}`)!;
    test(`1.${minor}: packages, container runtime, pause image and kubeadm config are pinned`, () => {
      assert.ok(isSupported(newest) && isSupported(parseKubeVersion(`1.${minor}.0`)!));
      assert.equal(kubernetesAptRepository(newest), `https://pkgs.k8s.io/core:/stable:/v1.${minor}/deb/`);
      assert.equal(kubernetesRpmRepository(newest), `https://pkgs.k8s.io/core:/stable:/v1.${minor}/rpm/`);
      assert.equal(debianPackageVersion(newest), `${newest.text}-1.1`);
      assert.match(pauseImageFor(newest), /^registry\.k8s\.io\/pause:3\.\d+(\.\d+)?$/);
      assert.ok(existsSync(new URL(`../../templates/kubeadm/${KUBEADM_API_VERSION}.yaml`, import.meta.url)));
      for (const pin of [CONTAINERD, RUNC]) {
        for (const arch of ARCHES) {
          assert.match(pin.sha256[arch], SHA256, `${pin.url[arch]} has no sha256`);
          assert.ok(pin.url[arch].includes(`v${pin.version}/`) && pin.url[arch].includes(arch), pin.url[arch]);
        }
      }
      // The rendered script of this release carries every pin for both architectures.
      for (const role of ['control-plane-init', 'worker'] as const) {
        const script = renderBootstrapScript(testInput('aws', role, { version: newest.text }));
        assert.match(script, new RegExp(`^K8S_PACKAGE_VERSION='${newest.text.replaceAll('.', '\\.')}-1\\.1'$`, 'm'));
        for (const arch of ARCHES) for (const sha of [CONTAINERD.sha256[arch], RUNC.sha256[arch]]) assert.ok(script.includes(`'${sha}'`));
        assert.ok(script.includes(`sandbox = "${pauseImageFor(newest)}"`));
      }
    });
  }

  test('containerd is a 2.x release (configuration version 3) with a runc of its line', () => {
    assert.match(CONTAINERD.version, /^2\.\d+\.\d+$/);
    assert.match(RUNC.version, /^1\.3\.\d+$/);
  });

  test('a patch nobody has published yet, an end-of-life minor and the next minor are refused (exit 2)', () => {
    const newestOf35 = KUBERNETES_RELEASES[35].newestPatch;
    for (const version of [`1.35.${newestOf35 + 1}`, '1.32.9', '1.36.0']) {
      assert.throws(
        () => loadCluster({ metadata: { name: 'v.k8s.local' }, spec: { zones: ['us-east-2a'], kubernetesVersion: version } }),
        (e: any) => e.exitCode === 2 && /spec\.kubernetesVersion/.test(String(e.message) + JSON.stringify(e.issues ?? '')),
        version,
      );
    }
    assert.equal(loadCluster({ metadata: { name: 'v.k8s.local' }, spec: { zones: ['us-east-2a'] } }).spec.kubernetesVersion, DEFAULT_KUBERNETES_VERSION);
  });
});
