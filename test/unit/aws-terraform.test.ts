// `--target terraform`: the same AWS graph rendered as aws provider resources, with no AWS call (no clients exist).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withDefaults } from '../../src/api/defaults.js';
import { renderTerraform } from '../../src/core/engine.js';
import { provider } from '../../providers/aws/index.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '../golden/aws');
const inputs = { stateStore: 's3://k8sup-state/team', caCertPem: '', caCertHash: `sha256:${'ab'.repeat(32)}` };
const ha = withDefaults({
  metadata: { name: 'prod.example.com' },
  spec: { zones: ['us-east-2a', 'us-east-2b', 'us-east-2c'], controlPlane: { count: 3 }, api: { dnsZone: 'example.com' }, ssh: { publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a@b' } },
});

function render() {
  return renderTerraform(provider.buildGraph(ha, inputs), provider.handlers, provider.terraformPreamble!(ha));
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
    '${base64gzip(replace(file("${path.module}/data/launch_template_control_plane_us_east_2a.user-data.sh"), "k8sup-var-api-lb-dns.invalid", aws_lb.load_balancer_api.dns_name))}',
  );
  const script = files['data/launch_template_control_plane_us_east_2a.user-data.sh'];
  assert.ok(script.includes('k8sup-var-api-lb-dns.invalid'));
  for (const [name, content] of Object.entries(files)) assert.doesNotMatch(content, /PRIVATE KEY/, name);
  const asg = main.resource.aws_autoscaling_group.autoscaling_group_control_plane_us_east_2a;
  assert.deepEqual(asg.target_group_arns, ['${aws_lb_target_group.target_group_api.arn}']);
  assert.ok(asg.tag.some((t: any) => t.key === 'kubernetes.io/cluster/prod.example.com' && t.value === 'owned' && t.propagate_at_launch));
});

test('main.tf.json for one zone matches the golden file', () => {
  const one = withDefaults({ metadata: { name: 'demo.k8s.local' }, spec: { zones: ['us-east-2a'] } });
  const text = renderTerraform(provider.buildGraph(one, inputs), provider.handlers, provider.terraformPreamble!(one))['main.tf.json'];
  const file = join(GOLDEN, 'single-zone.main.tf.json');
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, text);
  assert.equal(text, readFileSync(file, 'utf8'));
});
