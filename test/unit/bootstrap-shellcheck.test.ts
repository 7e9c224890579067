// shellcheck (style severity, no rule disabled) on the rendered scripts the golden test does not hold: what an AWS
// instance really runs (the bundle with the load balancers' prelude and filter, and its user-data loader), and the
// scripts of clusters with registry pull credentials, on every provider and role.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { bundleFor, renderUserData, userDataFor } from '../../providers/aws/model/user-data.js';
import type { Cluster } from '../../src/api/types.js';
import { renderBootstrapScript } from '../../src/bootstrap/index.js';
import { AIRGAP_ASSETS, PROVIDERS, ROLES, TEST_CA_HASH, testCluster, testInput } from '../helpers/bootstrap-fixtures.js';

function shellcheck(name: string, script: string): void {
  assert.doesNotMatch(script, /shellcheck disable/, `${name} disables a shellcheck rule`);
  try {
    execFileSync('/usr/bin/shellcheck', ['--severity=style', '--shell=bash', '-'], { input: script, encoding: 'utf8' });
  } catch (e) {
    assert.fail(`${name}: shellcheck findings:\n${(e as { stdout?: string }).stdout ?? e}`);
  }
}

const INPUTS = { stateStore: 's3://k8sup-state/team-a', caCertPem: '', caCertHash: TEST_CA_HASH };

describe('shellcheck on what nodes really run', () => {
  test('aws: each role\'s bundle (load balancer prelude and filter included) and its user-data loader', () => {
    const cluster = testCluster({ provider: 'aws' });
    for (const [role, group] of [['control-plane-init', 'control-plane'], ['control-plane-join', 'control-plane'], ['worker', 'nodes']] as const) {
      const bundle = bundleFor(cluster, INPUTS, role, group);
      assert.match(bundle.content, /K8SUP_ILB/, 'the bundle takes the load balancers from the loader');
      shellcheck(`aws ${role} bundle`, bundle.content);
      const userData = userDataFor(cluster, INPUTS, role, group);
      const resolved = Object.fromEntries(Object.keys(userData.vars).map((k) => [k, `${k.toLowerCase().replace(/_/g, '-')}-0123456789abcdef.elb.us-east-2.amazonaws.com`]));
      shellcheck(`aws ${role} user data`, renderUserData({ template: userData.template, vars: resolved }));
    }
  });

  test('registry pull credentials (spec.assets.registries[].credentials): every provider and role', () => {
    const assets: NonNullable<Cluster['spec']['assets']> = {
      ...AIRGAP_ASSETS,
      registries: [{ ...AIRGAP_ASSETS.registries![0], credentials: { secretRef: 'corp' } }],
    };
    for (const provider of PROVIDERS) {
      for (const role of ROLES) {
        const script = renderBootstrapScript(testInput(provider, role, { assets }));
        assert.match(script, /registry_credential 'corp'/, 'the variant renders the credential step');
        shellcheck(`${provider} ${role} with registry credentials`, script);
      }
    }
  });
});
