// Cloud-declared and per-minor addons: cluster-autoscaler is opt-in, validates on clouds with node groups it can
// resize and is refused on bare metal; its image follows the Kubernetes minor; the GCP CCM is off (and refused when
// asked for) on a minor with no published image; PD CSI ships the default StorageClass.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { loadCluster } from '../../src/api/index.js';
import { enabledAddons, renderAddonManifest, resolveAddons } from '../../src/addons/index.js';
import { InvalidInputError } from '../../src/core/errors.js';

const spec = (cloud: string, extra: Record<string, unknown>) => ({
  apiVersion: 'k8sup.io/v1alpha1',
  kind: 'Cluster',
  metadata: { name: 'demo.k8s.local' },
  spec: cloud === 'gce' ? { cloud, project: 'demo-project', zones: ['us-central1-b'], ...extra } : { cloud, zones: ['us-east-2a'], ...extra },
});

test('cluster-autoscaler: off by default, on when asked, image of the cluster\'s minor; refused on bare metal', () => {
  for (const cloud of ['aws', 'gce']) {
    assert.equal(resolveAddons(loadCluster(spec(cloud, {}))).find((a) => a.definition.name === 'cluster-autoscaler')!.enabled, false);
    for (const [version, tag] of [['1.33.2', 'v1.33.6'], ['1.34.1', 'v1.34.5'], ['1.35.1', 'v1.35.2']]) {
      const c = loadCluster(spec(cloud, { kubernetesVersion: version, addons: { 'cluster-autoscaler': { enabled: true } } }));
      const ca = resolveAddons(c).find((a) => a.definition.name === 'cluster-autoscaler')!;
      assert.deepEqual([ca.enabled, ca.from, ca.definition.version, ca.definition.images.image.tag], [true, 'spec', tag, tag], `${cloud} ${version}`);
      const manifest = renderAddonManifest(ca.definition, undefined, c);
      assert.match(manifest, new RegExp(`cluster-autoscaler:${tag.replace(/\./g, '\\.')}"`));
      // The control plane's cloud identity comes from the metadata service, which only the host network reaches.
      const pod = parseAllDocuments(manifest).map((d) => d.toJS()).find((o) => o.kind === 'Deployment').spec.template.spec;
      assert.deepEqual([pod.hostNetwork, pod.nodeSelector], [true, { 'node-role.kubernetes.io/control-plane': '' }]);
    }
  }
  assert.throws(
    () => loadCluster({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name: 'demo.k8s.local' }, spec: { cloud: 'metal', hosts: [{ name: 'cp1', address: '10.0.0.1', role: 'control-plane' }], addons: { 'cluster-autoscaler': { enabled: true } } } }),
    (e: unknown) => e instanceof InvalidInputError && e.exitCode === 2 && /spec\.addons\.cluster-autoscaler\.enabled/.test(e.message),
  );
});

test('GCP CCM: on at 1.35 (v35.0.0); off at 1.34 with the reason, refused when asked for', () => {
  const at35 = resolveAddons(loadCluster(spec('gce', {}))).find((a) => a.definition.name === 'gcp-cloud-controller-manager')!;
  assert.deepEqual([at35.enabled, at35.definition.version], [true, 'v35.0.0']);
  const at34 = resolveAddons(loadCluster(spec('gce', { kubernetesVersion: '1.34.1' }))).find((a) => a.definition.name === 'gcp-cloud-controller-manager')!;
  assert.equal(at34.enabled, false);
  assert.match(at34.unavailable!, /no gcp-cloud-controller-manager image for Kubernetes 1\.34/);
  assert.throws(
    () => loadCluster(spec('gce', { kubernetesVersion: '1.34.1', addons: { 'gcp-cloud-controller-manager': { enabled: true } } })),
    (e: unknown) => e instanceof InvalidInputError && e.exitCode === 2 && /gcp-cloud-controller-manager\.enabled/.test(e.message),
  );
});

test('PD CSI: the default StorageClass pd-balanced, WaitForFirstConsumer, and its CSIDriver', () => {
  const c = loadCluster(spec('gce', {}));
  const csi = enabledAddons(c).find((a) => a.name === 'gcp-pd-csi-driver')!;
  const docs = parseAllDocuments(renderAddonManifest(csi, undefined, c)).map((d) => d.toJS());
  const sc = docs.find((o) => o.kind === 'StorageClass');
  assert.deepEqual([sc.metadata.name, sc.provisioner, sc.parameters.type, sc.volumeBindingMode, sc.metadata.annotations['storageclass.kubernetes.io/is-default-class']], ['pd-balanced', 'pd.csi.storage.gke.io', 'pd-balanced', 'WaitForFirstConsumer', 'true']);
  assert.ok(docs.some((o) => o.kind === 'CSIDriver' && o.metadata.name === 'pd.csi.storage.gke.io'));
  // The AWS spec never gets GCE's addons.
  assert.equal(enabledAddons(loadCluster(spec('aws', {}))).some((a) => a.name.startsWith('gcp-')), false);
});

test('get addons rows say why an addon cannot run (the GCP CCM on 1.34)', async () => {
  const { addonStatusRows } = await import('../../src/validate/addons.js');
  const rows = addonStatusRows(loadCluster(spec('gce', { kubernetesVersion: '1.34.1' })), () => '');
  const ccm = rows.find((r) => r.name === 'gcp-cloud-controller-manager')!;
  assert.equal(ccm.enabled, false);
  assert.match(ccm.running, /^unavailable: upstream publishes no gcp-cloud-controller-manager image for Kubernetes 1\.34/);
  assert.equal(rows.find((r) => r.name === 'gcp-pd-csi-driver')!.running, 'unknown', 'enabled, no API asked');
});
