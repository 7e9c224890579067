// Acceptance for air-gapped installs: with spec.assets.containerRegistry and fileRepository set, nothing a node is
// given names a public source. Every file the providers render for every role and CNI is searched: AWS launch
// template user data, GCE startup scripts, the metal step scripts, the token-refresh and etcd-leave helpers.

import { bootstrapBundles as awsBundles } from '../../providers/aws/model/compute.js';
import { bootstrapBundles as gceBundles } from '../../providers/gce/model/compute.js';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadCluster, type Cluster, type CniName } from '../../src/api/index.js';
import { renderEtcdLeaveScript, renderTokenRefreshScript } from '../../src/bootstrap/index.js';
import { clusterAssets } from '../../src/bootstrap/assets.js';
import type { ResourceNode } from '../../src/core/resource.js';
import { buildAwsGraph } from '../../providers/aws/model/index.js';
import { buildGceGraph } from '../../providers/gce/model/index.js';
import { provider as metalProvider } from '../../providers/metal/index.js';
import { AIRGAP_ASSETS, testInput, withEverySetting } from '../helpers/bootstrap-fixtures.js';

const PUBLIC_SOURCES = /github\.com|raw\.githubusercontent\.com|registry\.k8s\.io|artifacts\.k8s\.io|quay\.io|docker\.io|pkgs\.k8s\.io/g;
const INPUTS = { caCertPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', caCertHash: `sha256:${'ab'.repeat(32)}` };
const CNIS: CniName[] = ['calico', 'cilium', 'flannel'];

function clusterFor(cloud: 'aws' | 'gce' | 'metal', cni: CniName, assets: Cluster['spec']['assets']): Cluster {
  const spec: Record<string, unknown> = { networking: { cni }, controlPlane: { count: 3 }, ...(assets ? { assets } : {}) };
  if (cloud === 'aws') spec.zones = ['us-east-2a', 'us-east-2b', 'us-east-2c'];
  if (cloud === 'gce') Object.assign(spec, { zones: ['us-central1-a', 'us-central1-b', 'us-central1-c'], project: 'demo-project' });
  if (cloud === 'metal') {
    spec.hosts = [
      ...['10.0.0.11', '10.0.0.12', '10.0.0.13'].map((address) => ({ address, role: 'control-plane' })),
      { address: '10.0.0.21', role: 'worker' },
    ];
    spec.api = { vip: '10.0.0.100' };
  }
  const cluster = loadCluster({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name: 'airgap.k8s.local' }, spec });
  return withEverySetting(cluster);
}

/** Every text a provider hands its nodes, by where it came from. */
async function renderedFiles(cloud: 'aws' | 'gce' | 'metal', cluster: Cluster): Promise<{ where: string; text: string }[]> {
  const files: { where: string; text: string }[] = [];
  if (cloud === 'metal') {
    const nodes = metalProvider.buildGraph(cluster, { ...INPUTS, stateStore: 'file:///var/lib/k8sup/state' });
    for (const node of nodes) {
      const script = await metalProvider.stepScript!(cluster, node, 'file:///var/lib/k8sup/state');
      if (script) files.push({ where: node.id, text: script });
    }
    return files;
  }
  const inputs = { ...INPUTS, stateStore: cloud === 'aws' ? 's3://k8sup-state/team' : 'gs://k8sup-state' };
  const nodes: ResourceNode[] = cloud === 'aws' ? buildAwsGraph(cluster, inputs) : buildGceGraph(cluster, inputs);
  // Every field of every resource, the loaders in user data and startup scripts included (plain text in the model),
  // and every bootstrap bundle the loaders fetch.
  for (const node of nodes) files.push({ where: node.id, text: JSON.stringify(node.fields) });
  for (const b of (cloud === 'aws' ? awsBundles : gceBundles)(cluster, inputs)) files.push({ where: b.key, text: b.content });
  for (const role of ['control-plane-init', 'control-plane-join'] as const) {
    const input = { ...testInput(cloud, role), cluster };
    files.push({ where: `${role} token refresh`, text: renderTokenRefreshScript(input) }, { where: `${role} etcd leave`, text: renderEtcdLeaveScript(input) });
  }
  return files;
}

describe('air-gapped bootstrap: no public source in anything rendered', () => {
  for (const cloud of ['aws', 'gce', 'metal'] as const) {
    for (const cni of CNIS) {
      test(`${cloud} with ${cni}: every rendered file uses the mirrors only`, async () => {
        const files = await renderedFiles(cloud, clusterFor(cloud, cni, AIRGAP_ASSETS));
        assert.ok(files.length >= 3, `${cloud} rendered ${files.length} files`);
        // The script bodies are really in there (not only hashes): the mirrors are named.
        const all = files.map((f) => f.text).join('\n');
        assert.match(all, /files\.corp\.example\/k8s/);
        assert.match(all, /registry\.corp\.example:5000\/k8s/);
        for (const f of files) {
          // A CRD's api-approved.kubernetes.io annotation names the upstream API review (a URL the API server checks
          // the form of): a record, not a source anything is fetched from.
          const found = [...new Set(f.text.replace(/^\s*api-approved\.kubernetes\.io: .*$/gm, '').match(PUBLIC_SOURCES) ?? [])];
          assert.deepEqual(found, [], `${f.where} names ${found.join(', ')}`);
        }
      });
    }
  }

  test('the search is live: the same clusters without mirrors name the public sources', async () => {
    for (const cloud of ['aws', 'gce', 'metal'] as const) {
      const all = (await renderedFiles(cloud, clusterFor(cloud, 'calico', undefined))).map((f) => f.text).join('\n');
      for (const host of ['github.com', 'raw.githubusercontent.com', 'registry.k8s.io', 'pkgs.k8s.io']) assert.ok(all.includes(host), `${cloud} without mirrors names ${host}`);
    }
  });

  test('get assets: every file and image is fetched from the mirrors, with the upstream URL and pinned sha256 kept', () => {
    for (const cni of CNIS) {
      const assets = clusterAssets(clusterFor('aws', cni, AIRGAP_ASSETS));
      for (const f of [...assets.files, ...assets.repositories]) {
        assert.match(f.url, new RegExp(PUBLIC_SOURCES.source), `${f.name} upstream URL is listed`);
        assert.equal(f.fetchedFrom, `https://files.corp.example/k8s${new URL(f.url).pathname}`);
      }
      for (const i of assets.images) assert.ok(i.pulledFrom.startsWith('registry.corp.example:5000/k8s/'), `${i.name} ${i.pulledFrom}`);
      assert.ok(assets.files.filter((f) => f.name !== `${cni} manifest`).every((f) => /^[0-9a-f]{64}$/.test(f.sha256 ?? '')), 'binaries carry their pinned sha256');
    }
  });
});
