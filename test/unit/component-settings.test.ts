// Component settings rendered into the kubeadm configuration: v1beta3 maps vs v1beta4 name/value lists, the
// KubeletConfiguration and KubeProxyConfiguration documents, raw flags after typed ones, and specs stored before the
// settings existed rendering without them (no audit, no encryption).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { loadCluster, parseClusterText } from '../../src/api/index.js';
import { withNewClusterSettings } from '../../src/api/defaults.js';
import { closestName } from '../../src/api/did-you-mean.js';
import { renderKubeadmConfig, renderBootstrapScript } from '../../src/bootstrap/index.js';
import { SUPPORTED_KUBERNETES_MINORS } from '../../src/api/version.js';
import { testInput, withEverySetting } from '../helpers/bootstrap-fixtures.js';

function docs(yaml: string): Record<string, any> {
  return Object.fromEntries(parseAllDocuments(yaml).map((d) => d.toJS()).map((d) => [d.kind, d]));
}

describe('component settings in the kubeadm configuration', () => {
  for (const minor of SUPPORTED_KUBERNETES_MINORS) {
    test(`1.${minor}: every setting lands where kubeadm reads it`, () => {
      const input = testInput('aws', 'control-plane-init', { version: `1.${minor}.0` });
      withEverySetting(input.cluster);
      const d = docs(renderKubeadmConfig(input));
      const args = d.ClusterConfiguration.apiServer.extraArgs;
      // v1beta4 (1.31+) lists {name, value}; v1beta3 a map.
      const flags: Record<string, string> = minor >= 31 ? Object.fromEntries(args.map((a: any) => [a.name, a.value])) : args;
      if (minor >= 31) assert.ok(Array.isArray(args));
      else assert.ok(!Array.isArray(args) && typeof args === 'object');
      assert.equal(flags['enable-admission-plugins'], 'NodeRestriction,AlwaysPullImages');
      assert.equal(flags['oidc-required-claim'], 'hd=corp.example');
      assert.equal(flags['service-node-port-range'], '30000-31999');
      assert.equal(flags['encryption-provider-config'], '/etc/kubernetes/pki/encryption-config.yaml');
      assert.equal(flags['audit-policy-file'], '/etc/kubernetes/audit/policy.yaml');
      assert.equal(flags['max-requests-inflight'], '800');
      assert.deepEqual(d.ClusterConfiguration.apiServer.extraVolumes.map((v: any) => v.hostPath), ['/etc/kubernetes/audit', '/var/log/kubernetes/audit']);
      assert.equal(d.ClusterConfiguration.networking.dnsDomain, 'k8s.corp.example');
      assert.deepEqual(d.InitConfiguration.nodeRegistration.taints, [], 'a schedulable control plane registers no taint');
      assert.deepEqual(
        { maxPods: d.KubeletConfiguration.maxPods, clusterDomain: d.KubeletConfiguration.clusterDomain, evictionHard: d.KubeletConfiguration.evictionHard },
        { maxPods: 60, clusterDomain: 'k8s.corp.example', evictionHard: { 'memory.available': '300Mi', 'nodefs.available': '10%' } },
      );
      assert.equal(d.KubeProxyConfiguration.mode, 'ipvs');
    });
  }

  test('a worker registers its group labels, taints and raw kubelet flags', () => {
    const input = testInput('gce', 'worker');
    withEverySetting(input.cluster);
    const reg = docs(renderKubeadmConfig(input)).JoinConfiguration.nodeRegistration;
    const kubelet = Object.fromEntries(reg.kubeletExtraArgs.map((a: any) => [a.name, a.value]));
    assert.equal(kubelet['node-labels'], 'k8sup.io/node-group=nodes,node.kubernetes.io/pool=general,team=payments');
    assert.equal(kubelet['image-gc-high-threshold'], '80');
    assert.deepEqual(reg.taints, [{ key: 'dedicated', value: 'payments', effect: 'NoSchedule' }, { key: 'spot', effect: 'PreferNoSchedule' }]);
  });

  test('a raw flag replaces the typed flag of the same name', () => {
    const input = testInput('aws', 'control-plane-init');
    input.cluster.spec.kubeAPIServer = { serviceNodePortRange: '30000-31999', extraArgs: { 'service-node-port-range': '20000-22767' } };
    const args = docs(renderKubeadmConfig(input)).ClusterConfiguration.apiServer.extraArgs;
    assert.deepEqual(args, [{ name: 'service-node-port-range', value: '20000-22767' }]);
  });

  test('a spec stored before the switches existed keeps them off; a new cluster gets both on', () => {
    const stored = parseClusterText('apiVersion: k8sup.io/v1alpha1\nkind: Cluster\nmetadata: {name: old.k8s.local}\nspec: {zones: [us-east-2a]}\n', 'stored', { stored: true });
    assert.equal(stored.spec.kubeAPIServer, undefined);
    const script = renderBootstrapScript({ ...testInput('aws', 'control-plane-init'), cluster: { ...stored, spec: { ...stored.spec, kubernetesVersion: '1.34.4' } } });
    assert.doesNotMatch(script, /audit-policy-file|encryption-provider-config|encryption-config\.yaml/);
    assert.doesNotMatch(script, /clusterDomain/);
    const fresh = withNewClusterSettings(loadCluster({ metadata: { name: 'new.k8s.local' }, spec: { zones: ['us-east-2a'] } }));
    assert.deepEqual(fresh.spec.kubeAPIServer, { auditLogging: true, encryptionAtRest: true });
    const off = withNewClusterSettings(loadCluster({ metadata: { name: 'off.k8s.local' }, spec: { zones: ['us-east-2a'], kubeAPIServer: { auditLogging: false } } }));
    assert.deepEqual(off.spec.kubeAPIServer, { auditLogging: false, encryptionAtRest: true });
  });

  test('the encryption key is fetched like the PKI, never embedded', () => {
    const input = testInput('aws', 'control-plane-init');
    input.cluster.spec.kubeAPIServer = { encryptionAtRest: true };
    const script = renderBootstrapScript(input);
    assert.match(script, /for pki_file in [^;]*encryption-config\.yaml/);
    assert.doesNotMatch(script, /EncryptionConfiguration|aescbc/);
    const worker = renderBootstrapScript({ ...input, role: 'worker', nodeGroup: 'nodes' });
    assert.doesNotMatch(worker, /encryption-config/);
  });

  test('did you mean: close names are suggested, unrelated ones are not', () => {
    assert.equal(closestName('maxPodz', ['maxPods', 'systemReserved']), 'maxPods');
    assert.equal(closestName('maxPdos', ['maxPods', 'systemReserved']), 'maxPods');
    assert.equal(closestName('issuerUrl', ['issuerURL', 'clientID']), 'issuerURL');
    assert.equal(closestName('colour', ['maxPods', 'systemReserved']), undefined);
  });
});
