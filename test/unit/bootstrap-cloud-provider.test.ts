// While a cluster runs its cloud's cloud-controller-manager addon (CloudFacts.providerId.addon), every kubelet starts
// with --cloud-provider=external and kube-controller-manager runs no cloud loops. Without one — bare metal, the addon
// off, or a minor it pins no image for (docs/addons.md) — neither flag is set,
// so nodes are never left tainted uninitialized with nothing to initialise them.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { renderKubeadmConfig } from '../../src/bootstrap/index.js';
import { ROLES, VERSIONS, testInput } from '../helpers/bootstrap-fixtures.js';
import { everyAddon } from '../../src/addons/index.js';
import { SUPPORTED_KUBERNETES_MINORS } from '../../src/api/version.js';

type Doc = Record<string, any>;
const docs = (yaml: string): Doc[] => parseAllDocuments(yaml).map((d) => d.toJS() as Doc);

function kubeletArg(doc: Doc, name: string): string | undefined {
  return (doc.nodeRegistration.kubeletExtraArgs as { name: string; value: string }[]).find((a) => a.name === name)?.value;
}

describe('kubelet and kube-controller-manager with an external cloud provider', () => {
  // The minors whose CCM image each cloud pins (providers/<cloud>/addons.ts): today every supported one on AWS and GCE.
  const pinned = (name: string) => Object.keys(everyAddon().find((a) => a.name === name)!.imagesByMinor!).map(Number);
  const ccmMinors: Record<string, number[]> = { aws: pinned('aws-cloud-controller-manager'), gce: pinned('gcp-cloud-controller-manager'), metal: [] };
  test('both clouds pin a CCM image for every supported minor', () => {
    for (const cloud of ['aws', 'gce']) assert.deepEqual(ccmMinors[cloud], [...SUPPORTED_KUBERNETES_MINORS], cloud);
  });
  for (const cloud of ['aws', 'gce', 'metal'] as const) {
    for (const role of ROLES) {
      test(`${cloud} ${role}: cloud-provider external exactly where the cloud's CCM runs`, () => {
        for (const version of VERSIONS) {
          const external = ccmMinors[cloud].includes(Number(version.split('.')[1]));
          const all = docs(renderKubeadmConfig(testInput(cloud, role, { version })));
          const registration = all.filter((d) => d.kind === 'InitConfiguration' || d.kind === 'JoinConfiguration');
          assert.ok(registration.length > 0);
          for (const doc of registration) assert.equal(kubeletArg(doc, 'cloud-provider'), external ? 'external' : undefined, `${doc.kind} ${version}`);
          const clusterConfig = all.find((d) => d.kind === 'ClusterConfiguration');
          if (role === 'control-plane-init') {
            assert.deepEqual(clusterConfig?.controllerManager?.extraArgs, external ? [{ name: 'cloud-provider', value: 'external' }] : undefined, version);
          } else {
            assert.equal(clusterConfig, undefined);
          }
        }
      });
    }
  }

  test('the CCM turned off: no external cloud provider', () => {
    for (const cloud of ['aws', 'gce'] as const) {
      const input = testInput(cloud, 'control-plane-init');
      const ccm = cloud === 'aws' ? 'aws-cloud-controller-manager' : 'gcp-cloud-controller-manager';
      input.cluster.spec.addons = { [ccm]: { enabled: false } };
      const all = docs(renderKubeadmConfig(input));
      assert.equal(kubeletArg(all.find((d) => d.kind === 'InitConfiguration')!, 'cloud-provider'), undefined, cloud);
      assert.equal(all.find((d) => d.kind === 'ClusterConfiguration')?.controllerManager?.extraArgs, undefined, cloud);
    }
  });

  test('a raw spec.kubelet.extraArgs cloud-provider replaces the typed one (one flag, never two)', () => {
    const input = testInput('aws', 'worker');
    input.cluster.spec.kubelet = { extraArgs: { 'cloud-provider': 'external', 'v': '4' } };
    const join = docs(renderKubeadmConfig(input)).find((d) => d.kind === 'JoinConfiguration')!;
    assert.equal((join.nodeRegistration.kubeletExtraArgs as { name: string }[]).filter((a) => a.name === 'cloud-provider').length, 1);
  });
});
