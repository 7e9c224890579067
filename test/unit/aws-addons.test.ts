// The AWS addons (providers/aws/addons.ts through CloudFacts.addons): on by default on AWS only, rendered for the
// cluster (its volumes' ownership tag), the CCM and the CSI controller on control planes only, the default
// StorageClass, the CCM of each Kubernetes minor, and images pinned by the digests upstream's promoter published.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { addonIssues, enabledAddons, imageReference, renderAddonManifest, runsCloudControllerManager } from '../../src/addons/index.js';
import { loadCluster } from '../../src/api/index.js';
import { withDefaults } from '../../src/api/defaults.js';
import { InvalidInputError } from '../../src/core/errors.js';
import { AWS_ADDONS } from '../../providers/aws/addons.js';

type Doc = Record<string, any>;
const docsOf = (name: string, clusterName = 'prod.example.com'): Doc[] =>
  parseAllDocuments(renderAddonManifest(AWS_ADDONS.find((a) => a.name === name)!, (i) => i, withDefaults({ metadata: { name: clusterName }, spec: { cloud: 'aws', zones: ['us-east-2a'] } }))).map((d) => d.toJS() as Doc);
const find = (docs: Doc[], kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name)!;

describe('AWS addons', () => {
  test('on by default on AWS, absent elsewhere; each can be turned off', () => {
    const names = (cloud: string, addons?: unknown) => enabledAddons(withDefaults({ metadata: { name: 'demo.k8s.local' }, spec: { cloud, addons } })).map((a) => a.name);
    assert.deepEqual(names('aws'), ['metrics-server', 'aws-cloud-controller-manager', 'aws-ebs-csi-driver']);
    assert.ok(!names('metal').some((n) => n.startsWith('aws-')));
    assert.ok(!names('gce').some((n) => n.startsWith('aws-')));
    assert.deepEqual(names('aws', { 'aws-ebs-csi-driver': { enabled: false } }), ['metrics-server', 'aws-cloud-controller-manager']);
    const onMetal = addonIssues(withDefaults({ metadata: { name: 'demo.k8s.local' }, spec: { cloud: 'metal', addons: { 'aws-ebs-csi-driver': { enabled: true } } } }));
    assert.match(onMetal[0].message, /not available on metal \(only aws\)/);
  });

  test('the CCM: a DaemonSet on control planes, tolerating the uninitialized taint, on the host network, without cloud routes', () => {
    const ds = find(docsOf('aws-cloud-controller-manager'), 'DaemonSet', 'aws-cloud-controller-manager');
    const pod = ds.spec.template.spec;
    assert.deepEqual(pod.nodeSelector, { 'node-role.kubernetes.io/control-plane': '' });
    assert.ok(pod.tolerations.some((t: Doc) => t.key === 'node.cloudprovider.kubernetes.io/uninitialized' && t.effect === 'NoSchedule'));
    assert.ok(pod.tolerations.some((t: Doc) => t.key === 'node-role.kubernetes.io/control-plane'));
    assert.equal(pod.hostNetwork, true);
    // The cluster's minor (the default, 1.35) runs the CCM of its own minor, as promoted (tag and digest).
    assert.equal(pod.containers[0].image, 'registry.k8s.io/provider-aws/cloud-controller-manager:v1.35.2@sha256:5a5d4e5942ad078a184c12bf5435f8226ccb157ee15e9e1f87c183a4bf4b8f1a');
    assert.ok(pod.containers[0].args.includes('--configure-cloud-routes=false'));
    const binding = find(docsOf('aws-cloud-controller-manager'), 'ClusterRoleBinding', 'system:cloud-controller-manager');
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: pod.serviceAccountName, namespace: 'kube-system' }]);
  });

  test('the EBS CSI driver: controller on control planes tagging volumes for this cluster, a node DaemonSet, CSIDriver, default gp3', () => {
    const docs = docsOf('aws-ebs-csi-driver', 'prod.example.com');
    const controller = find(docs, 'Deployment', 'ebs-csi-controller').spec.template.spec;
    assert.equal(controller.nodeSelector['node-role.kubernetes.io/control-plane'], '');
    assert.equal(controller.hostNetwork, true, 'IMDS (the role credentials) is out of reach of pod networks with hop limit 1');
    const plugin = controller.containers.find((c: Doc) => c.name === 'ebs-plugin');
    assert.ok(plugin.args.includes('--k8s-tag-cluster-id=prod.example.com'), plugin.args.join(' '));
    assert.deepEqual(controller.containers.map((c: Doc) => c.name), ['ebs-plugin', 'csi-provisioner', 'csi-attacher', 'csi-resizer', 'liveness-probe']);
    const node = find(docs, 'DaemonSet', 'ebs-csi-node').spec.template.spec;
    assert.deepEqual(node.tolerations, [{ operator: 'Exists' }]);
    assert.equal(find(docs, 'CSIDriver', 'ebs.csi.aws.com').spec.attachRequired, true);
    const sc = find(docs, 'StorageClass', 'gp3');
    assert.equal(sc.metadata.annotations['storageclass.kubernetes.io/is-default-class'], 'true');
    assert.equal(sc.volumeBindingMode, 'WaitForFirstConsumer');
    assert.equal(sc.provisioner, 'ebs.csi.aws.com');
    assert.deepEqual([sc.parameters.type, sc.parameters.encrypted], ['gp3', 'true']);
    // Every service account a workload runs as exists and is bound.
    for (const sa of [controller.serviceAccountName, node.serviceAccountName]) {
      assert.ok(find(docs, 'ServiceAccount', sa), sa);
      assert.ok(docs.some((d) => /Binding$/.test(d.kind) && d.subjects.some((s: Doc) => s.name === sa)), sa);
    }
  });

  test('the bundle renders the manifests for its own cluster', () => {
    assert.match(renderAddonManifest(AWS_ADDONS[1], (i) => i, withDefaults({ metadata: { name: 'a.example.com' }, spec: { cloud: 'aws', zones: ['us-east-2a'] } })), /"--k8s-tag-cluster-id=a\.example\.com"/);
  });

  test('every supported minor runs the AWS CCM of its own minor (cloud-provider-aws guarantees no other pairing)', () => {
    const doc = (kubernetesVersion: string) => ({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name: 'demo.k8s.local' }, spec: { zones: ['us-east-2a'], kubernetesVersion } });
    for (const [version, tag] of [['1.33.8', 'v1.33.4'], ['1.34.4', 'v1.34.3'], ['1.35.1', 'v1.35.2']]) {
      const c = loadCluster(doc(version));
      const ccm = enabledAddons(c).find((a) => a.name === 'aws-cloud-controller-manager');
      assert.equal(ccm?.version, tag, version);
      const ds = parseAllDocuments(renderAddonManifest(ccm!, (i) => i, c)).map((d) => d.toJS() as Doc).find((d) => d.kind === 'DaemonSet')!;
      assert.match(ds.spec.template.spec.containers[0].image, new RegExp(`^registry\\.k8s\\.io/provider-aws/cloud-controller-manager:${tag.replace(/\./g, '\\.')}@sha256:[0-9a-f]{64}$`));
      // With the CCM running, the nodes hand their cloud loops to it.
      assert.ok(runsCloudControllerManager(c), version);
    }
  });

  test('the EBS CSI images: the driver from registry.k8s.io and every sidecar pinned by tag and the promoted digest', () => {
    const ebs = AWS_ADDONS.find((a) => a.name === 'aws-ebs-csi-driver')!;
    for (const [name, image] of Object.entries(ebs.images)) assert.match(image.digest ?? '', /^sha256:[0-9a-f]{64}$/, name);
    assert.equal(imageReference(ebs.images.image), 'registry.k8s.io/provider-aws/aws-ebs-csi-driver:v1.46.0@sha256:4bfb4eba825f9a948dd420e8622d4d270c0f389a64c1559b6d0512d07fc2f0d9');
    const images = new Set(docsOf('aws-ebs-csi-driver').flatMap((d) => (d.spec?.template?.spec?.containers ?? []).map((c: Doc) => c.image)));
    assert.deepEqual([...images].sort(), Object.values(ebs.images).map(imageReference).sort(), 'the manifest runs exactly the pinned references');
  });
});
