// Topology input through the CLI (in process; no cloud is contacted because nothing is applied): the new flags land
// in the spec, bad combinations are refused with exit 2, a hint and nothing stored, and the secure defaults hold —
// no SSH rule without an SSH key, on AWS and GCE.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metalCli } from '../helpers/metal-cli.js';
import { loadCluster } from '../../src/api/index.js';
import { buildAwsGraph } from '../../providers/aws/model/index.js';
import { buildGceGraph } from '../../providers/gce/model/index.js';

const dir = mkdtempSync(join(tmpdir(), 'k8sup-topology-input-'));
const home = join(dir, 'home');
mkdirSync(home);
after(() => rmSync(dir, { recursive: true, force: true }));
const k8sup = metalCli(home, dir);
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE7GmJ6n0hJ3mX5Xz2nJ5j1q2bV8a3k4Yc2dQ9s7vW1x me@example';
const keyFile = join(dir, 'id.pub');
writeFileSync(keyFile, `${KEY}\n`);

function storeDigest(): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      h.update(p);
      if (statSync(p).isDirectory()) walk(p);
      else h.update(readFileSync(p));
    }
  };
  walk(join(dir, 'state'));
  return h.digest('hex');
}

const aws = ['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2a,us-east-2b'];
const gce = ['create', 'cluster', 'g.k8s.local', '--zones', 'us-central1-b', '--project', 'p-1'];
const refused: [string, string[], RegExp][] = [
  ['an unknown topology', [...aws, '--topology', 'hidden'], /--topology/],
  ['--nat without a private topology', [...aws, '--nat', 'single'], /spec\.networking\.nat: is only used with topology private/],
  ['--bastion without a private topology', [...aws, '--bastion', '--ssh-public-key', keyFile], /spec\.bastion: is only used with topology private/],
  ['--bastion without an SSH key', [...aws, '--topology', 'private', '--bastion'], /spec\.bastion: needs an SSH key/],
  ['--bastion on GCE', [...gce, '--topology', 'private', '--bastion', '--ssh-public-key', keyFile], /spec\.bastion: is not supported on GCE/],
  ['--nat on GCE', [...gce, '--topology', 'private', '--nat', 'single'], /spec\.networking\.nat: is an AWS setting/],
  ['--subnets without --network-id', [...aws, '--subnets', 'subnet-0123456789abcdef0,subnet-0123456789abcdef1'], /also pass --network-id/],
  ['--network-id without --subnets on AWS', [...aws, '--network-id', 'vpc-0123456789abcdef0'], /spec\.networking\.subnets: is required with --network-id/],
  ['one subnet for two zones', [...aws, '--network-id', 'vpc-0123456789abcdef0', '--subnets', 'subnet-0123456789abcdef0'], /lists 1 subnet\(s\) for 2 zone\(s\)/],
  ['a malformed VPC id', [...aws, '--network-id', 'my-vpc', '--subnets', 'subnet-0123456789abcdef0,subnet-0123456789abcdef1'], /"my-vpc" is not a VPC id/],
  ['private subnets of your own with a public API load balancer', [...aws, '--topology', 'private', '--network-id', 'vpc-0123456789abcdef0', '--subnets', 'subnet-0123456789abcdef0,subnet-0123456789abcdef1'], /spec\.api\.loadBalancerType: must be internal/],
  ['a GCE network without its subnetwork', [...gce, '--network-id', 'shared-net'], /needs exactly one existing subnetwork/],
  ['--topology on metal', ['create', '-f', 'SPEC_METAL'], /spec\.topology: is not taken on bare metal/],
];

const metalSpec = join(dir, 'metal.yaml');
writeFileSync(metalSpec, 'apiVersion: k8sup.io/v1alpha1\nkind: Cluster\nmetadata: {name: m.k8s.local}\nspec:\n  cloud: metal\n  topology: private\n  hosts: [{address: 10.0.0.11, role: control-plane}]\n');

for (const [what, args, message] of refused) {
  test(`refused with exit 2, nothing stored: ${what}`, async () => {
    const before = storeDigest();
    const r = await k8sup(args.map((a) => (a === 'SPEC_METAL' ? metalSpec : a)));
    assert.equal(r.code, 2, `${what}: exit ${r.code}\n${r.stderr}\n${r.error?.message ?? ''}`);
    assert.match(`${r.error?.message ?? ''}\n${r.stderr}`, message);
    assert.equal(storeDigest(), before, 'the state store is unchanged');
  });
}

test('the topology flags land in the stored spec', async () => {
  const r = await k8sup([...aws, '--topology', 'private', '--nat', 'single', '--bastion', '--ssh-public-key', keyFile, '--api-loadbalancer-type', 'internal']);
  assert.equal(r.code, 0, `${r.stderr} ${r.error?.message ?? ''}`);
  const got = await k8sup(['get', 'cluster', 'a.k8s.local', '-o', 'json']);
  const spec = JSON.parse(got.stdout).spec;
  assert.equal(spec.topology, 'private');
  assert.equal(spec.networking.nat, 'single');
  assert.deepEqual(spec.bastion, { machineType: 't3.micro' });
  assert.equal(spec.api.loadBalancerType, 'internal');
});

const spec = (cloud: 'aws' | 'gce', ssh: Record<string, unknown>) =>
  loadCluster({
    metadata: { name: 's.k8s.local' },
    spec: cloud === 'aws' ? { zones: ['us-east-2a'], ssh } : { zones: ['us-central1-b'], project: 'p-1', ssh },
  });
const inputs = { stateStore: 'gs://k8sup-state/prod', caCertPem: 'PEM', caCertHash: `sha256:${'ab'.repeat(32)}` };

test('AWS: no SSH rule without an SSH key; with one, port 22 from ssh.access only', () => {
  const port22 = (c: ReturnType<typeof spec>) =>
    buildAwsGraph(c, { ...inputs, stateStore: 's3://k8sup-state/prod' })
      .filter((n) => n.kind === 'security-group-rules')
      .flatMap((n) => (n.fields.ingress as { fromPort: number; cidr?: string }[]).filter((r) => r.fromPort === 22).map((r) => r.cidr));
  assert.deepEqual(port22(spec('aws', { access: ['203.0.113.0/24'] })), []);
  assert.deepEqual(port22(spec('aws', { publicKey: KEY, access: ['203.0.113.0/24'] })), ['203.0.113.0/24', '203.0.113.0/24']);
});

test('GCE: no SSH firewall rule without an SSH key; with one, from ssh.access only', () => {
  const ssh = (c: ReturnType<typeof spec>) => buildGceGraph(c, inputs).filter((n) => n.kind === 'firewall' && (n.fields.allowed as { ports?: string[] }[]).some((a) => a.ports?.includes('22')));
  assert.equal(ssh(spec('gce', { access: ['203.0.113.0/24'] })).length, 0);
  const rules = ssh(spec('gce', { publicKey: KEY, access: ['203.0.113.0/24'] }));
  assert.deepEqual(rules.map((n) => n.fields.sourceRanges), [['203.0.113.0/24']]);
});
