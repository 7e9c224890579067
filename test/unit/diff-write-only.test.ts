// A handler's writeOnly fields are what k8sup sends but cannot read back as sent: user data, startup scripts, key
// material. Clouds often do answer something under such a name — a digest, a redacted value, a re-encoding — and
// comparing that with the desired value would plan a change (or a replace) on every run. The diff must skip them
// whatever the live object says, and still compare every other field of the same object.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { diff } from '../../src/core/diff.js';
import { apply, discover, plan } from '../../src/core/engine.js';
import type { LiveResource, ResourceNode } from '../../src/core/resource.js';
import { exampleGraph, MemoryCloud, memoryDeps, memoryHandlers } from '../fakes/memory-provider.js';

const WORKER = 'instance/worker-0';

/** The live objects after an apply, with the worker's userData reported the way some APIs do: as a digest. */
async function appliedWithDigest(): Promise<{ nodes: ResourceNode[]; live: LiveResource[] }> {
  const nodes = exampleGraph();
  const deps = memoryDeps(new MemoryCloud());
  const first = await plan(nodes, deps);
  await apply(first.plan, nodes, first.live, deps);
  const live = await discover(deps);
  const worker = live.find((l) => l.id === WORKER)!;
  const sent = String(nodes.find((n) => n.id === WORKER)!.fields.userData);
  worker.fields = { ...worker.fields, userData: `sha256:${createHash('sha256').update(sent).digest('hex')}` };
  return { nodes, live };
}

test('a write-only field the cloud reports differently is not a change (no update, no replace)', async () => {
  const { nodes, live } = await appliedWithDigest();
  assert.ok(memoryHandlers().find((h) => h.kind === 'instance')!.writeOnly?.includes('userData'), 'the fixture declares userData write-only');
  const step = diff('demo', nodes, live, memoryHandlers()).steps.find((s) => s.id === WORKER)!;
  assert.equal(step.action, 'noop', JSON.stringify(step.changes));
  assert.deepEqual(step.changes, []);
});

test('the other fields of that object are still compared', async () => {
  const { nodes, live } = await appliedWithDigest();
  (nodes.find((n) => n.id === WORKER)!.fields as Record<string, unknown>).size = 'xlarge';
  const step = diff('demo', nodes, live, memoryHandlers()).steps.find((s) => s.id === WORKER)!;
  assert.equal(step.action, 'update');
  assert.deepEqual(step.changes.map((c) => c.field), ['size']);
});

test('without the writeOnly declaration the same answer would be a change: the declaration is what keeps it out', async () => {
  const { nodes, live } = await appliedWithDigest();
  const undeclared = memoryHandlers().map((h) => (h.kind === 'instance' ? { ...h, writeOnly: [] } : h));
  const step = diff('demo', nodes, live, undeclared).steps.find((s) => s.id === WORKER)!;
  assert.deepEqual(step.changes.map((c) => c.field), ['userData']);
});
