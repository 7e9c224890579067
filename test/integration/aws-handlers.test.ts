// Handlers one kind at a time against moto through the real SDK: list() maps live objects to graph ids, a repeated
// create (what a retry after a lost response does) adopts instead of duplicating, delete removes, and connect()
// fails with clear, typed errors.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { apply, plan } from '../../src/core/engine.js';
import { InvalidInputError, OperationError } from '../../src/core/errors.js';
import { silentIo } from '../../src/core/io.js';
import { buildGraph, resolveRefs } from '../../src/core/graph.js';
import type { HandlerContext } from '../../src/core/resource.js';
import { MemoryBlobStore } from '../../src/state/memory.js';
import { createAwsProvider, type AwsClients } from '../../providers/aws/index.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { cluster, engineDeps } from './aws-helpers.js';
import { providerState } from '../../src/lifecycle/provider-state.js';

let moto: Moto;
before(async () => {
  moto = await startMoto();
});
after(async () => {
  await moto?.stop();
});

const connectOpts = (env: Record<string, string>) => ({ io: silentIo, env, home: tmpdir(), state: providerState(new MemoryBlobStore(), 'handlers.k8s.local') });

test("every kind: list finds exactly the desired ids, create again adopts, delete empties the kind", async () => { try { await everyKind(); } catch (e: any) { throw Object.assign(new Error(`${e.k8supAction ?? ""} ${e.message}`), { cause: e }); } });
async function everyKind() {
  await moto.reset();
  const c = cluster('kinds.k8s.local', ['us-east-2a', 'us-east-2b']);
  const deps = await engineDeps(c, moto.env);
  const p = await plan(deps.nodes, deps);
  const applied = await apply(p.plan, deps.nodes, p.live, deps);
  const ctx: HandlerContext<AwsClients> = { clients: deps.clients, cluster: deps.cluster, signal: new AbortController().signal, io: silentIo };
  const graph = buildGraph(deps.nodes);

  for (const h of deps.handlers) {
    const want = deps.nodes.filter((n) => n.kind === h.kind).map((n) => n.id).sort();
    const live = await h.list(ctx);
    assert.deepEqual(live.map((l) => l.id).sort(), want, `${h.kind}: list() reports the graph ids`);
    for (const l of live) assert.ok(l.cloudId, `${l.id} has a cloud id`);
  }

  // Re-running create for kinds without unique names, or with names that collide, must adopt the existing object.
  for (const id of ['vpc', 'subnet/us-east-2a', 'internet-gateway', 'route-table', 'security-group/nodes', 'iam-role/nodes', 'instance-profile/nodes', 'key-pair', 'launch-template/node-group/nodes', 'target-group/api', 'load-balancer/api', 'autoscaling-group/node-group/nodes']) {
    const node = graph.nodes.get(id)!;
    const h = deps.handlers.find((x) => x.kind === node.kind)!;
    const again = await h.create(node, resolveRefs(node.fields, applied.outputs) as Record<string, unknown>, ctx);
    const live = (await h.list(ctx)).filter((l) => l.id === id);
    assert.equal(live.length, 1, `${id}: still exactly one after a repeated create`);
    assert.equal(again.cloudId, live[0].cloudId, `${id}: the repeated create returned the existing object`);
  }

  // Delete kind by kind in reverse dependency order; each kind's list() is then empty, and a second delete of an
  // object that is gone is classified not-found (the engine treats that as done).
  for (const id of [...graph.order].reverse()) {
    const node = graph.nodes.get(id)!;
    const h = deps.handlers.find((x) => x.kind === node.kind)!;
    const l = (await h.list(ctx)).find((x) => x.id === id);
    assert.ok(l, `${id} exists before delete`);
    await h.delete(l, ctx);
  }
  for (const h of deps.handlers) assert.deepEqual(await h.list(ctx), [], `${h.kind}: nothing left`);
  const vpcHandler = deps.handlers.find((h) => h.kind === 'vpc')!;
  await assert.rejects(vpcHandler.delete({ id: 'vpc', kind: 'vpc', cloudId: 'vpc-12345678', fields: {}, outputs: {} }, ctx), (e) => deps.classifyError(e) === 'not-found');
}

test('connect: an unknown zone is invalid input naming DescribeAvailabilityZones', async () => {
  const c = cluster('zones.k8s.local', ['us-east-2a']);
  c.spec.zones = ['us-east-2a', 'us-east-2z'];
  await assert.rejects(createAwsProvider().connect(c, connectOpts(moto.env)), (e: unknown) => {
    assert.ok(e instanceof InvalidInputError);
    assert.match(e.message, /us-east-2z is not available in us-east-2 \(ec2:DescribeAvailabilityZones/);
    return true;
  });
});

test('connect: an unreachable endpoint fails naming the action that failed', async () => {
  const c = cluster('down.k8s.local', ['us-east-2a']);
  const env = { ...moto.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9' };
  await assert.rejects(createAwsProvider({ maxAttempts: 1 }).connect(c, connectOpts(env)), (e: unknown) => {
    assert.ok(e instanceof OperationError);
    assert.match(e.message, /^sts:GetCallerIdentity/);
    assert.ok(e.hint);
    return true;
  });
});
