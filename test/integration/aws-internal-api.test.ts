// A restricted `--admin-access` must not cut the nodes off (issue 20): through the real CLI on moto, the public API
// rule is exactly the admin range, nodes and joiners use the internal NLB (which does not preserve client addresses,
// so its connections come from VPC addresses the VPC rule allows), and nothing inside the cluster names the public
// endpoint. Checked with raw API calls, not the handlers under test.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { k8sup, tempHome } from '../helpers/cli.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { createAwsClients } from '../../providers/aws/clients.js';
import { decodeUserData } from '../../providers/aws/resources/launch-template.js';

let moto: Moto;
let env: Record<string, string>;

before(async () => {
  moto = await startMoto();
  env = { HOME: tempHome(), ...moto.env, K8SUP_STATE_STORE: 's3://k8sup-state/clusters' };
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: 'k8sup-state', CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
});
after(async () => {
  await moto?.stop();
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('create --admin-access 203.0.113.0/24: the public rule is restricted, nodes reach the API through the internal NLB', { timeout: 600_000 }, async () => {
  const name = 'locked.k8s.local';
  const run = (...args: string[]) => k8sup(args, { env, timeoutMs: 180_000 });
  const created = await run('create', 'cluster', name, '--zones', 'us-east-2a', '--admin-access', '203.0.113.0/24', '--yes');
  assert.equal(created.code, 0, created.stderr);
  const c = createAwsClients({ cluster: name, region: 'us-east-2', dnsZone: null, imageLookup: false }, { env: moto.env });

  // Security groups: 6443 on the control planes from the admin range and the VPC only; nothing else reaches it.
  const groups = (await c.ec2.call('DescribeSecurityGroups', { Filters: [{ Name: 'tag:k8sup.io/cluster', Values: [name] }] })).SecurityGroups as any[];
  const vpc = (await c.ec2.call('DescribeVpcs', { VpcIds: [groups[0].VpcId] })).Vpcs![0];
  const cp = groups.find((g) => g.GroupName.startsWith('control-plane'))!;
  const nodesGroup = groups.find((g) => g.GroupName.startsWith('nodes'))!;
  const apiPerms = (cp.IpPermissions as any[]).filter((p) => p.IpProtocol === 'tcp' && p.FromPort === 6443 && p.ToPort === 6443);
  assert.deepEqual(apiPerms.flatMap((p) => (p.IpRanges ?? []).map((r: any) => r.CidrIp)).sort(), ['172.20.0.0/16', '203.0.113.0/24']);
  assert.equal(vpc.CidrBlock, '172.20.0.0/16', 'the VPC rule is the cluster network');
  for (const g of groups) {
    for (const p of g.IpPermissions as any[]) {
      const open = (p.IpRanges ?? []).some((r: any) => r.CidrIp === '0.0.0.0/0');
      const coversApi = p.IpProtocol === '-1' || (p.FromPort <= 6443 && p.ToPort >= 6443);
      assert.ok(!(open && coversApi), `${g.GroupName}: 6443 open to the world (${JSON.stringify(p)})`);
    }
  }
  assert.ok(!(nodesGroup.IpPermissions as any[]).some((p) => p.FromPort === 6443 && (p.IpRanges ?? []).length), 'nodes do not serve the API');

  // Two NLBs: the public one for admins, the internal one for the cluster; the internal target group does not
  // preserve client addresses (a control plane reaching itself through it would time out).
  const lbs = ((await c.elbv2.call('DescribeLoadBalancers', {})).LoadBalancers as any[]).filter((l) => l.LoadBalancerName.includes('locked')); // its names carry a hash of the full cluster name
  const publicLb = lbs.find((l) => l.Scheme === 'internet-facing')!;
  const internalLb = lbs.find((l) => l.Scheme === 'internal')!;
  assert.ok(publicLb && internalLb, JSON.stringify(lbs.map((l) => [l.LoadBalancerName, l.Scheme])));
  const listeners = async (arn: string) => (await c.elbv2.call('DescribeListeners', { LoadBalancerArn: arn })).Listeners as any[];
  const [internalListener] = await listeners(internalLb.LoadBalancerArn);
  assert.equal(internalListener.Port, 6443);
  const internalTg = internalListener.DefaultActions[0].TargetGroupArn;
  const attrs = (await c.elbv2.call('DescribeTargetGroupAttributes', { TargetGroupArn: internalTg })).Attributes as any[];
  assert.equal(attrs.find((a) => a.Key === 'preserve_client_ip.enabled')?.Value, 'false');
  const [publicListener] = await listeners(publicLb.LoadBalancerArn);
  const asgs = (await c.autoscaling.call('DescribeAutoScalingGroups', { Filters: [{ Name: 'tag:k8sup.io/cluster', Values: [name] }] })).AutoScalingGroups as any[];
  const cpAsg = asgs.find((g) => g.AutoScalingGroupName.startsWith('control-plane'))!;
  assert.deepEqual([...cpAsg.TargetGroupARNs].sort(), [internalTg, publicListener.DefaultActions[0].TargetGroupArn].sort());

  // Every node's bootstrap uses the internal NLB; the public name is only in the serving certificate.
  const templates = (await c.ec2.call('DescribeLaunchTemplates', { Filters: [{ Name: 'tag:k8sup.io/cluster', Values: [name] }] })).LaunchTemplates as any[];
  assert.equal(templates.length, 2);
  for (const t of templates) {
    const data = (await c.ec2.call('DescribeLaunchTemplateVersions', { LaunchTemplateId: t.LaunchTemplateId, Versions: ['$Latest'] })).LaunchTemplateVersions![0].LaunchTemplateData!;
    const script = decodeUserData(data.UserData!);
    assert.ok(script.includes(`${internalLb.DNSName}:6443`), `${t.LaunchTemplateName} uses the internal NLB`);
    assert.doesNotMatch(script, new RegExp(`(controlPlaneEndpoint|apiServerEndpoint): "?${escape(publicLb.DNSName)}`), `${t.LaunchTemplateName} never joins through the public NLB`);
  }

  // The admin kubeconfig still points at the public endpoint, and a second plan is empty (attributes read back).
  const kubeconfig = `${env.HOME}/kubeconfig`;
  assert.equal((await run('export', 'kubeconfig', name, '--kubeconfig', kubeconfig)).code, 0);
  const { readFileSync } = await import('node:fs');
  assert.match(readFileSync(kubeconfig, 'utf8'), new RegExp(`server: https://${escape(publicLb.DNSName)}:6443`));
  const noop = await run('update', 'cluster', name, '--detailed-exitcode');
  assert.equal(noop.code, 0, `${noop.stdout}${noop.stderr}`);
  assert.equal((await run('delete', 'cluster', name, '--yes')).code, 0);
});
