// `--target terraform` on AWS with every addon the AWS cloud offers turned on (spec.addons, whatever the catalogue
// holds): the output passes the real `terraform validate`, and the control planes' bundles carry every addon.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addonUnavailable, addonsOf } from '../../src/addons/index.js';
import { withDefaults } from '../../src/api/defaults.js';
import { renderTerraform } from '../../src/core/engine.js';
import { provider } from '../../providers/aws/index.js';
import { bundleOf } from '../helpers/loader.js';
import { TERRAFORM, terraformValidate } from '../helpers/terraform.js';

const inputs = { stateStore: 's3://k8sup-state/team', caCertPem: '', caCertHash: `sha256:${'ab'.repeat(32)}` };
const shape = { zones: ['us-east-2a', 'us-east-2b', 'us-east-2c'], controlPlane: { count: 3 } };
// Every addon AWS offers such a cluster (one that cannot run on it, like snapshot-controller without an EBS snapshotter, is refused when asked for).
const offered = addonsOf('aws').filter((a) => addonUnavailable(a, withDefaults({ metadata: { name: 'addons.example.com' }, spec: shape })) === undefined);
const allAddons = withDefaults({
  metadata: { name: 'addons.example.com' },
  spec: { ...shape, addons: Object.fromEntries(offered.map((a) => [a.name, { enabled: true }])) },
});

test('every AWS addon on: the control-plane bundles apply each of them', () => {
  const files = renderTerraform(provider.buildGraph(allAddons, inputs), provider.handlers, provider.terraformPreamble!(allAddons));
  const bundles = provider.bootstrapBundles!(allAddons, inputs);
  const controlPlaneLoaders = Object.entries(files).filter(([name]) => /^data\/launch_template_control_plane_.*\.user-data\.sh$/.test(name));
  assert.equal(controlPlaneLoaders.length, 3);
  for (const [name, loader] of controlPlaneLoaders) {
    const script = bundleOf(loader, bundles);
    for (const addon of offered) assert.ok(script.includes(`/etc/k8sup/addons/${addon.name}.yaml`), `${name}: ${addon.name}`);
  }
});

test('every AWS addon on: terraform validate passes (offline, provider from the filesystem mirror)', { skip: TERRAFORM ? false : 'terraform not installed', timeout: 120_000 }, async () => {
  const files = renderTerraform(provider.buildGraph(allAddons, inputs), provider.handlers, provider.terraformPreamble!(allAddons));
  const validation = await terraformValidate(files);
  assert.equal(validation.valid, true, JSON.stringify(validation.diagnostics, null, 2));
  assert.equal(validation.warning_count, 0, JSON.stringify(validation.diagnostics, null, 2));
});
