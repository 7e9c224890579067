import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apply, diff, discover, isEmptyPlan, plan, KNOWN_AFTER_APPLY } from '../../src/core/engine.js';
import { buildGraph, resolveRefs } from '../../src/core/graph.js';
import { OperationError } from '../../src/core/errors.js';
import { RecordingIo } from '../../src/core/io.js';
import { ref, type PlanStep, type ResourceNode } from '../../src/core/resource.js';
import { exampleGraph, MemoryCloud, memoryDeps, memoryHandlers, MemoryJournal } from '../fakes/memory-provider.js';

const byId = (steps: PlanStep[]) => new Map(steps.map((s) => [s.id, s]));

async function applied(nodes: ResourceNode[], cloud = new MemoryCloud()) {
  const deps = memoryDeps(cloud);
  const { plan: p, live } = await plan(nodes, deps);
  await apply(p, nodes, live, deps);
  return { cloud, deps };
}

describe('graph', () => {
  it('finds refs nested in arrays and objects and orders dependencies first', () => {
    const g = buildGraph(exampleGraph());
    assert.deepEqual([...g.deps.get('lb/api')!].sort(), ['instance/control-plane-0', 'subnet/zone-a', 'subnet/zone-b']);
    assert.deepEqual([...g.deps.get('dns/api')!].sort(), ['instance/control-plane-0', 'lb/api']);
    const pos = new Map(g.order.map((id, i) => [id, i]));
    for (const [id, ds] of g.deps) for (const d of ds) assert.ok(pos.get(d)! < pos.get(id)!, `${d} before ${id}`);
    assert.equal(g.order[0], 'network');
  });

  it('rejects cycles, unknown ids and duplicates with a clear message', () => {
    const cyc: ResourceNode[] = [
      { kind: 'task', id: 'a', fields: { x: ref('b', 'taskId') } },
      { kind: 'task', id: 'b', fields: { x: [{ y: ref('c', 'taskId') }] } },
      { kind: 'task', id: 'c', fields: {}, dependsOn: ['a'] },
    ];
    assert.throws(() => buildGraph(cyc), (e: OperationError) => e.code === 'InvalidGraph' && /cycle a → b → c → a/.test(e.message));
    assert.throws(() => buildGraph([{ kind: 'task', id: 'a', fields: { x: ref('nope', 'id') } }]), /a references unknown resource nope/);
    assert.throws(() => buildGraph([{ kind: 'task', id: 'a', fields: {} }, { kind: 'task', id: 'a', fields: {} }]), /duplicate resource id a/);
  });

  it('resolves nested refs and names the missing output', () => {
    const outputs = { net: { id: 'n-1' } };
    assert.deepEqual(resolveRefs({ a: [{ b: ref('net', 'id') }], c: 1 }, outputs), { a: [{ b: 'n-1' }], c: 1 });
    assert.throws(() => resolveRefs({ a: ref('net', 'cidr') }, outputs), /net has no output "cidr" \(it has: id\)/);
  });
});

describe('plan', () => {
  it('plans creates in topological order with refs known after apply, and writes nothing', async () => {
    const cloud = new MemoryCloud();
    const io = new RecordingIo();
    const journal = new MemoryJournal();
    const { plan: p } = await plan(exampleGraph(), memoryDeps(cloud, { io, journal }));
    assert.equal(cloud.writes, 0);
    assert.equal(journal.entries.length, 0);
    assert.ok(p.steps.every((s) => s.action === 'create'));
    assert.deepEqual(
      p.steps.map((s) => s.id),
      buildGraph(exampleGraph()).order,
    );
    const fw = byId(p.steps).get('firewall/nodes')!;
    assert.deepEqual(fw.changes.find((c) => c.field === 'rules')!.to, [
      { port: 6443, from: KNOWN_AFTER_APPLY },
      { port: 22, from: '0.0.0.0/0' },
    ]);
    const summary = io.events.find((e) => e.code === 'plan.summary')!;
    assert.equal(summary.data!.create, exampleGraph().length);
  });

  it('is empty right after apply', async () => {
    const { cloud, deps } = await applied(exampleGraph());
    const writes = cloud.writes;
    const { plan: p } = await plan(exampleGraph(), deps);
    assert.ok(isEmptyPlan(p), JSON.stringify(p.steps.filter((s) => s.action !== 'noop')));
    assert.equal(p.steps.length, exampleGraph().length);
    assert.equal(cloud.writes, writes, 'planning must not write');
  });

  it('shows a changed mutable field as update, and apply converges', async () => {
    const { cloud, deps } = await applied(exampleGraph());
    const nodes = exampleGraph({ size: 'large' });
    const { plan: p, live } = await plan(nodes, deps);
    const changed = p.steps.filter((s) => s.action !== 'noop');
    assert.deepEqual(
      changed.map((s) => [s.id, s.action]),
      [
        ['instance/control-plane-0', 'update'],
        ['instance/worker-0', 'update'],
        ['instance/worker-1', 'update'],
      ],
    );
    assert.deepEqual(changed[0].changes, [{ field: 'size', from: 'small', to: 'large' }]);
    const before = cloud.find('instance/worker-0')!.cloudId;
    await apply(p, nodes, live, deps);
    assert.equal(cloud.find('instance/worker-0')!.cloudId, before, 'update keeps the object');
    assert.equal(cloud.find('instance/worker-0')!.fields.size, 'large');
    assert.ok(isEmptyPlan((await plan(nodes, deps)).plan));
  });

  it('shows an immutable change as replace, cascades to dependants, and apply converges', async () => {
    const { cloud, deps } = await applied(exampleGraph());
    const oldNet = cloud.find('network')!.cloudId;
    const nodes = exampleGraph({ networkCidr: '10.1.0.0/16' });
    const { plan: p, live } = await plan(nodes, deps);
    const steps = byId(p.steps);
    assert.equal(steps.get('network')!.action, 'replace');
    assert.deepEqual(steps.get('network')!.changes, [{ field: 'cidr', from: '10.0.0.0/16', to: '10.1.0.0/16' }]);
    // networkId is immutable on subnets: they must be replaced; the firewall's networkId too.
    assert.equal(steps.get('subnet/zone-a')!.action, 'replace');
    assert.deepEqual(steps.get('subnet/zone-a')!.changes, [{ field: 'networkId', from: oldNet, to: KNOWN_AFTER_APPLY }]);
    assert.equal(steps.get('firewall/nodes')!.action, 'replace');
    // instances sit in replaced subnets (immutable subnetId) → replace; the LB's subnets are immutable → replace.
    assert.equal(steps.get('instance/worker-0')!.action, 'replace');
    assert.equal(steps.get('lb/api')!.action, 'replace');
    // The DNS record points at the LB's new name and cannot be updated in place → replace.
    assert.equal(steps.get('dns/api')!.action, 'replace');

    await apply(p, nodes, live, deps);
    assert.notEqual(cloud.find('network')!.cloudId, oldNet);
    assert.equal(cloud.find('subnet/zone-a')!.fields.networkId, cloud.find('network')!.cloudId);
    assert.equal(cloud.objects.size, nodes.length, 'old objects deleted');
    assert.ok(isEmptyPlan((await plan(nodes, deps)).plan));
  });

  it('updates a dependant whose mutable field references a replaced resource', async () => {
    const nodes = (target: string): ResourceNode[] => [
      { kind: 'dnsRecord', id: 'rec', fields: { name: 'a.example.test', value: target } },
      { kind: 'task', id: 'user', fields: { recordId: ref('rec', 'recordId') } },
    ];
    const { cloud, deps } = await applied(nodes('1.1.1.1'));
    const { plan: p, live } = await plan(nodes('2.2.2.2'), deps);
    assert.deepEqual(
      p.steps.map((s) => [s.id, s.action]),
      [
        ['rec', 'replace'],
        ['user', 'update'],
      ],
    );
    await apply(p, nodes('2.2.2.2'), live, deps);
    assert.equal(cloud.find('user')!.fields.recordId, cloud.find('rec')!.cloudId);
    assert.equal(cloud.creates.get('user'), 1);
  });

  it('shows a removed resource as delete and deletes it', async () => {
    const { cloud, deps } = await applied(exampleGraph());
    const nodes = exampleGraph({ withoutDns: true, workers: 1 });
    const { plan: p, live } = await plan(nodes, deps);
    const changed = p.steps.filter((s) => s.action !== 'noop');
    assert.deepEqual(
      changed.map((s) => [s.id, s.action]),
      [
        ['dns/api', 'delete'],
        ['instance/worker-1', 'delete'],
      ],
    );
    assert.ok(changed.every((s) => s.cloudId));
    await apply(p, nodes, live, deps);
    assert.equal(cloud.find('dns/api'), undefined);
    assert.equal(cloud.find('instance/worker-1'), undefined);
    assert.ok(isEmptyPlan((await plan(nodes, deps)).plan));
  });

  it('ignores writeOnly fields and fields the cloud does not report, and honours handler.equal', async () => {
    const { cloud, deps } = await applied(exampleGraph());
    // writeOnly: userData changed → not a change.
    const nodes = exampleGraph();
    (nodes.find((n) => n.id === 'instance/worker-0')!.fields as Record<string, unknown>).userData = 'different';
    // A field the live object does not report is not a change.
    (nodes.find((n) => n.id === 'network')!.fields as Record<string, unknown>).description = 'new';
    assert.ok(isEmptyPlan((await plan(nodes, deps)).plan));

    // handler.equal can declare a difference equivalent (e.g. unordered lists).
    const live = await discover(deps);
    const reordered = exampleGraph();
    const fw = reordered.find((n) => n.id === 'firewall/nodes')!;
    (fw.fields.rules as unknown[]).reverse();
    assert.equal(byId(diff('demo', reordered, live, memoryHandlers()).steps).get('firewall/nodes')!.action, 'update');
    const unordered = memoryHandlers().map((h) =>
      h.kind === 'firewall' ? { ...h, equal: (_f: string, a: unknown, b: unknown) => JSON.stringify([...(a as unknown[])].map((x) => JSON.stringify(x)).sort()) === JSON.stringify([...(b as unknown[])].map((x) => JSON.stringify(x)).sort()) } : h,
    );
    assert.equal(byId(diff('demo', reordered, live, unordered).steps).get('firewall/nodes')!.action, 'noop');
    assert.equal(cloud.writes > 0, true);
  });

  it('is stable: same steps in the same order whatever order the nodes come in', async () => {
    const { deps } = await applied(exampleGraph());
    const live = await discover(deps);
    const nodes = exampleGraph({ size: 'large', withoutDns: true });
    const a = diff('demo', nodes, live, memoryHandlers());
    const b = diff('demo', [...nodes].reverse(), [...live].reverse(), memoryHandlers());
    assert.deepEqual(a, b);
  });
});
