// The addon catalogue and spec.addons: one pinned version per addon, images pinned by tag (never a floating one),
// manifests that parse as Kubernetes objects, and input rules (exit 2 with the field path).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { loadCluster } from '../../src/api/index.js';
import { addonIssues, everyAddon, enabledAddons, imageReference, renderAddonManifest, resolveAddons, type AddonDefinition } from '../../src/addons/index.js';
import type { Cluster } from '../../src/api/types.js';
import { SUPPORTED_KUBERNETES_MINORS } from '../../src/api/version.js';
import { InvalidInputError } from '../../src/core/errors.js';
import { withDefaults } from '../../src/api/defaults.js';

const FLOATING = /:(latest|master|main|stable|edge|nightly)$|^[^:@]+$/;

function imagesOf(manifest: string): string[] {
  const images: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) (k === 'image' && typeof x === 'string' ? images.push(x) : walk(x));
  };
  for (const doc of parseAllDocuments(manifest)) walk(doc.toJS());
  return images;
}

/** Every addon as a cluster would run it: each cloud, each supported minor, the opt-in ones turned on. */
function renderedAddons(): { addon: AddonDefinition; cluster: Cluster }[] {
  const out: { addon: AddonDefinition; cluster: Cluster }[] = [];
  for (const cloud of ['aws', 'gce', 'metal'] as const) {
    for (const minor of SUPPORTED_KUBERNETES_MINORS) {
      const c = withDefaults({
        metadata: { name: 'demo.k8s.local' },
        spec: { cloud, project: 'demo-project', kubernetesVersion: `1.${minor}.0`, ...(cloud === 'gce' ? { zones: ['us-central1-b', 'us-central1-c'], region: 'us-central1' } : {}), addons: cloud === 'metal' ? {} : { 'cluster-autoscaler': { enabled: true } } },
      });
      for (const r of resolveAddons(c)) if (r.enabled) out.push({ addon: r.definition, cluster: c });
    }
  }
  return out;
}

describe('addons', () => {
  test('every catalogue image is pinned by a version tag; digests only as sha256', () => {
    for (const a of [...everyAddon().filter((d) => !d.imagesByMinor), ...renderedAddons().map((r) => r.addon)]) {
      const images = Object.values(a.images);
      for (const image of images) {
        assert.match(image.tag, /^v?\d+\.\d+\.\d+$/, a.name);
        if (image.digest) assert.match(image.digest, /^sha256:[0-9a-f]{64}$/);
      }
      assert.ok(images.some((i) => i.tag.replace(/^v/, '') === a.version.replace(/^v/, '')), `${a.name}: one image is the addon's version`);
    }
  });

  test('rendered manifests: valid multi-document YAML of Kubernetes objects, every image the pinned one, none floating', () => {
    const seen = new Set(renderedAddons().map((r) => r.addon.name));
    assert.deepEqual([...seen].sort(), everyAddon().map((a) => a.name).sort(), 'every addon is rendered for some cluster');
    for (const { addon: a, cluster } of renderedAddons()) {
      const manifest = renderAddonManifest(a, undefined, cluster);
      const docs = parseAllDocuments(manifest);
      for (const d of docs) {
        assert.deepEqual(d.errors, [], a.name);
        const o = d.toJS();
        assert.ok(o.apiVersion && o.kind && o.metadata?.name, `${a.name}: ${JSON.stringify(o).slice(0, 100)}`);
        assert.match(o.metadata.name, /^[a-z0-9]([-a-z0-9.:]*[a-z0-9])?$/);
      }
      const images = imagesOf(manifest);
      assert.ok(images.length > 0);
      for (const image of images) {
        assert.doesNotMatch(image, FLOATING, `${a.name}: floating image ${image}`);
        assert.ok(Object.values(a.images).map(imageReference).includes(image), `${a.name}: ${image} is not in the catalogue`);
      }
      // Every workload the checks look for is in the manifest.
      for (const w of a.workloads) {
        assert.ok(docs.some((d) => { const o = d.toJS(); return o.kind === w.kind && o.metadata.name === w.name && o.metadata.namespace === w.namespace; }), `${a.name}: ${w.kind} ${w.name}`);
      }
    }
  });

  test('defaults per provider; spec.addons turns one off', () => {
    for (const cloud of ['aws', 'gce', 'metal'] as const) {
      const c = withDefaults({ metadata: { name: 'demo.k8s.local' }, spec: { cloud } });
      assert.ok(enabledAddons(c).some((a) => a.name === 'metrics-server'), cloud);
    }
    const off = withDefaults({ metadata: { name: 'demo.k8s.local' }, spec: { cloud: 'metal', addons: { 'metrics-server': { enabled: false } } } });
    assert.deepEqual(resolveAddons(off).map((a) => [a.definition.name, a.enabled, a.from]), [['metrics-server', false, 'spec'], ['cluster-autoscaler', false, 'default'], ['snapshot-controller', false, 'default']]);
    assert.deepEqual(enabledAddons(off), []);
  });

  test('unknown names and other versions are refused with the field path', () => {
    const c = (addons: unknown) => withDefaults({ metadata: { name: 'demo.k8s.local' }, spec: { addons } });
    assert.match(addonIssues(c({ 'metrics-servre': {} }))[0].message, /unknown addon "metrics-servre" \(known: metrics-server/);
    assert.equal(addonIssues(c({ 'metrics-server': { version: 'v0.6.0' } }))[0].path, 'spec.addons.metrics-server.version');
    assert.deepEqual(addonIssues(c({ 'metrics-server': { version: 'v0.7.2', enabled: true } })), []);
    assert.throws(
      () => loadCluster({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name: 'demo.k8s.local' }, spec: { zones: ['us-east-2a'], addons: { 'metrics-server': { version: 'v9' } } } }),
      (e: unknown) => e instanceof InvalidInputError && e.exitCode === 2 && /spec\.addons\.metrics-server\.version/.test(e.message),
    );
    assert.throws(
      () => loadCluster({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name: 'demo.k8s.local' }, spec: { zones: ['us-east-2a'], addons: { 'metrics-server': { enabled: 'yes' } } } }),
      (e: unknown) => e instanceof InvalidInputError && /spec\.addons\.metrics-server\.enabled/.test(e.message),
    );
  });
});
