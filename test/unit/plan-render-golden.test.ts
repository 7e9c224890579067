// The reviewable plan, golden-tested on the real AWS model: a create shows every attribute (user data as the rendered
// script), an admin CIDR change shows the one rule removed and the one added, a user-data change is a line diff,
// and a network CIDR change marks the fields that force the replacement. Table and `-o json` of each are pinned.
// Regenerate with UPDATE_GOLDEN=1 and review the diff.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withDefaults } from '../../src/api/defaults.js';
import type { Cluster } from '../../src/api/types.js';
import { diff } from '../../src/core/engine.js';
import { mapRefs } from '../../src/core/graph.js';
import { reviewPlan, SENSITIVE, type PlanView } from '../../src/core/plan-view.js';
import type { LiveResource, ResourceHandler, ResourceNode } from '../../src/core/resource.js';
import { renderPlan } from '../../src/cli/render/plan.js';
import { createAwsProvider } from '../../providers/aws/index.js';
import { renderUserData } from '../../providers/aws/model/user-data.js';
import { expectGolden } from '../helpers/golden.js';

const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@example';
const INPUTS = { stateStore: 's3://k8sup-state/team', caCertPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', caCertHash: `sha256:${'ab'.repeat(32)}` };
const provider = createAwsProvider();

function spec(over: { adminAccess?: string[]; version?: string; networkCIDR?: string } = {}): Cluster {
  return withDefaults({
    metadata: { name: 'demo.k8s.local' },
    spec: {
      zones: ['us-east-2a'],
      kubernetesVersion: over.version ?? '1.34.4',
      ssh: { publicKey: SSH_KEY, access: ['203.0.113.0/24'] },
      api: { adminAccess: over.adminAccess ?? ['198.51.100.0/24'] },
      networking: { networkCIDR: over.networkCIDR ?? '172.20.0.0/16' },
    },
  });
}

const fakeCloudId = (id: string) => `cloud-${id.replace(/[^a-z0-9]+/gi, '-')}`;

/** What the cloud reports after `nodes` were applied: the same fields with every Ref resolved to a fake id. */
function appliedLive(nodes: ResourceNode[]): LiveResource[] {
  return nodes.map((n) => {
    const fields = mapRefs(n.fields, (r) => `${fakeCloudId(r.$ref)}:${r.attr}`) as Record<string, unknown>;
    // The launch-template handler reports the user data it decoded: the rendered script.
    if (n.kind === 'launch-template') fields.userData = renderUserData(fields.userData as any);
    return { id: n.id, kind: n.kind, cloudId: fakeCloudId(n.id), fields, outputs: new Proxy({}, { get: (_t, attr) => `${fakeCloudId(n.id)}:${String(attr)}`, has: () => true }) as any };
  });
}

function planFor(next: Cluster, applied?: Cluster, inputs = INPUTS): PlanView {
  const nodes = provider.buildGraph(next, inputs);
  const live = applied ? appliedLive(provider.buildGraph(applied, INPUTS)) : [];
  return reviewPlan(diff('demo.k8s.local', nodes, live, provider.handlers), provider.handlers);
}

async function pin(name: string, view: PlanView) {
  await expectGolden(`test/golden/plan/${name}.txt`, renderPlan(view));
  await expectGolden(`test/golden/plan/${name}.json`, `${JSON.stringify(view, null, 2)}\n`);
}

describe('plan rendering', () => {
  it('create: every attribute, user data as the rendered script (never {template, vars})', async () => {
    const view = planFor(spec());
    const text = renderPlan(view);
    assert.equal(view.summary.create, view.steps.length);
    const lt = view.steps.find((s) => s.kind === 'launch-template')!;
    const userData = lt.changes.find((c) => c.field === 'userData')!;
    assert.equal(typeof userData.to, 'string', 'user data is the rendered script in -o json');
    // The plan shows the rendered user data: the loader, pinned to the sha256 of the bundle it fetches.
    assert.match(String(userData.to), /^#!\/bin\/bash\n# k8sup loader, [^]*\nBUNDLE_SHA256='[0-9a-f]{64}'\n/);
    assert.doesNotMatch(text + JSON.stringify(view), /"template"|vars =|k8sup-var-/);
    for (const step of view.steps) for (const c of step.changes) assert.ok(text.includes(`+ ${c.field}`), `${step.id}.${c.field} shown`);
    await pin('create', view);
  });

  it('update of one admin CIDR: the rule that goes and the rule that comes', async () => {
    const view = planFor(spec({ adminAccess: ['192.0.2.0/24'] }), spec());
    const changed = view.steps.filter((s) => s.action !== 'noop');
    assert.ok(changed.length > 0 && changed.every((s) => s.action === 'update'), JSON.stringify(changed.map((s) => [s.id, s.action])));
    const rules = changed.find((s) => s.kind === 'security-group-rules')!.changes.find((c) => c.field === 'ingress')!;
    assert.deepEqual(rules.items!.removed.map((r: any) => r.cidr), ['198.51.100.0/24']);
    assert.deepEqual(rules.items!.added.map((r: any) => r.cidr), ['192.0.2.0/24']);
    const text = renderPlan(view);
    assert.match(text, /- \{ protocol = "tcp", fromPort = 6443, toPort = 6443, cidr = "198\.51\.100\.0\/24" \}/);
    assert.match(text, /\+ \{ protocol = "tcp", fromPort = 6443, toPort = 6443, cidr = "192\.0\.2\.0\/24" \}/);
    await pin('admin-cidr', view);
  });

  it('a bootstrap change is a line diff of the loader: the pinned bundle sha256', async () => {
    const view = planFor(spec({ version: '1.35.1' }), spec());
    const lt = view.steps.filter((s) => s.kind === 'launch-template');
    assert.ok(lt.length > 0 && lt.every((s) => s.action === 'update'));
    const ud = lt[0].changes.find((c) => c.field === 'userData')!;
    assert.match(ud.lineDiff!, /^@@ -\d+,\d+ \+\d+,\d+ @@/);
    // The new version is in the bundle: the loader pins the new bundle's sha256 instead of the old one's.
    assert.match(ud.lineDiff!, /^-BUNDLE_SHA256='[0-9a-f]{64}'$/m);
    assert.match(ud.lineDiff!, /^\+BUNDLE_SHA256='[0-9a-f]{64}'$/m);
    assert.ok(ud.lineDiff!.split('\n').length < 60, 'only the changed lines and their context');
    await pin('user-data', view);
  });

  it('a policy change is a line diff of the policy document', async () => {
    const view = planFor(spec(), spec(), { ...INPUTS, stateStore: 's3://other-state/team' });
    const role = view.steps.find((s) => s.id === 'iam-role/nodes')!;
    assert.equal(role.action, 'update');
    const policy = role.changes.find((c) => c.field === 'policy')!;
    assert.match(policy.lineDiff!, /^- +"Resource": "arn:aws:s3:::k8sup-state\/team\/demo\.k8s\.local\/bootstrap\/\*",?$/m);
    assert.match(policy.lineDiff!, /^\+ +"Resource": "arn:aws:s3:::other-state\/team\/demo\.k8s\.local\/bootstrap\/\*",?$/m);
    await expectGolden('test/golden/plan/policy.txt', renderPlan({ ...view, steps: view.steps.filter((s) => s.kind === 'iam-role') }));
  });

  it('a replacement marks the fields that force it', async () => {
    const view = planFor(spec({ networkCIDR: '10.10.0.0/16' }), spec());
    const vpc = view.steps.find((s) => s.kind === 'vpc')!;
    assert.equal(vpc.action, 'replace');
    assert.deepEqual(vpc.changes.filter((c) => c.forcesReplacement).map((c) => c.field), ['cidrBlock']);
    assert.match(renderPlan(view), /~ cidrBlock += "172\.20\.0\.0\/16" → "10\.10\.0\.0\/16"  # forces replacement/);
    await pin('replacement', view);
  });

  it('never shows secrets: sensitive fields and private keys read as (sensitive value)', () => {
    const handler: ResourceHandler = { kind: 'secret-thing', service: 's', sensitive: ['token'], list: async () => [], create: async () => ({ cloudId: 'x', outputs: {} }), update: async () => ({ cloudId: 'x', outputs: {} }), delete: async () => {} };
    const key = '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n';
    const plan = diff('c', [{ kind: 'secret-thing', id: 's', fields: { token: 'abc123', bundle: `ca: x\nkey: ${key}`, size: 2 } }], [{ id: 's', kind: 'secret-thing', cloudId: 'x', fields: { token: 'old', bundle: 'ca: x\n', size: 1 }, outputs: {} }], [handler]);
    const view = reviewPlan(plan, [handler]);
    const text = renderPlan(view) + JSON.stringify(view);
    assert.doesNotMatch(text, /abc123|PRIVATE KEY|MIIEow/);
    assert.deepEqual(view.steps[0].changes.filter((c) => c.sensitive).map((c) => [c.field, c.to]), [['bundle', SENSITIVE], ['token', SENSITIVE]]);
    assert.match(text, /size += 1 → 2/);
    const created = renderPlan(reviewPlan(diff('c', [{ kind: 'secret-thing', id: 's', fields: { token: 'abc123', size: 2 } }], [], [handler]), [handler]));
    assert.match(created, /\+ token = \(sensitive value\)\n/);
    assert.doesNotMatch(created, /abc123/);
  });
});
