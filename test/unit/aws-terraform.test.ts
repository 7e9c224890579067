// `--target terraform`: the same AWS graph rendered as aws provider resources, with no AWS call (no clients exist).

import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withDefaults } from '../../src/api/defaults.js';
import { renderTerraform } from '../../src/core/engine.js';
import { provider } from '../../providers/aws/index.js';
import { bundleOf } from '../helpers/loader.js';
import { TERRAFORM, terraformValidate } from '../helpers/terraform.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '../golden/aws');
const inputs = { stateStore: 's3://k8sup-state/team', caCertPem: '', caCertHash: `sha256:${'ab'.repeat(32)}` };
const ha = withDefaults({
  metadata: { name: 'prod.example.com' },
  spec: { zones: ['us-east-2a', 'us-east-2b', 'us-east-2c'], controlPlane: { count: 3 }, api: { dnsZone: 'example.com' }, ssh: { publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a@b' } },
});

/** With a second group of spot instances on their own root volume: mixed_instances_policy must validate too. */
const withSpot = withDefaults({
  metadata: { name: 'mixed.example.com' },
  spec: { zones: ['us-east-2a'], nodeGroups: [{ name: 'nodes' }, { name: 'spot', spot: true, minSize: 0, maxSize: 3, rootVolume: { size: 200, type: 'gp2' } }] },
});

function render(c = ha) {
  return renderTerraform(provider.buildGraph(c, inputs), provider.handlers, provider.terraformPreamble!(c));
}

test('renders aws provider resources for every kind, with data sources and user data files', () => {
  const files = render();
  const main = JSON.parse(files['main.tf.json']);
  assert.deepEqual(main.provider, { aws: { region: 'us-east-2' } });
  assert.deepEqual(Object.keys(main.resource).sort(), [
    'aws_autoscaling_group', 'aws_iam_instance_profile', 'aws_iam_role', 'aws_iam_role_policy', 'aws_internet_gateway', 'aws_key_pair',
    'aws_launch_template', 'aws_lb', 'aws_lb_listener', 'aws_lb_target_group', 'aws_route', 'aws_route53_record', 'aws_route_table',
    'aws_route_table_association', 'aws_security_group', 'aws_subnet', 'aws_vpc', 'aws_vpc_security_group_ingress_rule',
  ]);
  assert.deepEqual(Object.keys(main.data).sort(), ['aws_ami', 'aws_route53_zone']);
  assert.equal(Object.keys(main.resource.aws_autoscaling_group).length, 4);
  assert.equal(main.resource.aws_subnet.subnet_us_east_2b.vpc_id, '${aws_vpc.vpc.id}');

  const lt = main.resource.aws_launch_template.launch_template_control_plane_us_east_2a;
  assert.deepEqual(lt.metadata_options, [{ http_endpoint: 'enabled', http_tokens: 'required', http_put_response_hop_limit: 1 }]);
  assert.equal(lt.image_id, '${data.aws_ami.launch_template_control_plane_us_east_2a_image.id}');
  assert.equal(
    lt.user_data,
    '${base64gzip(replace(replace(file("${path.module}/data/launch_template_control_plane_us_east_2a.user-data.sh"), "k8sup-var-api-lb-dns.invalid", aws_lb.load_balancer_api.dns_name), "k8sup-var-api-internal-lb-dns.invalid", aws_lb.load_balancer_api_internal.dns_name))}',
  );
  const script = files['data/launch_template_control_plane_us_east_2a.user-data.sh'];
  assert.ok(script.includes('k8sup-var-api-lb-dns.invalid'));
  assert.ok(script.includes('k8sup-var-api-internal-lb-dns.invalid'));
  for (const [name, content] of Object.entries(files)) assert.doesNotMatch(content, /PRIVATE KEY/, name);
  const asg = main.resource.aws_autoscaling_group.autoscaling_group_control_plane_us_east_2a;
  assert.deepEqual(asg.target_group_arns, ['${aws_lb_target_group.target_group_api.arn}', '${aws_lb_target_group.target_group_api_internal.arn}']);
  assert.ok(asg.tag.some((t: any) => t.key === 'kubernetes.io/cluster/prod.example.com' && t.value === 'owned' && t.propagate_at_launch));
});

test('main.tf.json for one zone matches the golden file', () => {
  const one = withDefaults({ metadata: { name: 'demo.k8s.local' }, spec: { zones: ['us-east-2a'] } });
  const text = renderTerraform(provider.buildGraph(one, inputs), provider.handlers, provider.terraformPreamble!(one))['main.tf.json'];
  const file = join(GOLDEN, 'single-zone.main.tf.json');
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, text);
  assert.equal(text, readFileSync(file, 'utf8'));
});

test('a spot group is a mixed-instances policy with 0% on-demand around its own launch template', () => {
  const main = JSON.parse(render(withSpot)['main.tf.json']);
  const groups = main.resource.aws_autoscaling_group;
  const spot = Object.values(groups).find((g: any) => /^spot\./.test(g.name)) as any;
  const nodes = Object.values(groups).find((g: any) => /^nodes\./.test(g.name)) as any;
  assert.equal(spot.launch_template, undefined);
  assert.equal(spot.mixed_instances_policy[0].instances_distribution[0].on_demand_percentage_above_base_capacity, 0);
  assert.match(spot.mixed_instances_policy[0].launch_template[0].launch_template_specification[0].launch_template_id, /aws_launch_template\.launch_template_node_group_spot\.id/);
  assert.equal(nodes.mixed_instances_policy, undefined);
  const lt = main.resource.aws_launch_template.launch_template_node_group_spot;
  assert.deepEqual([lt.block_device_mappings[0].ebs[0].volume_size, lt.block_device_mappings[0].ebs[0].volume_type], [200, 'gp2']);
});

test('launch templates depend on the role policies, not only on the instance profiles', () => {
  const main = JSON.parse(render()['main.tf.json']);
  const lts = Object.entries(main.resource.aws_launch_template) as [string, any][];
  assert.equal(lts.length, 4);
  for (const [name, lt] of lts) {
    const role = name.startsWith('launch_template_control_plane') ? 'iam_role_control_plane' : 'iam_role_nodes';
    assert.ok(lt.depends_on.includes(`aws_iam_role_policy.${role}`), `${name} depends_on ${JSON.stringify(lt.depends_on)}`);
    assert.ok(main.resource.aws_iam_role_policy[role], `aws_iam_role_policy.${role} exists`);
  }
});

test('nodes and joiners use the internal load balancer; the public one is only a certificate name', () => {
  const files = render();
  const main = JSON.parse(files['main.tf.json']);
  assert.equal(main.resource.aws_lb.load_balancer_api.internal, false);
  assert.equal(main.resource.aws_lb.load_balancer_api_internal.internal, true);
  assert.equal(main.resource.aws_lb_target_group.target_group_api_internal.preserve_client_ip, 'false');
  const asg = main.resource.aws_autoscaling_group.autoscaling_group_control_plane_us_east_2a;
  assert.deepEqual(asg.target_group_arns, ['${aws_lb_target_group.target_group_api.arn}', '${aws_lb_target_group.target_group_api_internal.arn}']);
  const lt = main.resource.aws_launch_template.launch_template_node_group_nodes;
  assert.match(lt.user_data, /"k8sup-var-api-internal-lb-dns\.invalid", aws_lb\.load_balancer_api_internal\.dns_name\)/);
  // The user data is the loader: it passes the substituted names to the bundle it pins.
  const loader = files['data/launch_template_node_group_nodes.user-data.sh'];
  assert.match(loader, /^K8SUP_LB='k8sup-var-api-lb-dns\.invalid' K8SUP_ILB='k8sup-var-api-internal-lb-dns\.invalid' exec bash/m);
  const script = bundleOf(loader, provider.bootstrapBundles!(ha, inputs));
  assert.match(script, /apiServerEndpoint: "?k8sup-var-api-internal-lb-dns\.invalid:6443/);
  assert.doesNotMatch(script, /apiServerEndpoint: "?api\.prod\.example\.com/);
});

describe('aws terraform output with the real terraform binary and aws provider', () => {
  for (const c of [ha, withSpot]) it(`${c.metadata.name} passes terraform validate (offline, provider from the filesystem mirror)`, { skip: TERRAFORM ? false : 'terraform not installed', timeout: 120_000 }, async () => {
    const validation = await terraformValidate(render(c));
    assert.equal(validation.valid, true, JSON.stringify(validation.diagnostics, null, 2));
    assert.equal(validation.warning_count, 0, JSON.stringify(validation.diagnostics, null, 2));
  });
});
