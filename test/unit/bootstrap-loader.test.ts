// The loader that is now every cloud instance's user data / startup script (src/bootstrap/loader.ts): reviewed golden
// files, shellcheck-clean, a fixed small size whatever the bundle holds (its SigV4 signing: bootstrap-sigv4.test.ts;
// run against moto S3 and the GCS fake: integration/bootstrap-loader-store.test.ts).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { withDefaults } from '../../src/api/defaults.js';
import { bootstrapBundle, renderLoader } from '../../src/bootstrap/index.js';
import { renderUserData, userDataFor } from '../../providers/aws/model/user-data.js';
import { bootstrapBundles as awsBundles } from '../../providers/aws/model/compute.js';
import { startupScriptFor } from '../../providers/gce/model/startup-script.js';
import { bootstrapBundles as gceBundles } from '../../providers/gce/model/compute.js';
import { rolePolicy } from '../../providers/aws/model/iam.js';
import { STATE_ROLE, statePrefix } from '../../providers/gce/model/identity.js';
import { testInput } from '../helpers/bootstrap-fixtures.js';
import { expectGolden } from '../helpers/golden.js';
import { bundleOf, pinnedSha256 } from '../helpers/loader.js';

const INPUTS = { stateStore: 's3://k8sup-state/team-a', caCertPem: '', caCertHash: `sha256:${'ab'.repeat(32)}` };
const GCE_INPUTS = { ...INPUTS, stateStore: 'gs://k8sup-state/team-a' };
// As long as ELB DNS names get (a 32-character load balancer name, its id, the region's domain).
const LB_NAMES = {
  API_LB_DNS: 'k8sup-a-rather-long-cluster-name-0123456789abcdef.elb.ap-southeast-2.amazonaws.com',
  API_INTERNAL_LB_DNS: 'internal-k8sup-a-rather-long-cluster-na-0123456789abcdef.elb.ap-southeast-2.amazonaws.com',
};

const aws = (extra: Record<string, unknown> = {}) =>
  withDefaults({ metadata: { name: 'prod.platform.example.com' }, spec: { zones: ['us-east-2a', 'us-east-2b', 'us-east-2c'], controlPlane: { count: 3 }, ...extra } });
const gce = (extra: Record<string, unknown> = {}) =>
  withDefaults({ metadata: { name: 'prod.platform.example.com' }, spec: { cloud: 'gce', region: 'us-central1', project: 'demo-project', zones: ['us-central1-a', 'us-central1-b'], controlPlane: { count: 3 }, ...extra } });

describe('the loader', () => {
  test('golden loaders (AWS worker, AWS first control plane, GCE worker) are shellcheck-clean', async () => {
    const cases = {
      'loader-aws-worker': renderUserData({ template: userDataFor(aws(), INPUTS, 'worker', 'nodes').template, vars: LB_NAMES }),
      'loader-aws-control-plane-init': userDataFor(aws(), INPUTS, 'control-plane-init', 'control-plane').template,
      'loader-gce-worker': startupScriptFor(gce(), GCE_INPUTS, 'worker', 'nodes'),
    };
    for (const [name, script] of Object.entries(cases)) {
      await expectGolden(`test/golden/bootstrap/${name}.sh`, script);
      execFileSync('bash', ['-n'], { input: script });
      execFileSync('shellcheck', ['-s', 'bash', '-'], { input: script });
    }
  });

  test('every role is under 4 KB raw on AWS and GCE, whatever the bundle holds; only the pinned sha256 follows the bundle', () => {
    const sizes: string[] = [];
    for (const cni of ['calico', 'cilium', 'flannel'] as const) {
      for (const version of ['1.33.8', '1.35.1']) {
        const specs = { kubernetesVersion: version, networking: { cni }, assets: { registryMirror: 'registry.corp.example:5000' } };
        for (const [cloud, c, inputs] of [['aws', aws(specs), INPUTS], ['gce', gce(specs), GCE_INPUTS]] as const) {
          for (const [role, group] of [['control-plane-init', 'control-plane'], ['control-plane-join', 'control-plane'], ['worker', 'nodes']] as const) {
            const loader = cloud === 'aws' ? renderUserData({ template: userDataFor(c, inputs, role, group).template, vars: LB_NAMES }) : startupScriptFor(c, inputs, role, group);
            const raw = Buffer.byteLength(loader);
            sizes.push(`${cloud} ${role} ${version} ${cni}: ${raw}`);
            assert.ok(raw < 4096, `${cloud} ${role} ${version} ${cni}: the loader is ${raw} bytes`);
            // The bundle is where the size went.
            const bundle = bundleOf(loader, cloud === 'aws' ? awsBundles(c, inputs) : gceBundles(c, inputs));
            assert.ok(Buffer.byteLength(bundle) > 4 * Buffer.byteLength(loader));
          }
        }
      }
    }
    // A bundle ten times the size makes the same loader but for its sha256.
    const input = testInput('aws', 'worker');
    const small = renderLoader(input, bootstrapBundle('#!/bin/bash\necho small\n'));
    const large = renderLoader(input, bootstrapBundle(`#!/bin/bash\n${'echo large\n'.repeat(20_000)}`));
    assert.equal(small.length, large.length);
    assert.notEqual(pinnedSha256(small), pinnedSha256(large));
  });

  test('a changed spec changes the loader (new sha256), an unchanged one does not: what rolling-update compares', () => {
    const before = userDataFor(aws(), INPUTS, 'worker', 'nodes').template;
    assert.equal(userDataFor(aws(), INPUTS, 'worker', 'nodes').template, before);
    const after = userDataFor(aws({ kubernetesVersion: '1.34.4' }), INPUTS, 'worker', 'nodes').template;
    assert.notEqual(pinnedSha256(after), pinnedSha256(before));
    const changed = after.split('\n').filter((l, i) => l !== before.split('\n')[i]);
    assert.deepEqual(changed.map((l) => l.split('=')[0]), ['BUNDLE_SHA256']);
  });

  test('every role may read the bundles where apply writes them, and nodes may not write there', () => {
    const c = aws();
    const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    for (const b of awsBundles(c, INPUTS)) {
      const arn = `arn:aws:s3:::k8sup-state/team-a/${c.metadata.name}/${b.key}`;
      for (const role of ['control-plane', 'nodes'] as const) {
        const statements = rolePolicy(role, c, INPUTS).Statement;
        const can = (action: string) => statements.some((st) => st.Action.includes(action) && [st.Resource].flat().some((r) => glob(r).test(arn)));
        assert.ok(can('s3:GetObject'), `${role} cannot read ${arn}`);
        if (role === 'nodes') assert.ok(!can('s3:PutObject'), 'nodes could replace a bundle');
      }
    }
    const g = gce();
    for (const b of gceBundles(g, GCE_INPUTS)) {
      const where = statePrefix(g, GCE_INPUTS, 'node')!;
      assert.ok(`team-a/${g.metadata.name}/${b.key}`.startsWith(where.prefix), `${where.prefix} does not cover ${b.key}`);
      assert.equal(STATE_ROLE.node, 'roles/storage.objectViewer');
    }
  });

  test('metal has no loader', () => {
    assert.throws(() => renderLoader(testInput('metal', 'worker'), bootstrapBundle('x')), /over SSH/);
  });
});
