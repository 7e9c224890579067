// The Terraform target renders the same IAM as the direct target: for the example cluster of docs/aws.md, each
// aws_iam_role_policy is exactly the document docs/aws.md states (which a moto test compares with the live roles).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderTerraform } from '../../src/core/engine.js';
import { provider } from '../../providers/aws/index.js';
import { iamName } from '../../providers/aws/model/names.js';
import { cluster, INPUTS } from '../integration/aws-helpers.js';

test('terraform aws_iam_role_policy documents equal docs/aws.md, role by role', () => {
  const docs = readFileSync(new URL('../../docs/aws.md', import.meta.url), 'utf8');
  const documented = Object.fromEntries([...docs.matchAll(/<!-- policy: ([\w-]+) -->\n```json\n([^]*?)```/g)].map(([, role, json]) => [role, JSON.parse(json)]));
  const c = cluster('demo.k8s.local', ['us-east-2a']);
  const files = renderTerraform(provider.buildGraph(c, INPUTS), provider.handlers, provider.terraformPreamble!(c));
  const main = JSON.parse(files['main.tf.json']);
  const roles = main.resource.aws_iam_role as Record<string, { name: string }>;
  const policies = Object.entries(main.resource.aws_iam_role_policy as Record<string, { name: string; role: string; policy: string }>);
  assert.equal(policies.length, 2);
  for (const role of ['control-plane', 'nodes']) {
    const [key] = Object.entries(roles).find(([, r]) => r.name === iamName(role, 'demo.k8s.local'))!;
    const [, policy] = policies.find(([, p]) => p.role.includes(`aws_iam_role.${key}.`))!;
    assert.equal(policy.name, 'k8sup');
    assert.deepEqual(JSON.parse(policy.policy), documented[role], role);
  }
});

test('the control-plane policy fits IAM\'s inline limit (10,240 characters without whitespace) with every statement on', async () => {
  const { rolePolicy } = await import('../../providers/aws/model/iam.js');
  const c = cluster(`a-long-cluster-name-${'x'.repeat(30)}.example.com`, ['us-east-2a', 'us-east-2b', 'us-east-2c'], { etcd: { backups: { schedule: 'hourly', retain: 24 } } });
  const size = JSON.stringify(rolePolicy('control-plane', c, { ...INPUTS, stateStore: `s3://k8sup-state/${'p'.repeat(60)}` })).replace(/\s/g, '').length;
  assert.ok(size < 10_240, `${size} characters`);
});
