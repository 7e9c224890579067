// Every Kubernetes object k8sup renders, checked against the API schema of every supported minor (unknown fields are
// errors), and no image that floats. What is rendered: every addon of the catalogue (everyAddon(), whatever clouds
// add), and every YAML file a node's bootstrap writes for every cloud, role and minor with every setting on (kube-vip
// static pod, kubeadm/kubelet/kube-proxy configuration, audit policy, addon manifests), and the encryption config.
// The CNI manifests are not rendered by k8sup: the node downloads the pinned upstream file and checks its sha256
// (src/bootstrap/versions.ts), so they are upstream's to validate. The validator is test/helpers/kube-schema.ts;
// the tests at the bottom prove it refuses what the API server would.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { addonsOf, enabledAddons, everyAddon, imageReference } from '../../src/addons/index.js';
import { KUBERNETES_RELEASES, SUPPORTED_KUBERNETES_MINORS } from '../../src/api/version.js';
import { renderBootstrapScript } from '../../src/bootstrap/index.js';
import { KUBE_VIP } from '../../src/bootstrap/versions.js';
import { generateEncryptionConfig } from '../../src/pki/encryption-config.js';
import { AIRGAP_ASSETS, PROVIDERS, ROLES, testCluster, testInput, withEverySetting } from '../helpers/bootstrap-fixtures.js';
import { CONFIG_KINDS, SCHEMA_OF_MINOR, customResourceSchemas, floatingImageProblem, imagesIn, isConfigKind, schemaErrors } from '../helpers/kube-schema.js';

interface Rendered {
  /** Where it comes from: `aws control-plane-init /etc/kubernetes/audit/policy.yaml`, `addon metrics-server`. */
  origin: string;
  object: Record<string, unknown>;
}

function objectsOf(yamlText: string, origin: string): Rendered[] {
  return parseAllDocuments(yamlText).flatMap((doc) => {
    assert.deepEqual(doc.errors, [], origin);
    const object: unknown = doc.toJS();
    return object === null ? [] : [{ origin, object: object as Record<string, unknown> }];
  });
}

const HEREDOC = /^(.*)<<'?(K8SUP_EOF\w*)'?(.*)\n([\s\S]*?)\n\2$/gm;

/**
 * The YAML files of a bootstrap script: the heredocs that write a *.yaml file (or its .template), by the path they
 * write (`/etc/kubernetes/audit/policy.yaml`, `${KUBE_VIP_DIR}/kube-vip.yaml`).
 */
function yamlFilesOf(script: string): { path: string; body: string }[] {
  return [...script.matchAll(HEREDOC)].flatMap(([, before, , after, body]) => {
    const path = /"(?:\$\{ROOT\})?([^"\s]+\.yaml(?:\.template)?)"/.exec(`${before} ${after}`)?.[1];
    return path === undefined ? [] : [{ path, body }];
  });
}

/** A cluster on `cloud` at `version` with every setting and every addon the cloud offers on, metal with kube-vip. */
function everythingOn(cloud: (typeof PROVIDERS)[number], version: string, assets?: typeof AIRGAP_ASSETS) {
  const cluster = withEverySetting(testCluster({ provider: cloud, version, assets }));
  cluster.spec.addons = Object.fromEntries(addonsOf(cloud).map((a) => [a.name, { enabled: true }]));
  if (cloud === 'metal') cluster.spec.api.vip = '10.0.0.100';
  return cluster;
}

const renderedByMinor = new Map<number, Rendered[]>();

function renderedFor(minor: number): Rendered[] {
  let rendered = renderedByMinor.get(minor);
  if (!rendered) renderedByMinor.set(minor, (rendered = renderAll(minor)));
  return rendered;
}

function renderAll(minor: number): Rendered[] {
  const version = `1.${minor}.${KUBERNETES_RELEASES[minor].newestPatch}`;
  const rendered: Rendered[] = [];
  for (const cloud of PROVIDERS) {
    const cluster = everythingOn(cloud, version);
    for (const role of ROLES) {
      const script = renderBootstrapScript({ ...testInput(cloud, role, { version }), cluster });
      for (const file of yamlFilesOf(script)) rendered.push(...objectsOf(file.body, `${cloud} ${role} ${file.path}`));
    }
  }
  // Air-gapped, every image is pulled from spec.assets.containerRegistry: those references must be pinned too.
  const airgapped = everythingOn('aws', version, AIRGAP_ASSETS);
  const airgapScript = renderBootstrapScript({ ...testInput('aws', 'control-plane-init', { version, assets: AIRGAP_ASSETS }), cluster: airgapped });
  for (const file of yamlFilesOf(airgapScript)) rendered.push(...objectsOf(file.body, `aws airgapped ${file.path}`));
  rendered.push(...objectsOf(generateEncryptionConfig(), 'encryption config'));
  return rendered;
}

const label = (r: Rendered) => `${r.origin}: ${String(r.object.kind)} ${String((r.object.metadata as { name?: string } | undefined)?.name ?? '')}`;

describe('every rendered manifest against the Kubernetes API schema', () => {
  test('every addon of every cloud is rendered and checked on at least one supported minor', () => {
    const checked = new Set(SUPPORTED_KUBERNETES_MINORS.flatMap((minor) => renderedFor(minor).map((r) => r.origin.replace(/^\S+ \S+ /, ''))));
    for (const cloud of PROVIDERS) for (const a of addonsOf(cloud)) assert.ok(checked.has(`/etc/k8sup/addons/${a.name}.yaml`), `${cloud}: addon ${a.name}`);
  });

  test('every supported minor has a pinned schema', () => {
    assert.deepEqual(Object.keys(SCHEMA_OF_MINOR).map(Number).sort(), [...SUPPORTED_KUBERNETES_MINORS]);
  });

  for (const minor of SUPPORTED_KUBERNETES_MINORS) {
    test(`Kubernetes 1.${minor}: every object validates, strictly`, async () => {
      const rendered = renderedFor(minor);
      // Custom resources k8sup ships (the default VolumeSnapshotClass) are checked against the CRDs it ships with them.
      const customResources = customResourceSchemas(rendered.map((r) => r.object));
      const failures: string[] = [];
      for (const r of rendered) for (const e of await schemaErrors(r.object, minor, customResources)) failures.push(`${label(r)} ${e}`);
      assert.deepEqual(failures, []);
      assert.ok(rendered.some((r) => r.object.kind === 'VolumeSnapshotClass'), 'a custom resource went through its CRD schema');

      // The extraction found what k8sup ships, so an empty scan cannot pass: every addon of every cloud, the
      // kube-vip pod, the audit policy, kubeadm's init and join configuration with kubelet's and kube-proxy's.
      const origins = new Set(rendered.map((r) => r.origin.replace(/^\S+ \S+ /, '')));
      // (An addon that pins no image for this minor cannot run here: the test below makes sure each runs on some minor.)
      const version = `1.${minor}.${KUBERNETES_RELEASES[minor].newestPatch}`;
      for (const cloud of PROVIDERS) for (const a of enabledAddons(everythingOn(cloud, version))) assert.ok(origins.has(`/etc/k8sup/addons/${a.name}.yaml`), `${cloud}: addon ${a.name}`);
      for (const path of ['${KUBE_VIP_DIR}/kube-vip.yaml', '/etc/kubernetes/audit/policy.yaml', '/etc/k8sup/kubeadm-init.yaml.template', '/etc/k8sup/kubeadm-join.yaml.template']) {
        assert.ok(origins.has(path), `${path} not in ${[...origins].join(", ")}`);
      }
      const kinds = new Set(rendered.map((r) => `${String(r.object.apiVersion)} ${String(r.object.kind)}`));
      for (const [apiVersion, configKinds] of Object.entries(CONFIG_KINDS)) for (const kind of configKinds) assert.ok(kinds.has(`${apiVersion} ${kind}`), `${apiVersion} ${kind}`);
      assert.ok(kinds.has('v1 Pod'), 'the kube-vip static pod');
      // Objects the API serves (not configuration files) are the bulk: each went through both schema checks.
      assert.ok(rendered.filter((r) => !isConfigKind(r.object.apiVersion, r.object.kind)).length >= 10);
    });
  }

  test('no image floats: every image of every manifest and of the catalogue has a version tag, digests sha256', () => {
    const images = new Set<string>([
      ...SUPPORTED_KUBERNETES_MINORS.flatMap((minor) => renderedFor(minor).flatMap((r) => imagesIn(r.object))),
      ...everyAddon().flatMap((a) => Object.values(a.images).map(imageReference)),
      KUBE_VIP.image,
      ...Object.values(KUBERNETES_RELEASES).map((r) => r.pauseImage),
    ]);
    assert.ok(images.size >= 3);
    assert.ok([...images].some((i) => i.startsWith(`${AIRGAP_ASSETS.containerRegistry}/`)), 'the air-gapped references are among them');
    assert.deepEqual([...images].map(floatingImageProblem).filter((p) => p !== null), []);
  });
});

// The validator itself: it must refuse what the API server (or kubectl --validate=strict) refuses.
const DEPLOYMENT = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m' } } }] },
    },
  },
};

function changed(mutate: (d: typeof DEPLOYMENT & Record<string, unknown>) => void): unknown {
  const d = structuredClone(DEPLOYMENT) as typeof DEPLOYMENT & Record<string, unknown>;
  mutate(d);
  return d;
}

describe('the schema check itself', () => {
  for (const minor of SUPPORTED_KUBERNETES_MINORS) {
    test(`1.${minor}: a valid Deployment passes; a misspelt, missing, mistyped or unknown field fails`, async () => {
      assert.deepEqual(await schemaErrors(DEPLOYMENT, minor), []);
      assert.deepEqual(await schemaErrors(changed((d) => Object.assign(d.spec, { replica: 2 })), minor), ['.spec.replica: unknown field']);
      assert.deepEqual(
        await schemaErrors(changed((d) => Object.assign(d.spec.template.spec.containers[0], { imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 80, protcol: 'TCP' }] })), minor),
        ['.spec.template.spec.containers[0].ports[0].protcol: unknown field'],
      );
      assert.deepEqual(await schemaErrors(changed((d) => Object.assign(d, { status: { replicas: 1 }, extra: true })), minor), ['.extra: unknown field']);
      assert.deepEqual(await schemaErrors(changed((d) => delete (d.spec as Partial<typeof d.spec>).selector), minor), ['.spec: must have required property selector']);
      assert.deepEqual(await schemaErrors(changed((d) => Object.assign(d.spec, { replicas: 'two' })), minor), ['.spec.replicas: must be integer']);
      assert.deepEqual(await schemaErrors(changed((d) => Object.assign(d.spec.template.spec.containers[0], { imagePullPolicy: 'Sometimes' })), minor), [
        '.spec.template.spec.containers[0].imagePullPolicy: must be equal to one of the allowed values',
      ]);
      assert.deepEqual(await schemaErrors(changed((d) => Object.assign(d.spec.template.spec, { containers: { name: 'web' } })), minor), [
        '.spec.template.spec.containers: must be a list',
        '.spec.template.spec.containers: must be array',
      ]);
      assert.deepEqual(await schemaErrors(changed((d) => Object.assign(d, { apiVersion: 'extensions/v1beta1' })), minor), [
        `extensions/v1beta1 Deployment is not in the Kubernetes ${SCHEMA_OF_MINOR[minor].fields} OpenAPI spec`,
      ]);
      assert.deepEqual(await schemaErrors({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { 'k8sup.io/a': 1 } } }, minor), ['.metadata.labels.k8sup.io/a: must be string']);
    });
  }

  test('the field set is the minor\'s own: a 1.34 field (PodSpec.hostnameOverride) is unknown to 1.33', async () => {
    const withOverride = changed((d) => Object.assign(d.spec.template.spec, { hostnameOverride: 'web-0' }));
    assert.deepEqual(await schemaErrors(withOverride, 33), ['.spec.template.spec.hostnameOverride: unknown field']);
    assert.deepEqual(await schemaErrors(withOverride, 34), []);
  });

  test('a kind two groups share is checked against its own group (core v1 Event has neither `note` nor `reportingController`)', async () => {
    const event = { metadata: { name: 'e', namespace: 'default' }, eventTime: '2026-12-01T00:00:00.000000Z', reportingController: 'k8sup', reportingInstance: 'k8sup-1', action: 'Apply', reason: 'Applied', note: 'applied' };
    assert.deepEqual(await schemaErrors({ apiVersion: 'events.k8s.io/v1', kind: 'Event', ...event }, 34), []);
    assert.deepEqual(await schemaErrors({ apiVersion: 'v1', kind: 'Event', involvedObject: {}, ...event }, 34), ['.reportingController: unknown field', '.note: unknown field']);
  });

  test('configuration kinds pass on apiVersion/kind alone; anything else the API does not serve fails', async () => {
    assert.deepEqual(await schemaErrors({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'Metadata' }] }, 35), []);
    assert.deepEqual(await schemaErrors({ apiVersion: 'audit.k8s.io/v1beta1', kind: 'Policy' }, 35), ['audit.k8s.io/v1beta1 Policy is not in the Kubernetes 1.34.0 OpenAPI spec']);
    assert.deepEqual(await schemaErrors({ apiVersion: 'v1', kind: 'Potato', metadata: { name: 'p' } }, 33), ['v1 Potato is not in the Kubernetes 1.33.0 OpenAPI spec']);
    assert.deepEqual(await schemaErrors({ kind: 'Pod' }, 33), ['apiVersion and kind must be strings']);
    assert.deepEqual(await schemaErrors(DEPLOYMENT, 32), ['no schema pinned for Kubernetes 1.32']);
  });

  test('a custom resource is checked against its CRD\'s schema: unknown, missing and wrong fields fail', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
        scope: 'Cluster',
        versions: [{
          name: 'v1', served: true, storage: true,
          schema: { openAPIV3Schema: { type: 'object', required: ['size'], properties: {
            apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' },
            size: { type: 'string', enum: ['Small', 'Large'] },
            labels: { type: 'object', additionalProperties: { type: 'string' } },
            amount: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
          } } },
        }],
      },
    };
    const crs = customResourceSchemas([crd]);
    const widget = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, size: 'Small', labels: { a: 'b' }, amount: 3 };
    assert.deepEqual(await schemaErrors(crd, 34), [], 'the CRD itself is a valid built-in object');
    assert.deepEqual(await schemaErrors(widget, 34, crs), []);
    assert.deepEqual(await schemaErrors({ ...widget, amount: '3Gi' }, 34, crs), []);
    assert.deepEqual(await schemaErrors({ ...widget, colour: 'red' }, 34, crs), ['.colour: unknown field']);
    assert.deepEqual(await schemaErrors({ ...widget, size: 'Medium' }, 34, crs), ['.size: must be equal to one of the allowed values']);
    assert.deepEqual(await schemaErrors({ ...widget, labels: { a: 1 } }, 34, crs), ['.labels.a: must be string']);
    const { size: _, ...sizeless } = widget;
    assert.deepEqual(await schemaErrors(sizeless, 34, crs), ['.: must have required property \'size\'']);
    assert.deepEqual(await schemaErrors({ ...widget, metadata: { name: 'w', lables: {} } }, 34, crs), ['.metadata.lables: unknown field']);
    assert.deepEqual(await schemaErrors(widget, 34), ['example.com/v1 Widget is not in the Kubernetes 1.34.0 OpenAPI spec'], 'without its CRD it is refused');
  });

  test('floating images: no tag, latest, a branch or a bad digest float; version tags and sha256 digests do not', () => {
    for (const pinned of ['registry.k8s.io/pause:3.10', 'ghcr.io/kube-vip/kube-vip:v0.8.9', 'registry.corp.example:5000/k8s/metrics-server:v0.7.2', `public.ecr.aws/x/y:v1.33.0-eksbuild.1@sha256:${'a'.repeat(64)}`]) {
      assert.equal(floatingImageProblem(pinned), null, pinned);
    }
    assert.match(floatingImageProblem('registry.k8s.io/pause') ?? '', /no tag/);
    assert.match(floatingImageProblem('registry.corp.example:5000/k8s/pause') ?? '', /no tag/);
    assert.match(floatingImageProblem('nginx:latest') ?? '', /not a release version/);
    assert.match(floatingImageProblem('quay.io/x/y:main') ?? '', /not a release version/);
    assert.match(floatingImageProblem('quay.io/x/y:v1.2.3@sha1:abc') ?? '', /sha256/);
    assert.deepEqual(imagesIn(DEPLOYMENT), ['registry.k8s.io/pause:3.10']);
  });
});
