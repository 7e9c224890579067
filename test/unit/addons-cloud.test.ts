// Cloud-declared and per-minor addons: cluster-autoscaler is opt-in, validates on clouds with node groups it can
// resize and is refused on bare metal; its image follows the Kubernetes minor; the GCP CCM runs each minor's own
// promoted image, and a per-minor addon is off (and refused when asked for) on a minor it pins no image for; PD CSI
// ships the default StorageClass.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { loadCluster } from '../../src/api/index.js';
import { addonUnavailable, enabledAddons, everyAddon, renderAddonManifest, resolveAddons, type AddonDefinition } from '../../src/addons/index.js';
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

test('GCP CCM: on at every supported minor, each with the promoted image of its own minor, pinned by digest', () => {
  for (const [version, tag, digest] of [
    ['1.33.2', 'v33.4.0', 'sha256:d9719ba3d95f3d3ce4811fcf9ffd64b158ab9ac8c81b151cc9faa73a945b5170'],
    ['1.34.1', 'v34.2.0', 'sha256:4795f50bd273894d46e21b5569a716374377ae06d276343a6e5eae5aa93d5de8'],
    ['1.35.1', 'v35.0.2', 'sha256:f1cfeca80d58695683ddaeebb41215bf7239cb49534c5eb2b6e6205929822389'],
  ]) {
    const c = loadCluster(spec('gce', { kubernetesVersion: version }));
    const ccm = resolveAddons(c).find((a) => a.definition.name === 'gcp-cloud-controller-manager')!;
    assert.deepEqual([ccm.enabled, ccm.definition.version, ccm.unavailable], [true, tag, undefined], version);
    const pod = parseAllDocuments(renderAddonManifest(ccm.definition, undefined, c)).map((d) => d.toJS()).find((o) => o.kind === 'DaemonSet').spec.template.spec;
    assert.equal(pod.containers[0].image, `registry.k8s.io/cloud-provider-gcp/cloud-controller-manager:${tag}@${digest}`);
  }
});

test('a per-minor addon without an image for the cluster\'s minor is off with the reason, and refused when asked for', () => {
  const ccm = resolveAddons(loadCluster(spec('gce', {}))).find((a) => a.definition.name === 'gcp-cloud-controller-manager')!.definition;
  const generic = everyAddon().find((a) => a.name === 'gcp-cloud-controller-manager')!;
  const only35: AddonDefinition = { ...generic, imagesByMinor: { 35: ccm.images } };
  const at34 = loadCluster(spec('gce', { kubernetesVersion: '1.34.1' }));
  assert.match(addonUnavailable(only35, at34)!, /no gcp-cloud-controller-manager image for Kubernetes 1\.34 .*it pins 1\.35/);
  assert.equal(addonUnavailable(generic, at34), undefined, 'the catalogue pins 1.34');
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

test('get addons rows say why an addon cannot run (cluster-autoscaler on bare metal)', async () => {
  const { addonStatusRows } = await import('../../src/validate/addons.js');
  const metal = loadCluster({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name: 'demo.k8s.local' }, spec: { cloud: 'metal', hosts: [{ name: 'cp1', address: '10.0.0.1', role: 'control-plane' }] } });
  const ca = addonStatusRows(metal, () => '').find((r) => r.name === 'cluster-autoscaler')!;
  assert.equal(ca.enabled, false);
  assert.match(ca.running, /^unavailable: bare metal has no node groups it can resize/);
  const rows = addonStatusRows(loadCluster(spec('gce', { kubernetesVersion: '1.34.1' })), () => '');
  assert.equal(rows.find((r) => r.name === 'gcp-cloud-controller-manager')!.running, 'unknown', 'enabled at 1.34, no API asked');
  assert.equal(rows.find((r) => r.name === 'gcp-pd-csi-driver')!.running, 'unknown', 'enabled, no API asked');
});
