// The AWS model builders are pure: golden files pin the graph for one zone and for HA on three zones.
// Regenerate with UPDATE_GOLDEN=1 and review the diff.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withDefaults } from '../../src/api/defaults.js';
import type { Cluster } from '../../src/api/types.js';
import { collectRefs } from '../../src/core/graph.js';
import type { ResourceNode } from '../../src/core/resource.js';
import { buildAwsGraph } from '../../providers/aws/model/index.js';
import { subnetCidr, clusterZones } from '../../providers/aws/model/network.js';
import { controlPlanePerZone } from '../../providers/aws/model/compute.js';
import { renderUserData, placeholder } from '../../providers/aws/model/user-data.js';
import { bootstrapBundles } from '../../providers/aws/model/compute.js';
import { bundleOf } from '../helpers/loader.js';
import { elbName, iamName } from '../../providers/aws/model/names.js';
import { rolePolicy } from '../../providers/aws/model/iam.js';
import { decodeUserData, encodeUserData } from '../../providers/aws/resources/launch-template.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '../golden/aws');
const inputs = { stateStore: 's3://k8sup-state/team', caCertPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', caCertHash: `sha256:${'ab'.repeat(32)}` };
const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@example';

function single(): Cluster {
  return withDefaults({ metadata: { name: 'demo.k8s.local' }, spec: { zones: ['us-east-2a'], ssh: { publicKey: SSH_KEY, access: ['203.0.113.0/24'] }, api: { adminAccess: ['198.51.100.0/24'] } } });
}

function ha(): Cluster {
  return withDefaults({
    metadata: { name: 'prod.example.com' },
    spec: {
      zones: ['us-east-2a', 'us-east-2b', 'us-east-2c'],
      controlPlane: { count: 3, zones: ['us-east-2a', 'us-east-2b', 'us-east-2c'] },
      nodeGroups: [{ name: 'nodes', minSize: 2, maxSize: 5 }],
      api: { dnsZone: 'example.com' },
    },
  });
}

/**
 * The graph with user-data templates replaced by the role they were rendered for: the bootstrap script has its own
 * golden tests and changes with src/bootstrap; here we pin what the AWS model decides.
 */
function goldenView(nodes: ResourceNode[]): unknown {
  return nodes.map((n) => {
    if (n.kind !== 'launch-template') return n;
    const ud = n.fields.userData as { template: string; vars: unknown };
    return { ...n, fields: { ...n.fields, userData: { template: `(bootstrap script, role ${/kubeadm init|loader \(control-plane-init/.test(ud.template) ? 'init' : 'join'})`, vars: ud.vars } } };
  });
}

function checkGolden(name: string, nodes: ResourceNode[]) {
  const file = join(GOLDEN, `${name}.json`);
  const text = JSON.stringify(goldenView(nodes), null, 2) + '\n';
  if (process.env.UPDATE_GOLDEN) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, text);
  }
  assert.equal(text, readFileSync(file, 'utf8'), `${name} differs from ${file} (UPDATE_GOLDEN=1 to regenerate)`);
}

test('single-zone graph matches the golden file', () => checkGolden('single-zone', buildAwsGraph(single(), inputs)));
test('HA three-zone graph matches the golden file', () => checkGolden('ha-three-zones', buildAwsGraph(ha(), inputs)));

test('the model is pure: same spec, same graph', () => {
  assert.deepEqual(buildAwsGraph(ha(), inputs), buildAwsGraph(ha(), inputs));
});

test('every resource carries the cluster, kubernetes and id tags', () => {
  for (const c of [single(), ha()]) {
    const name = c.metadata.name;
    for (const n of buildAwsGraph(c, inputs)) {
      if (n.kind === 'security-group-rules' || n.kind === 'dns-record') continue; // no tags in AWS: see their handlers
      const tags = n.fields.tags as Record<string, string>;
      assert.equal(tags['k8sup.io/cluster'], name, n.id);
      assert.equal(tags[`kubernetes.io/cluster/${name}`], 'owned', n.id);
      if (n.kind !== 'autoscaling-group') assert.equal(tags['k8sup.io/id'], n.id, n.id);
      else assert.equal(tags['k8sup.io/id'], n.id, 'ASG tags (propagated to instances) carry its id');
    }
  }
});

test('launch templates require IMDSv2 with hop limit 1, an encrypted gp3 root volume and propagate tags', () => {
  const lts = buildAwsGraph(ha(), inputs).filter((n) => n.kind === 'launch-template');
  assert.equal(lts.length, 4);
  for (const lt of lts) {
    assert.deepEqual(lt.fields.metadataOptions, { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 });
    const root = lt.fields.rootVolume as Record<string, unknown>;
    assert.equal(root.encrypted, true);
    assert.equal(root.volumeType, 'gp3');
    assert.equal((lt.fields.instanceTags as Record<string, string>)['k8sup.io/cluster'], 'prod.example.com');
  }
});

test('no user data contains private key material; the API hosts are substituted from the load balancers', () => {
  for (const c of [single(), ha()]) {
    for (const lt of buildAwsGraph(c, inputs).filter((n) => n.kind === 'launch-template')) {
      const ud = lt.fields.userData as { template: string; vars: Record<string, unknown> };
      // The user data is the loader; the script it runs is the bundle it pins (written to the state store).
      const script = bundleOf(ud.template, bootstrapBundles(c, inputs));
      assert.doesNotMatch(ud.template, /PRIVATE KEY/);
      assert.doesNotMatch(script, /PRIVATE KEY/);
      // Every node and joiner talks to the internal load balancer; the init control plane puts the public names in
      // the API certificate (joining control planes take the SANs from the cluster's kubeadm configuration).
      assert.ok(script.includes(`${placeholder('API_INTERNAL_LB_DNS')}:6443`), `${lt.id} uses the internal load balancer`);
      assert.doesNotMatch(script, new RegExp(`(controlPlaneEndpoint|apiServerEndpoint): "?(api\\.${c.metadata.name.replace(/\./g, '\\.')}|${placeholder('API_LB_DNS').replace(/\./g, '\\.')})`));
      const isInit = lt.id === `launch-template/control-plane/${c.spec.controlPlane.zones[0]}`;
      if (isInit) assert.ok(script.includes(placeholder('API_LB_DNS')), `${lt.id} names the public load balancer host in the certificate`);
      if (isInit && c.spec.api.dnsZone) assert.match(script, new RegExp(`- "?api\\.${c.metadata.name.replace(/\./g, '\\.')}"?\n`), `${lt.id} names the DNS name in the certificate`);
      assert.deepEqual(collectRefs(ud.vars), [{ $ref: 'load-balancer/api', attr: 'dns_name' }, { $ref: 'load-balancer/api-internal', attr: 'dns_name' }]);
      assert.ok(encodeUserData(ud.template).length < 16 * 1024 * 1.4, 'fits the EC2 user-data limit once gzipped');
      assert.equal(decodeUserData(encodeUserData(ud.template)), ud.template);
      const rendered = renderUserData({ template: ud.template, vars: { API_LB_DNS: 'api-lb.elb.amazonaws.com', API_INTERNAL_LB_DNS: 'internal-api.elb.amazonaws.com' } });
      assert.ok(!rendered.includes(placeholder('API_LB_DNS')) && !rendered.includes(placeholder('API_INTERNAL_LB_DNS')));
      // The loader hands the load balancers' names to the bundle, which fills them in.
      assert.ok(rendered.includes("K8SUP_ILB='internal-api.elb.amazonaws.com'"));
      assert.match(script, /sed -e "s\/k8sup-var-api-lb-dns\\\.invalid\/\$\{K8SUP_LB\}\/g"/);
      assert.equal(rendered.includes('api-lb.elb.amazonaws.com'), ud.template.includes(placeholder('API_LB_DNS')));
      assert.doesNotMatch(rendered, /PRIVATE KEY/);
    }
  }
});

test('the internal API path is in the model: an internal NLB without client-IP preservation serves every control plane', () => {
  for (const c of [single(), ha()]) {
    const nodes = buildAwsGraph(c, inputs);
    const byId = new Map(nodes.map((n) => [n.id, n]));
    assert.equal(byId.get('load-balancer/api')!.fields.scheme, 'internet-facing');
    assert.equal(byId.get('load-balancer/api-internal')!.fields.scheme, 'internal');
    assert.notEqual(byId.get('load-balancer/api-internal')!.fields.name, byId.get('load-balancer/api')!.fields.name);
    // Preserved client addresses make a control plane's connection to itself through the NLB time out (hairpin).
    assert.equal(byId.get('target-group/api-internal')!.fields.preserveClientIp, false);
    assert.deepEqual(byId.get('listener/api-internal')!.fields.targetGroupArn, { $ref: 'target-group/api-internal', attr: 'arn' });
    assert.deepEqual(byId.get('listener/api-internal')!.fields.loadBalancerArn, { $ref: 'load-balancer/api-internal', attr: 'arn' });
    // The internal path does not pass through the admin allow-list.
    const rules = byId.get('security-group-rules/control-plane')!.fields.ingress as any[];
    assert.ok(rules.some((r) => r.fromPort === 6443 && r.cidr === c.spec.networking.networkCIDR));
    for (const lt of nodes.filter((n) => n.kind === 'launch-template')) assert.deepEqual(lt.dependsOn, [lt.id.includes('/control-plane/') ? 'iam-role/control-plane' : 'iam-role/nodes']);
  }
});

test('exactly one control plane runs kubeadm init; the others join', () => {
  const inits = (c: Cluster) =>
    buildAwsGraph(c, inputs)
      .filter((n) => n.kind === 'launch-template' && n.id.startsWith('launch-template/control-plane/'))
      .map((n) => /kubeadm init|control-plane-init/.test((n.fields.userData as { template: string }).template));
  assert.deepEqual(inits(ha()), [true, false, false]);
  const oneZoneThree = withDefaults({ metadata: { name: 'x.k8s.local' }, spec: { zones: ['us-east-2a'], controlPlane: { count: 3, zones: ['us-east-2a'] } } });
  const asgs = buildAwsGraph(oneZoneThree, inputs).filter((n) => n.id.startsWith('autoscaling-group/control-plane/'));
  assert.deepEqual(asgs.map((a) => [a.id, a.fields.minSize]), [['autoscaling-group/control-plane/us-east-2a', 1], ['autoscaling-group/control-plane/us-east-2a-join', 2]]);
});

test('control-plane ASGs are one per zone and attached to both API target groups; node groups span their zones', () => {
  const nodes = buildAwsGraph(ha(), inputs);
  const cp = nodes.filter((n) => n.id.startsWith('autoscaling-group/control-plane/'));
  assert.equal(cp.length, 3);
  for (const a of cp) {
    assert.equal((a.fields.subnetIds as unknown[]).length, 1);
    assert.deepEqual(a.fields.targetGroupArns, [{ $ref: 'target-group/api', attr: 'arn' }, { $ref: 'target-group/api-internal', attr: 'arn' }]);
  }
  const ng = nodes.find((n) => n.id === 'autoscaling-group/node-group/nodes')!;
  assert.equal((ng.fields.subnetIds as unknown[]).length, 3);
  assert.deepEqual([ng.fields.minSize, ng.fields.maxSize], [2, 5]);
  assert.ok(nodes.some((n) => n.kind === 'dns-record' && n.fields.name === 'api.prod.example.com'));
  assert.ok(!buildAwsGraph(single(), inputs).some((n) => n.kind === 'dns-record'));
});

test('security groups: API from adminAccess and the VPC, SSH from ssh.access, all traffic between cluster groups', () => {
  const rules = buildAwsGraph(single(), inputs).find((n) => n.id === 'security-group-rules/control-plane')!.fields.ingress as any[];
  const cidrs = (port: number) => rules.filter((r) => r.fromPort === port).map((r) => r.cidr);
  assert.deepEqual(cidrs(6443), ['198.51.100.0/24', '172.20.0.0/16']);
  assert.deepEqual(cidrs(22), ['203.0.113.0/24']);
  assert.deepEqual(rules.filter((r) => r.protocol === '-1').map((r) => r.sourceGroupId.$ref), ['security-group/control-plane', 'security-group/nodes']);
  const nodeRules = buildAwsGraph(single(), inputs).find((n) => n.id === 'security-group-rules/nodes')!.fields.ingress as any[];
  assert.ok(!nodeRules.some((r) => r.fromPort === 6443), 'nodes do not expose the API port to the world');
});

test('IAM policies are least privilege and scoped to the cluster prefix of the state store', () => {
  const c = single();
  const cp = rolePolicy('control-plane', c, inputs);
  const nodes = rolePolicy('nodes', c, inputs);
  assert.deepEqual(cp.Statement[0], { Sid: 'ClusterState', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::k8sup-state/team/demo.k8s.local/*' });
  assert.deepEqual(nodes.Statement[0], { Sid: 'BootstrapMaterial', Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::k8sup-state/team/demo.k8s.local/bootstrap/*' });
  // Nodes write exactly their bootstrap progress reports (docs/bootstrap.md), nothing else of the state.
  assert.deepEqual(nodes.Statement[1], { Sid: 'BootstrapReport', Effect: 'Allow', Action: ['s3:PutObject'], Resource: 'arn:aws:s3:::k8sup-state/team/demo.k8s.local/nodes/status/*' });
  assert.deepEqual(nodes.Statement[2].Action, ['ec2:DescribeInstances', 'ec2:DescribeRegions']);
  const readOrState = /^(s3:(Get|Put)Object|[a-z0-9]+:(Describe|Get|List)\w+|ecr:(BatchGetImage|BatchCheckLayerAvailability))$/;
  for (const s of nodes.Statement) for (const a of s.Action) assert.match(a, readOrState, `nodes: ${a} is not read-only or state access`);
  // The control plane's writes (CCM, EBS CSI) are each bound to this cluster's tag, or to tag-on-create / ELB's own
  // service-linked role.
  for (const s of cp.Statement) {
    if (s.Action.every((a) => readOrState.test(a))) continue;
    const conditions = JSON.stringify(s.Condition ?? {});
    assert.ok(/kubernetes\.io\/cluster\/demo\.k8s\.local|ec2:CreateAction|iam:AWSServiceName/.test(conditions), `${s.Sid} writes without a cluster condition`);
  }
});

test('with etcd backups, control planes may delete under backups/etcd/ only (retention); nodes gain nothing', () => {
  const c = single();
  assert.ok(!rolePolicy('control-plane', c, inputs).Statement.some((s) => s.Action.includes('s3:DeleteObject')));
  c.spec.etcd = { backups: { schedule: 'hourly', retain: 24 } };
  const deletes = rolePolicy('control-plane', c, inputs).Statement.filter((s) => s.Action.includes('s3:DeleteObject'));
  assert.deepEqual(deletes, [{ Sid: 'EtcdBackupRetention', Effect: 'Allow', Action: ['s3:DeleteObject'], Resource: 'arn:aws:s3:::k8sup-state/team/demo.k8s.local/backups/etcd/*' }]);
  assert.ok(!rolePolicy('nodes', c, inputs).Statement.some((s) => s.Action.includes('s3:DeleteObject') || String(s.Resource).includes('backups')));
});

test('subnets are carved from networkCIDR in stable slots; names fit AWS limits', () => {
  assert.deepEqual([0, 1, 2].map((i) => subnetCidr('172.20.0.0/16', i, 3)), ['172.20.0.0/19', '172.20.32.0/19', '172.20.64.0/19']);
  assert.deepEqual(clusterZones(ha()), ['us-east-2a', 'us-east-2b', 'us-east-2c']);
  assert.deepEqual([...controlPlanePerZone(5, ['a', 'b', 'c'])], [['a', 2], ['b', 2], ['c', 1]]);
  const long = `a-very-long-cluster-name-${'x'.repeat(40)}.example.com`;
  const meta = (name: string) => ({ metadata: { name } });
  assert.ok(elbName('api', meta(long)).length <= 32);
  assert.notEqual(elbName('api', meta(long)), elbName('api', meta(long.replace('example', 'exampl3'))));
  assert.ok(iamName('control-plane', long).length <= 64);
});
