// Shared setup for the AWS integration tests: a cluster spec, engine deps on a provider, and an independent count
// of everything in moto that carries a cluster's tag (raw API calls, not the handlers under test).

import { tmpdir } from 'node:os';
import { MemoryBlobStore } from '../../src/state/memory.js';
import { withDefaults } from '../../src/api/defaults.js';
import type { Cluster } from '../../src/api/types.js';
import type { EngineDeps } from '../../src/core/engine.js';
import { silentIo } from '../../src/core/io.js';
import { createAwsClients, type AwsClients } from '../../providers/aws/clients.js';
import { createAwsProvider, type AwsProviderOptions } from '../../providers/aws/index.js';
import { iamPath } from '../../providers/aws/model/names.js';
import { providerState } from '../../src/lifecycle/provider-state.js';

export const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@example';
export const INPUTS = { stateStore: 's3://k8sup-state/clusters', caCertPem: '', caCertHash: `sha256:${'cd'.repeat(32)}` };

export function cluster(name: string, zones: string[], extra: Record<string, unknown> = {}): Cluster {
  return withDefaults({ metadata: { name }, spec: { zones, controlPlane: { count: zones.length, zones }, ssh: { publicKey: SSH_KEY }, ...extra } });
}

export async function engineDeps(c: Cluster, env: Record<string, string>, opts: AwsProviderOptions = {}): Promise<EngineDeps<AwsClients> & { nodes: ReturnType<ReturnType<typeof createAwsProvider>['buildGraph']>; provider: ReturnType<typeof createAwsProvider> }> {
  const provider = createAwsProvider({ pollMs: 20, baseDelayMs: 20, ...opts });
  const clients = await provider.connect(c, { io: silentIo, env, home: tmpdir(), state: providerState(new MemoryBlobStore('memory://test'), c.metadata.name) });
  return {
    cluster: c.metadata.name,
    handlers: provider.handlers,
    clients,
    classifyError: provider.classifyError,
    io: silentIo,
    retry: { baseDelayMs: 20, maxDelayMs: 300, maxAttempts: 12, maxDependencyAttempts: 20 },
    nodes: provider.buildGraph(c, INPUTS),
    provider,
  };
}

/** Everything in moto tagged for `name`, per type, counted with plain API calls. */
export async function taggedResources(env: Record<string, string>, name: string): Promise<Record<string, string[]>> {
  const c = createAwsClients({ cluster: name, region: 'us-east-2', dnsZone: null, imageLookup: false }, { env });
  const filter = { Filters: [{ Name: 'tag:k8sup.io/cluster', Values: [name] }] };
  const ids = (xs: any[] | undefined, key: string) => (xs ?? []).map((x) => x[key]);
  const out: Record<string, string[]> = {
    vpcs: ids((await c.ec2.call('DescribeVpcs', filter)).Vpcs, 'VpcId'),
    subnets: ids((await c.ec2.call('DescribeSubnets', filter)).Subnets, 'SubnetId'),
    internetGateways: ids((await c.ec2.call('DescribeInternetGateways', filter)).InternetGateways, 'InternetGatewayId'),
    routeTables: ids((await c.ec2.call('DescribeRouteTables', filter)).RouteTables, 'RouteTableId'),
    securityGroups: ids((await c.ec2.call('DescribeSecurityGroups', filter)).SecurityGroups, 'GroupId'),
    keyPairs: ids((await c.ec2.call('DescribeKeyPairs', filter)).KeyPairs, 'KeyName'),
    launchTemplates: ids((await c.ec2.call('DescribeLaunchTemplates', filter)).LaunchTemplates, 'LaunchTemplateName'),
    instances: ((await c.ec2.call('DescribeInstances', { Filters: [...filter.Filters, { Name: 'instance-state-name', Values: ['pending', 'running'] }] })).Reservations ?? []).flatMap((r: any) =>
      ids(r.Instances, 'InstanceId'),
    ),
    autoScalingGroups: ids((await c.autoscaling.call('DescribeAutoScalingGroups', filter)).AutoScalingGroups, 'AutoScalingGroupName'),
    roles: ids((await c.iam.call('ListRoles', { PathPrefix: iamPath(name) })).Roles, 'RoleName').filter(Boolean),
    instanceProfiles: ((await c.iam.call('ListInstanceProfiles', {})).InstanceProfiles ?? []).filter((p: any) => p.Path === iamPath(name)).map((p: any) => p.InstanceProfileName),
  };
  const lbs = (await c.elbv2.call('DescribeLoadBalancers', {})).LoadBalancers ?? [];
  const tgs = (await c.elbv2.call('DescribeTargetGroups', {})).TargetGroups ?? [];
  const arns = [...ids(lbs, 'LoadBalancerArn'), ...ids(tgs, 'TargetGroupArn')];
  const tagged = new Set<string>();
  for (let i = 0; i < arns.length; i += 20) {
    for (const d of (await c.elbv2.call('DescribeTags', { ResourceArns: arns.slice(i, i + 20) })).TagDescriptions ?? []) {
      if ((d.Tags ?? []).some((t: any) => t.Key === 'k8sup.io/cluster' && t.Value === name)) tagged.add(d.ResourceArn!);
    }
  }
  out.loadBalancers = ids(lbs, 'LoadBalancerArn').filter((a: string) => tagged.has(a));
  out.targetGroups = ids(tgs, 'TargetGroupArn').filter((a: string) => tagged.has(a));
  return out;
}

export function total(r: Record<string, string[]>): number {
  return Object.values(r).reduce((n, xs) => n + xs.length, 0);
}
