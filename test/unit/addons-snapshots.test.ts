// CSI volume snapshots (the snapshot-controller addon): on GCE it is on by default with the PD CSI driver and brings
// the VolumeSnapshot CRDs, the controller, the default VolumeSnapshotClass and the PD controller's csi-snapshotter;
// turned off, all of it leaves the rendered manifests and the bootstrap. On AWS (no csi-snapshotter paired with the
// pinned EBS driver release) and bare metal (no CSI driver) it is unavailable: off, and refused when asked for.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { addonIssues, enabledAddons, renderAddonManifest, resolveAddons, runsVolumeSnapshots } from '../../src/addons/index.js';
import { loadCluster } from '../../src/api/index.js';
import type { Cluster } from '../../src/api/types.js';
import { renderBootstrapScript } from '../../src/bootstrap/index.js';
import { InvalidInputError } from '../../src/core/errors.js';
import { addonWorkloads } from '../../src/validate/addons.js';
import { rolePolicy } from '../../providers/aws/model/iam.js';
import { controlPlaneProjectRoles } from '../../providers/gce/model/identity.js';
import { testInput } from '../helpers/bootstrap-fixtures.js';

type Doc = { kind: string; apiVersion: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; [k: string]: any };

const spec = (cloud: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'k8sup.io/v1alpha1',
  kind: 'Cluster',
  metadata: { name: 'demo.k8s.local' },
  spec:
    cloud === 'gce' ? { cloud, project: 'demo-project', zones: ['us-central1-b'], ...extra }
    : cloud === 'metal' ? { cloud, hosts: [{ name: 'cp1', address: '10.0.0.1', role: 'control-plane' }], ...extra }
    : { cloud, zones: ['us-east-2a'], ...extra },
});

const docsOf = (cluster: Cluster, addon: string): Doc[] => {
  const definition = enabledAddons(cluster).find((a) => a.name === addon);
  assert.ok(definition, `${addon} is enabled`);
  return parseAllDocuments(renderAddonManifest(definition, undefined, cluster)).map((d) => d.toJS() as Doc);
};
const find = (docs: Doc[], kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);
const pdController = (docs: Doc[]) => find(docs, 'Deployment', 'csi-gce-pd-controller')!.spec.template.spec;
const off = { 'snapshot-controller': { enabled: false } };

describe('GCE: snapshots with the PD CSI driver', () => {
  const gce = loadCluster(spec('gce'));

  test('on by default: the three v1 CRDs, the controller with its RBAC, the default VolumeSnapshotClass', () => {
    const sc = resolveAddons(gce).find((a) => a.definition.name === 'snapshot-controller')!;
    assert.deepEqual([sc.enabled, sc.from, sc.definition.version], [true, 'default', 'v8.6.0']);
    const docs = docsOf(gce, 'snapshot-controller');
    const crds = docs.filter((d) => d.kind === 'CustomResourceDefinition');
    assert.deepEqual(crds.map((d) => d.metadata.name).sort(), ['volumesnapshotclasses.snapshot.storage.k8s.io', 'volumesnapshotcontents.snapshot.storage.k8s.io', 'volumesnapshots.snapshot.storage.k8s.io']);
    for (const crd of crds) {
      assert.equal(crd.apiVersion, 'apiextensions.k8s.io/v1');
      assert.deepEqual(crd.spec.versions.map((v: any) => [v.name, v.served, v.storage]), [['v1', true, true]], crd.metadata.name);
      // A *.k8s.io group needs the API review annotation, or the API server marks the CRD non-conformant.
      assert.match(crd.metadata.annotations!['api-approved.kubernetes.io'], /^https:\/\/github\.com\/kubernetes-csi\/external-snapshotter\/pull\/\d+$/);
    }
    const controller = find(docs, 'Deployment', 'snapshot-controller')!;
    assert.equal(controller.metadata.namespace, 'kube-system');
    assert.deepEqual(controller.spec.template.spec.containers.map((c: any) => c.image), ['registry.k8s.io/sig-storage/snapshot-controller:v8.6.0']);
    assert.ok(controller.spec.template.spec.containers[0].args.includes('--leader-election=true'));
    assert.equal(controller.spec.template.spec.serviceAccountName, 'snapshot-controller');
    const runner = find(docs, 'ClusterRole', 'snapshot-controller-runner')!;
    assert.ok(runner.rules.some((r: any) => r.apiGroups[0] === 'snapshot.storage.k8s.io' && r.resources.includes('volumesnapshotcontents') && r.verbs.includes('create')));
    assert.equal(find(docs, 'ClusterRoleBinding', 'snapshot-controller-role')!.subjects[0].namespace, 'kube-system');
    const vsc = find(docs, 'VolumeSnapshotClass', 'csi-gce-pd-snapshot-class')!;
    assert.deepEqual([vsc.apiVersion, vsc.driver, vsc.deletionPolicy, vsc.metadata.annotations!['snapshot.storage.kubernetes.io/is-default-class']], ['snapshot.storage.k8s.io/v1', 'pd.csi.storage.gke.io', 'Delete', 'true']);
    // Structural schemas, as the API server requires of apiextensions.k8s.io/v1: an object at the root, a type on
    // every field (or int-or-string), array items given, no additionalProperties at the root.
    const structural = (schema: any, path: string, root = false): string[] => {
      const problems: string[] = [];
      if (root && schema.type !== 'object') problems.push(`${path}: the root must be an object`);
      if (root && schema.additionalProperties !== undefined) problems.push(`${path}: additionalProperties at the root`);
      if (!schema.type && !schema['x-kubernetes-int-or-string']) problems.push(`${path}: no type`);
      if (schema.type === 'array' && !schema.items) problems.push(`${path}: an array without items`);
      for (const [name, child] of Object.entries(schema.properties ?? {})) problems.push(...structural(child, `${path}.${name}`));
      if (schema.items) problems.push(...structural(schema.items, `${path}[]`));
      if (typeof schema.additionalProperties === 'object') problems.push(...structural(schema.additionalProperties, `${path}.*`));
      return problems;
    };
    assert.deepEqual(crds.flatMap((crd) => structural(crd.spec.versions[0].schema.openAPIV3Schema, crd.metadata.name, true)), []);
    // The CRDs come first in the file, the custom resource last (one server-side apply; its retry covers the gap).
    assert.equal(docs[docs.length - 1].kind, 'VolumeSnapshotClass');
  });

  test('the PD controller gets the csi-snapshotter sidecar v6.1.0 (upstream stable-master image.yaml) and upstream\'s snapshotter role', () => {
    const docs = docsOf(gce, 'gcp-pd-csi-driver');
    const snapshotter = pdController(docs).containers.find((c: any) => c.name === 'csi-snapshotter');
    assert.equal(snapshotter.image, 'registry.k8s.io/sig-storage/csi-snapshotter:v6.1.0');
    assert.deepEqual(snapshotter.volumeMounts, [{ name: 'socket-dir', mountPath: '/csi' }], 'it talks to the driver over its socket');
    assert.ok(snapshotter.args.includes('--leader-election'));
    const role = find(docs, 'ClusterRole', 'csi-gce-pd-snapshotter-role')!;
    assert.deepEqual(role.rules.find((r: any) => r.resources.includes('volumesnapshotcontents')).verbs, ['create', 'get', 'list', 'watch', 'update', 'delete', 'patch']);
    assert.ok(!role.rules.some((r: any) => r.resources.includes('secrets')), 'PD snapshots need no Secrets');
    assert.deepEqual(find(docs, 'ClusterRoleBinding', 'csi-gce-pd-controller-snapshotter-binding')!.subjects, [{ kind: 'ServiceAccount', name: 'csi-gce-pd-controller-sa', namespace: 'gce-pd-csi-driver' }]);
    // A PVC restored from a snapshot: the provisioner reads the VolumeSnapshot and its content.
    const provisioner = find(docs, 'ClusterRole', 'csi-gce-pd-provisioner-role')!;
    assert.deepEqual(provisioner.rules.filter((r: any) => r.apiGroups[0] === 'snapshot.storage.k8s.io').map((r: any) => r.resources[0]), ['volumesnapshots', 'volumesnapshotcontents']);
    // In GCE the snapshots are the control planes' service account's: roles/compute.storageAdmin holds compute.snapshots.*.
    assert.ok(controlPlaneProjectRoles(gce).includes('roles/compute.storageAdmin'));
  });

  test('the first control plane applies it with the others; validate waits for its Deployment', () => {
    const script = renderBootstrapScript({ ...testInput('gce', 'control-plane-init'), cluster: gce });
    assert.match(script, /write_file "\$\{ROOT\}\/etc\/k8sup\/addons\/snapshot-controller\.yaml" 0600/);
    assert.match(script, /kubectl apply --server-side .* -f "\$\{ROOT\}\/etc\/k8sup\/addons\/snapshot-controller\.yaml"/);
    assert.ok(addonWorkloads(gce).some((w) => w.kind === 'Deployment' && w.namespace === 'kube-system' && w.name === 'snapshot-controller'));
  });

  test('turned off: no CRDs, no controller, no class, no snapshotter sidecar or its RBAC, nothing for validate', () => {
    const without = loadCluster(spec('gce', { addons: off }));
    assert.equal(runsVolumeSnapshots(without), false);
    assert.deepEqual(resolveAddons(without).filter((a) => a.definition.name === 'snapshot-controller').map((a) => [a.enabled, a.from]), [[false, 'spec']]);
    const docs = docsOf(without, 'gcp-pd-csi-driver');
    assert.deepEqual(pdController(docs).containers.map((c: any) => c.name), ['csi-provisioner', 'csi-attacher', 'csi-resizer', 'gce-pd-driver']);
    assert.equal(find(docs, 'ClusterRole', 'csi-gce-pd-snapshotter-role'), undefined);
    assert.equal(find(docs, 'ClusterRoleBinding', 'csi-gce-pd-controller-snapshotter-binding'), undefined);
    assert.ok(!JSON.stringify(docs).includes('snapshot.storage.k8s.io'));
    const script = renderBootstrapScript({ ...testInput('gce', 'control-plane-init'), cluster: without });
    assert.ok(!script.includes('addons/snapshot-controller.yaml'), 'the bundle carries nothing of it');
    assert.ok(!script.includes('kind: CustomResourceDefinition') && !script.includes('kind: VolumeSnapshotClass'));
    assert.ok(!script.includes('csi-snapshotter:v'), 'no sidecar image');
    assert.ok(!addonWorkloads(without).some((w) => w.name === 'snapshot-controller'));
    // The StorageClass and the rest of the driver stay.
    assert.ok(find(docs, 'StorageClass', 'pd-balanced'));
  });

  test('without the PD CSI driver it is unavailable (with the reason), and refused when asked for', () => {
    const noCsi = loadCluster(spec('gce', { addons: { 'gcp-pd-csi-driver': { enabled: false } } }));
    const sc = resolveAddons(noCsi).find((a) => a.definition.name === 'snapshot-controller')!;
    assert.deepEqual([sc.enabled, sc.unavailable], [false, 'it needs gcp-pd-csi-driver, which is off on this cluster']);
    assert.throws(
      () => loadCluster(spec('gce', { addons: { 'gcp-pd-csi-driver': { enabled: false }, 'snapshot-controller': { enabled: true } } })),
      (e: unknown) => e instanceof InvalidInputError && e.exitCode === 2 && /spec\.addons\.snapshot-controller\.enabled/.test(e.message) && /needs gcp-pd-csi-driver/.test(e.message),
    );
    // A version other than the pinned one is refused like any addon's.
    const otherVersion: Cluster = { ...gce, spec: { ...gce.spec, addons: { 'snapshot-controller': { version: 'v8.2.0' } } } };
    assert.match(addonIssues(otherVersion)[0].message, /k8sup pins snapshot-controller v8\.6\.0, not v8\.2\.0/);
  });
});

describe('where there is no snapshotter', () => {
  test('AWS: unavailable, since no csi-snapshotter paired with the EBS driver v1.46.0 was found; refused when asked for', () => {
    const aws = loadCluster(spec('aws'));
    const sc = resolveAddons(aws).find((a) => a.definition.name === 'snapshot-controller')!;
    assert.equal(sc.enabled, false);
    assert.match(sc.unavailable!, /no csi-snapshotter tag that upstream pairs with aws-ebs-csi-driver v1\.46\.0 was found/);
    assert.throws(
      () => loadCluster(spec('aws', { addons: { 'snapshot-controller': { enabled: true } } })),
      (e: unknown) => e instanceof InvalidInputError && e.exitCode === 2 && /spec\.addons\.snapshot-controller\.enabled/.test(e.message),
    );
    // Nothing of it anywhere: no sidecar in the EBS controller, and no EC2 snapshot rights for a snapshotter that does not run.
    const ebs = docsOf(aws, 'aws-ebs-csi-driver');
    assert.ok(!JSON.stringify(ebs).includes('snapshot'));
    const policy = JSON.stringify(rolePolicy('control-plane', aws, { stateStore: 's3://bucket/prefix', caCertPem: '', caCertHash: '' }));
    assert.doesNotMatch(policy, /Snapshot/);
  });

  test('bare metal: no CSI driver k8sup installs, so unavailable; refused when asked for', () => {
    const metal = loadCluster(spec('metal'));
    const sc = resolveAddons(metal).find((a) => a.definition.name === 'snapshot-controller')!;
    assert.deepEqual([sc.enabled, sc.unavailable], [false, 'bare metal has no CSI driver k8sup installs that takes snapshots']);
    assert.throws(
      () => loadCluster(spec('metal', { addons: { 'snapshot-controller': { enabled: true } } })),
      (e: unknown) => e instanceof InvalidInputError && e.exitCode === 2 && /snapshot-controller/.test(e.message),
    );
  });
});
