// `k8sup create -f spec.yaml --target terraform --out DIR` on AWS with every addon the AWS cloud offers turned on in
// spec.addons (whatever the catalogue holds): the real `terraform init && terraform validate` pass on what it wrote,
// offline. The state store is moto's S3; every other AWS endpoint is a closed port, so no cloud call can happen.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { stringify } from 'yaml';
import { addonUnavailable, addonsOf } from '../../src/addons/index.js';
import { withDefaults } from '../../src/api/defaults.js';
import { k8sup, tempHome } from '../helpers/cli.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { TERRAFORM, terraformValidate } from '../helpers/terraform.js';

let moto: Moto;
let home: string;

before(async () => {
  moto = await startMoto();
  home = tempHome();
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: 'k8sup-state', CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
});
after(async () => {
  await moto?.stop();
});

function filesUnder(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    if (statSync(path).isFile()) files[relative(dir, path)] = readFileSync(path, 'utf8');
  }
  return files;
}

test('--target terraform with every AWS addon on passes terraform validate', { skip: TERRAFORM ? false : 'terraform not installed', timeout: 180_000 }, async () => {
  // Every addon AWS offers this cluster (one that cannot run on it, like snapshot-controller without an EBS snapshotter, is refused when asked for).
  const addons = addonsOf('aws').filter((a) => addonUnavailable(a, withDefaults({ metadata: { name: 'addons.k8s.local' }, spec: { cloud: 'aws', zones: ['us-east-2a'] } })) === undefined);
  const spec = join(home, 'addons.yaml');
  writeFileSync(spec, stringify({
    apiVersion: 'k8sup.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'addons.k8s.local' },
    spec: { cloud: 'aws', region: 'us-east-2', zones: ['us-east-2a', 'us-east-2b', 'us-east-2c'], controlPlane: { count: 3 }, addons: Object.fromEntries(addons.map((a) => [a.name, { enabled: true }])) },
  }));
  const out = join(home, 'tf');
  const env = { HOME: home, ...moto.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ENDPOINT_URL_S3: moto.endpoint, K8SUP_STATE_STORE: 's3://k8sup-state/clusters' };
  const r = await k8sup(['create', '-f', spec, '--target', 'terraform', '--out', out], { env, timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);

  const stored = await k8sup(['get', 'cluster', 'addons.k8s.local', '-o', 'json'], { env });
  assert.equal(stored.code, 0, stored.stderr);
  assert.deepEqual(Object.keys(JSON.parse(stored.stdout).spec.addons).sort(), addons.map((a) => a.name).sort(), 'the spec stored has every addon on');

  const validation = await terraformValidate(filesUnder(out));
  assert.equal(validation.valid, true, JSON.stringify(validation.diagnostics, null, 2));
  assert.equal(validation.warning_count, 0, JSON.stringify(validation.diagnostics, null, 2));
});
