// Node-group shape on GCE, against the Compute fake (which judges Spot scheduling as the real API does): a spot group's
// instance template uses the SPOT provisioning model, its disk the spec's size and type and its own image; the other
// groups keep their templates unchanged (no SPOT, same content hash); after apply the plan is empty.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCluster } from '../../src/api/index.js';
import { apply, isEmptyPlan, plan, type EngineDeps } from '../../src/core/engine.js';
import { RecordingIo } from '../../src/core/io.js';
import { providerState } from '../../src/lifecycle/provider-state.js';
import { MemoryBlobStore } from '../../src/state/memory.js';
import type { GceClients } from '../../providers/gce/index.js';
import { GCE_TEST_INPUTS, GCE_TEST_PROJECT, useGceEngineCloud } from '../helpers/gce-engine-cloud.js';

const PROJECT = GCE_TEST_PROJECT;
const inputs = GCE_TEST_INPUTS;
const { fake, gcs, provider } = useGceEngineCloud();

test('spot group: SPOT scheduling, disk size/type and image from the spec; other groups untouched; empty plan after apply', async () => {
  const c = loadCluster({
    apiVersion: 'k8sup.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'shape.k8s.local' },
    spec: {
      project: PROJECT,
      zones: ['us-central1-b'],
      nodeGroups: [
        { name: 'nodes', minSize: 1, maxSize: 1 },
        { name: 'batch', minSize: 1, maxSize: 1, spot: true, rootVolume: { size: 300, type: 'pd-ssd' }, image: 'projects/ubuntu-os-cloud/global/images/family/ubuntu-2204-lts' },
      ],
    },
  });
  const io = new RecordingIo();
  const clients = await provider.connect(c, { io, env: { K8SUP_GCE_ENDPOINT: fake.endpoint, STORAGE_EMULATOR_HOST: gcs.url }, home: '/nonexistent', state: providerState(new MemoryBlobStore(inputs.stateStore), c.metadata.name) });
  const deps: EngineDeps<GceClients> = { cluster: c.metadata.name, handlers: provider.handlers, clients, classifyError: provider.classifyError, io, retry: { baseDelayMs: 5, maxDelayMs: 50 } as never };
  const nodes = provider.buildGraph(c, inputs);
  const first = await plan(nodes, deps);
  await apply(first.plan, nodes, first.live, deps);

  const templates = fake.list('instanceTemplates');
  const batch = templates.find((t) => /-batch-/.test(t.name))!;
  const plain = templates.find((t) => /-nodes-/.test(t.name))!;
  assert.equal(batch.properties.scheduling.provisioningModel, 'SPOT');
  const disk = batch.properties.disks[0].initializeParams;
  assert.deepEqual([disk.sourceImage, disk.diskSizeGb, disk.diskType], ['projects/ubuntu-os-cloud/global/images/family/ubuntu-2204-lts', '300', 'pd-ssd']);
  assert.equal(plain.properties.scheduling, undefined, 'a group without spot has no scheduling settings');
  assert.equal(plain.properties.disks[0].initializeParams.diskSizeGb, '128');
  const instances = fake.list('instances').filter((i) => i.labels['k8sup-node-group'] === 'batch');
  assert.equal(instances.length, 1);
  assert.equal(instances[0].scheduling.provisioningModel, 'SPOT');
  assert.ok(isEmptyPlan((await plan(nodes, deps)).plan), 'nothing to do after apply');
});
