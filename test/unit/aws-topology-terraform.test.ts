// `--target terraform` for every AWS topology, checked by the real terraform binary and aws provider (offline, from
// the filesystem mirror /opt/tf-plugins): public (the default, also in aws-terraform.test.ts), private with a bastion
// and NAT per zone, private with a single NAT and only the internal API load balancer, an existing VPC and subnets.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withDefaults } from '../../src/api/defaults.js';
import { renderTerraform } from '../../src/core/engine.js';
import { provider } from '../../providers/aws/index.js';
import { TERRAFORM, terraformValidate } from '../helpers/terraform.js';

const inputs = { stateStore: 's3://k8sup-state/team', caCertPem: '', caCertHash: `sha256:${'ab'.repeat(32)}` };
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a@b';
const ZONES = ['us-east-2a', 'us-east-2b'];
const spec = (extra: Record<string, unknown>) =>
  withDefaults({ metadata: { name: 'topo.example.com' }, spec: { zones: ZONES, controlPlane: { count: 1 }, ssh: { publicKey: KEY, access: ['203.0.113.0/24'] }, ...extra } });

const TOPOLOGIES: [string, ReturnType<typeof spec>][] = [
  ['public', spec({})],
  ['private, bastion, NAT per zone', spec({ topology: 'private', bastion: {} })],
  ['private, single NAT, internal API load balancer', spec({ topology: 'private', networking: { nat: 'single' }, api: { loadBalancerType: 'internal', dnsZone: 'example.com' } })],
  ['existing VPC and subnets', spec({ networking: { networkId: 'vpc-0123456789abcdef0', subnets: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'], networkCIDR: '10.40.0.0/16' } })],
];
const render = (c: ReturnType<typeof spec>) => renderTerraform(provider.buildGraph(c, inputs), provider.handlers, provider.terraformPreamble!(c));

describe('aws terraform output of every topology', () => {
  it('private: NAT gateways with EIPs, private routes to them, the bastion without an instance profile', () => {
    const main = JSON.parse(render(TOPOLOGIES[1][1])['main.tf.json']);
    assert.equal(Object.keys(main.resource.aws_nat_gateway).length, 2);
    assert.equal(Object.keys(main.resource.aws_eip).length, 2);
    const natRoutes = Object.values(main.resource.aws_route as Record<string, Record<string, string>>).filter((r) => r.nat_gateway_id);
    assert.equal(natRoutes.length, 2);
    assert.ok(natRoutes.every((r) => /^\$\{aws_nat_gateway\.nat_gateway_us_east_2[ab]\.id\}$/.test(r.nat_gateway_id)));
    assert.equal(main.resource.aws_launch_template.launch_template_bastion.iam_instance_profile, undefined);
  });

  it('existing VPC: only aws_ec2_tag for the shared tags, no VPC, subnet, gateway or route table', () => {
    const main = JSON.parse(render(TOPOLOGIES[3][1])['main.tf.json']);
    for (const t of ['aws_vpc', 'aws_subnet', 'aws_internet_gateway', 'aws_route_table', 'aws_nat_gateway']) assert.equal(main.resource[t], undefined, t);
    const tags = Object.values(main.resource.aws_ec2_tag) as Record<string, string>[];
    assert.deepEqual(tags.map((t) => t.resource_id).sort(), ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1', 'vpc-0123456789abcdef0']);
    assert.ok(tags.every((t) => t.key === 'kubernetes.io/cluster/topo.example.com' && t.value === 'shared'));
  });

  for (const [what, c] of TOPOLOGIES) {
    it(`${what}: passes terraform validate (offline, provider from the filesystem mirror)`, { skip: TERRAFORM ? false : 'terraform not installed', timeout: 120_000 }, async () => {
      const validation = await terraformValidate(render(c));
      assert.equal(validation.valid, true, JSON.stringify(validation.diagnostics, null, 2));
      assert.equal(validation.warning_count, 0, JSON.stringify(validation.diagnostics, null, 2));
    });
  }
});
