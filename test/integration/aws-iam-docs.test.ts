// docs/aws.md states the exact IAM policies of its example cluster; after a create on moto, the control-plane and node
// roles carry exactly those documents (one inline policy each), so the docs and the code cannot drift. Turning an
// addon off drops its statements from the live role at the next apply.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { apply, plan } from '../../src/core/engine.js';
import { iamName } from '../../providers/aws/model/names.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { cluster, engineDeps } from './aws-helpers.js';

const DOCS = new URL('../../docs/aws.md', import.meta.url);

/** The ```json block after each `<!-- policy: ROLE -->` marker of docs/aws.md. */
function documentedPolicies(): Record<string, unknown> {
  const blocks = [...readFileSync(DOCS, 'utf8').matchAll(/<!-- policy: ([\w-]+) -->\n```json\n([^]*?)```/g)];
  return Object.fromEntries(blocks.map(([, role, json]) => [role, JSON.parse(json)]));
}

let moto: Moto;
before(async () => {
  moto = await startMoto();
});
after(async () => {
  await moto?.stop();
});

async function livePolicies(deps: Awaited<ReturnType<typeof engineDeps>>, name: string): Promise<Record<string, unknown>> {
  const live: Record<string, unknown> = {};
  for (const role of ['control-plane', 'nodes']) {
    const RoleName = iamName(role, name);
    const names = (await deps.clients.iam.call('ListRolePolicies', { RoleName })).PolicyNames ?? [];
    assert.deepEqual(names, ['k8sup'], `${RoleName} has exactly one inline policy`);
    const attached = (await deps.clients.iam.call('ListAttachedRolePolicies', { RoleName })).AttachedPolicies ?? [];
    assert.deepEqual(attached, [], `${RoleName} has no managed policies`);
    const doc = (await deps.clients.iam.call('GetRolePolicy', { RoleName, PolicyName: 'k8sup' })).PolicyDocument!;
    live[role] = JSON.parse(decodeURIComponent(doc));
  }
  return live;
}

test('after create, each role carries exactly the policy docs/aws.md documents', async () => {
  await moto.reset();
  const documented = documentedPolicies();
  assert.deepEqual(Object.keys(documented).sort(), ['control-plane', 'nodes']);
  const c = cluster('demo.k8s.local', ['us-east-2a']);
  const deps = await engineDeps(c, moto.env);
  const first = await plan(deps.nodes, deps);
  await apply(first.plan, deps.nodes, first.live, deps);
  assert.deepEqual(await livePolicies(deps, 'demo.k8s.local'), documented);
});

test('addons turned off: their statements leave the control-plane role; nodes never get EC2 write or EBS rights', async () => {
  await moto.reset();
  const on = cluster('demo.k8s.local', ['us-east-2a']);
  let deps = await engineDeps(on, moto.env);
  let p = await plan(deps.nodes, deps);
  await apply(p.plan, deps.nodes, p.live, deps);
  const sids = (doc: unknown) => (doc as { Statement: { Sid: string }[] }).Statement.map((s) => s.Sid);
  const before = await livePolicies(deps, 'demo.k8s.local');
  assert.ok(sids(before['control-plane']).some((s) => s.startsWith('Ccm')));
  assert.ok(sids(before['control-plane']).some((s) => s.startsWith('EbsCsi')));
  const nodeActions = (before.nodes as { Statement: { Action: string[] }[] }).Statement.flatMap((s) => s.Action);
  assert.deepEqual(nodeActions.filter((a) => /^ec2:(?!Describe)|^elasticloadbalancing:/.test(a)), []);

  const off = cluster('demo.k8s.local', ['us-east-2a'], { addons: { 'aws-cloud-controller-manager': { enabled: false }, 'aws-ebs-csi-driver': { enabled: false } } });
  deps = await engineDeps(off, moto.env);
  p = await plan(deps.nodes, deps);
  await apply(p.plan, deps.nodes, p.live, deps);
  const after = await livePolicies(deps, 'demo.k8s.local');
  assert.deepEqual(sids(after['control-plane']).filter((s) => s.startsWith('Ccm') || s.startsWith('EbsCsi')), []);
  assert.deepEqual(after.nodes, before.nodes);
});
