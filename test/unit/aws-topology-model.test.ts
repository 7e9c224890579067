// The AWS model of each topology, as a pure function of the spec: where instances and load balancers go, which NAT
// each private route table uses, what the bastion may reach, and what an existing VPC leaves out.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withDefaults } from '../../src/api/defaults.js';
import type { ResourceNode } from '../../src/core/resource.js';
import { buildAwsGraph } from '../../providers/aws/model/index.js';
import { utilitySubnetCidr, subnetCidr } from '../../providers/aws/model/network.js';

const inputs = { stateStore: 's3://k8sup-state/team', caCertPem: '', caCertHash: `sha256:${'ab'.repeat(32)}` };
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a@b';
const ZONES = ['us-east-2a', 'us-east-2b', 'us-east-2c'];
const graph = (extra: Record<string, unknown>) =>
  new Map<string, ResourceNode>(
    buildAwsGraph(withDefaults({ metadata: { name: 't.example.com' }, spec: { zones: ZONES, ssh: { publicKey: KEY, access: ['203.0.113.0/24'] }, ...extra } }), inputs).map((n) => [n.id, n]),
  );
const refs = (v: unknown) => (v as { $ref: string }[]).map((r) => r.$ref);

describe('AWS topologies (model)', () => {
  it('private: instances and the internal NLB in private subnets, the public NLB in utility subnets, a NAT per zone', () => {
    const g = graph({ topology: 'private' });
    for (const z of ZONES) {
      assert.equal(g.get(`subnet/${z}`)!.fields.mapPublicIpOnLaunch, false);
      assert.equal(g.get(`subnet/${z}/utility`)!.fields.mapPublicIpOnLaunch, true);
      const rt = g.get(`route-table/private/${z}`)!.fields as any;
      assert.deepEqual(rt.routes, [{ destinationCidrBlock: '0.0.0.0/0', natGatewayId: { $ref: `nat-gateway/${z}`, attr: 'id' } }]);
      assert.deepEqual(refs(rt.subnetIds), [`subnet/${z}`]);
      assert.deepEqual((g.get(`nat-gateway/${z}`)!.fields.subnetId as any).$ref, `subnet/${z}/utility`);
    }
    assert.deepEqual(refs(g.get('route-table')!.fields.subnetIds), ZONES.map((z) => `subnet/${z}/utility`), 'only utility subnets route to the internet gateway');
    for (const n of g.values()) if (n.kind === 'autoscaling-group') assert.ok(refs(n.fields.subnetIds).every((r) => /^subnet\/[a-z0-9-]+$/.test(r)), n.id);
    assert.deepEqual(refs(g.get('load-balancer/api')!.fields.subnetIds), ZONES.map((z) => `subnet/${z}/utility`));
    assert.deepEqual(refs(g.get('load-balancer/api-internal')!.fields.subnetIds), ZONES.map((z) => `subnet/${z}`));
    assert.equal(g.has('autoscaling-group/bastion'), false, 'no bastion unless asked for');
  });

  it('utility subnets come from the last slot and overlap no private subnet', () => {
    const priv = ZONES.map((_, i) => subnetCidr('172.20.0.0/16', i, 3));
    const util = ZONES.map((_, i) => utilitySubnetCidr('172.20.0.0/16', i, 3));
    assert.deepEqual(priv, ['172.20.0.0/19', '172.20.32.0/19', '172.20.64.0/19']);
    assert.deepEqual(util, ['172.20.224.0/22', '172.20.228.0/22', '172.20.232.0/22']);
  });

  it('nat single: one NAT gateway and EIP in the first zone, every private route table uses it', () => {
    const g = graph({ topology: 'private', networking: { nat: 'single' } });
    assert.deepEqual([...g.keys()].filter((id) => id.startsWith('nat-gateway/') || id.startsWith('elastic-ip/')), ['elastic-ip/nat/single', 'nat-gateway/single']);
    for (const z of ZONES) assert.equal((g.get(`route-table/private/${z}`)!.fields as any).routes[0].natGatewayId.$ref, 'nat-gateway/single');
  });

  it('bastion: in the utility subnets; SSH to the cluster only from its group, to it from ssh.access', () => {
    const g = graph({ topology: 'private', bastion: {} });
    assert.deepEqual(refs(g.get('autoscaling-group/bastion')!.fields.subnetIds), ZONES.map((z) => `subnet/${z}/utility`));
    assert.equal(g.get('launch-template/bastion')!.fields.instanceType, 't3.micro');
    assert.equal(g.get('launch-template/bastion')!.fields.iamInstanceProfileArn, null);
    const ssh = (id: string) => (g.get(id)!.fields.ingress as any[]).filter((r) => r.fromPort === 22);
    assert.deepEqual(ssh('security-group-rules/bastion').map((r) => r.cidr), ['203.0.113.0/24']);
    for (const id of ['security-group-rules/control-plane', 'security-group-rules/nodes']) {
      assert.deepEqual(ssh(id), [{ protocol: 'tcp', fromPort: 22, toPort: 22, sourceGroupId: { $ref: 'security-group/bastion', attr: 'id' } }]);
    }
  });

  it('internal API load balancer type: no public NLB; the DNS record and the certificate name the internal one', () => {
    const g = graph({ api: { loadBalancerType: 'internal', dnsZone: 'example.com' } });
    assert.equal(g.has('load-balancer/api'), false);
    assert.equal(g.has('target-group/api'), false);
    assert.equal((g.get('dns-record/api')!.fields.target as any).dnsName.$ref, 'load-balancer/api-internal');
    const cp = [...g.values()].find((n) => n.id.startsWith('autoscaling-group/control-plane'))!;
    assert.deepEqual(refs(cp.fields.targetGroupArns), ['target-group/api-internal']);
    const lt = [...g.values()].find((n) => n.id.startsWith('launch-template/control-plane'))!;
    assert.deepEqual(Object.keys((lt.fields.userData as any).vars), ['API_INTERNAL_LB_DNS']);
  });

  it('existing VPC and subnets: no network resources, literal ids, the shared tags', () => {
    const subnets = ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1', 'subnet-0123456789abcdef2'];
    const g = graph({ networking: { networkId: 'vpc-0123456789abcdef0', subnets, networkCIDR: '10.40.0.0/16' } });
    for (const id of g.keys()) assert.ok(!/^(vpc|subnet\/|internet-gateway|route-table|nat-gateway|elastic-ip)/.test(id), id);
    assert.equal(g.get('security-group/nodes')!.fields.vpcId, 'vpc-0123456789abcdef0');
    assert.deepEqual(g.get('autoscaling-group/node-group/nodes')!.fields.subnetIds, subnets);
    assert.deepEqual(g.get('load-balancer/api')!.fields.subnetIds, subnets);
    assert.deepEqual([...g.values()].filter((n) => n.kind === 'shared-tag').map((n) => [n.id, n.fields.resourceId]), [
      ['shared-tag/vpc', 'vpc-0123456789abcdef0'],
      ...ZONES.map((z, i) => [`shared-tag/subnet/${z}`, subnets[i]]),
    ]);
    assert.deepEqual(g.get('shared-tag/vpc')!.fields.tags, { 'kubernetes.io/cluster/t.example.com': 'shared' }, 'no k8sup.io tag that would make it look owned');
  });
});
