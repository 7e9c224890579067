// Clouds with an external cloud-controller-manager (CloudFacts.nodes.externalCloudProvider): every kubelet starts with
// --cloud-provider=external and kube-controller-manager runs no cloud loops; bare metal has neither flag.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { renderKubeadmConfig } from '../../src/bootstrap/index.js';
import { ROLES, VERSIONS, testInput } from '../helpers/bootstrap-fixtures.js';

type Doc = Record<string, any>;
const docs = (yaml: string): Doc[] => parseAllDocuments(yaml).map((d) => d.toJS() as Doc);

function kubeletArg(doc: Doc, name: string): string | undefined {
  return (doc.nodeRegistration.kubeletExtraArgs as { name: string; value: string }[]).find((a) => a.name === name)?.value;
}

describe('kubelet and kube-controller-manager with an external cloud provider', () => {
  for (const cloud of ['aws', 'gce', 'metal'] as const) {
    const external = cloud !== 'metal';
    for (const role of ROLES) {
      test(`${cloud} ${role}: cloud-provider ${external ? 'external' : 'unset'} on every supported minor`, () => {
        for (const version of VERSIONS) {
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

  test('a raw spec.kubelet.extraArgs cloud-provider replaces the typed one (one flag, never two)', () => {
    const input = testInput('aws', 'worker');
    input.cluster.spec.kubelet = { extraArgs: { 'cloud-provider': 'external', 'v': '4' } };
    const join = docs(renderKubeadmConfig(input)).find((d) => d.kind === 'JoinConfiguration')!;
    assert.equal((join.nodeRegistration.kubeletExtraArgs as { name: string }[]).filter((a) => a.name === 'cloud-provider').length, 1);
  });
});
