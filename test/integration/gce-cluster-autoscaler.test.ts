// cluster-autoscaler on GCE, against the Compute fake: the node group's managed instance groups start at its
// minSize spread over the zones, cluster-autoscaler's --nodes flags name exactly those groups with their share of
// [minSize, maxSize], and k8sup leaves a size the autoscaler chose inside the bounds alone (a size outside them is
// put back). Control planes' templates carry the Compute scope the controllers need.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { loadCluster } from '../../src/api/index.js';
import { apply, isEmptyPlan, plan, type EngineDeps } from '../../src/core/engine.js';
import { RecordingIo } from '../../src/core/io.js';
import { providerState } from '../../src/lifecycle/provider-state.js';
import { MemoryBlobStore } from '../../src/state/memory.js';
import { enabledAddons, renderAddonManifest } from '../../src/addons/index.js';
import type { GceClients } from '../../providers/gce/index.js';
import { GCE_TEST_INPUTS, GCE_TEST_PROJECT, useGceEngineCloud } from '../helpers/gce-engine-cloud.js';

const PROJECT = GCE_TEST_PROJECT;
const inputs = GCE_TEST_INPUTS;
const { fake, gcs, provider } = useGceEngineCloud();

const pending = (p: { steps: { action: string; id: string }[] }) => p.steps.filter((s) => s.action !== 'noop').map((s) => `${s.action} ${s.id}`);

test('node group MIGs sized from minSize, autoscaler bounds from maxSize, autoscaled sizes inside the bounds left alone', async () => {
  const c = loadCluster({
    apiVersion: 'k8sup.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'scale.k8s.local' },
    spec: {
      project: PROJECT,
      zones: ['us-central1-b', 'us-central1-c'],
      controlPlane: { count: 1, zones: ['us-central1-b'] },
      nodeGroups: [{ name: 'work', minSize: 3, maxSize: 7 }],
      addons: { 'cluster-autoscaler': { enabled: true } },
    },
  });
  const io = new RecordingIo();
  const clients = await provider.connect(c, { io, env: { K8SUP_GCE_ENDPOINT: fake.endpoint, STORAGE_EMULATOR_HOST: gcs.url }, home: '/nonexistent', state: providerState(new MemoryBlobStore(inputs.stateStore), c.metadata.name) });
  const deps: EngineDeps<GceClients> = { cluster: c.metadata.name, handlers: provider.handlers, clients, classifyError: provider.classifyError, io, retry: { baseDelayMs: 5, maxDelayMs: 50 } as never };
  const nodes = provider.buildGraph(c, inputs);
  const first = await plan(nodes, deps);
  await apply(first.plan, nodes, first.live, deps);

  const migs = fake.list('instanceGroupManagers').filter((m) => /-work-/.test(m.name));
  const byZone = new Map(migs.map((m) => [String(m.zone).split('/').pop(), m]));
  assert.deepEqual([Number(byZone.get('us-central1-b')!.targetSize), Number(byZone.get('us-central1-c')!.targetSize)], [2, 1], 'minSize 3 over two zones');

  // The autoscaler's flags name the groups that exist, each with its share of [3, 7].
  const ca = enabledAddons(c).find((a) => a.name === 'cluster-autoscaler')!;
  const deployment = parseAllDocuments(renderAddonManifest(ca, undefined, c)).map((d) => d.toJS()).find((o) => o.kind === 'Deployment');
  const flags: string[] = deployment.spec.template.spec.containers[0].command;
  assert.ok(flags.includes('--cloud-provider=gce'));
  const nodeFlags = flags.filter((f) => f.startsWith('--nodes='));
  const url = (m: Record<string, any>) => `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${String(m.zone).split('/').pop()}/instanceGroups/${m.name}`;
  assert.deepEqual(nodeFlags.sort(), [`--nodes=2:4:${url(byZone.get('us-central1-b')!)}`, `--nodes=1:3:${url(byZone.get('us-central1-c')!)}`].sort());

  // Control planes call the Compute API (CCM, PD CSI, autoscaler); nodes do not.
  const templates = fake.list('instanceTemplates');
  const scopes = (t: Record<string, any>) => t.properties.serviceAccounts[0].scopes as string[];
  assert.ok(scopes(templates.find((t) => /-cp-/.test(t.name))!).includes('https://www.googleapis.com/auth/compute'));
  assert.ok(!scopes(templates.find((t) => /-work-/.test(t.name))!).includes('https://www.googleapis.com/auth/compute'));

  assert.ok(isEmptyPlan((await plan(nodes, deps)).plan), 'nothing to do after apply');
  // The autoscaler grows zone b to its bound: k8sup's plan stays empty.
  const b = byZone.get('us-central1-b')!;
  await clients.api.mutate('instanceGroupManagers', 'resize', { project: PROJECT, zone: 'us-central1-b', instanceGroupManager: b.name, size: 4 });
  assert.ok(isEmptyPlan((await plan(nodes, deps)).plan), 'a size inside [min, max] is the autoscaler\'s');
  // Beyond the bound (someone resized by hand): put back to the nearest bound.
  await clients.api.mutate('instanceGroupManagers', 'resize', { project: PROJECT, zone: 'us-central1-b', instanceGroupManager: b.name, size: 6 });
  const drift = await plan(nodes, deps);
  assert.deepEqual(pending(drift.plan), ['update instance-group/work/us-central1-b']);
  await apply(drift.plan, nodes, drift.live, deps);
  assert.equal(Number(fake.list('instanceGroupManagers').find((m) => m.name === b.name)!.targetSize), 4);
});
