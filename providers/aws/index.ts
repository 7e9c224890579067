// The AWS provider: pure model builders (model/), one handler per resource kind (resources/), lazily constructed
// SDK clients (clients.ts) and error classification (errors.ts). See docs/aws.md.

import type { Cluster } from '../../src/api/types.js';
import { assertZonesAvailable } from '../../src/api/zones.js';
import { InvalidInputError, OperationError } from '../../src/core/errors.js';
import type { ConnectOptions, Provider } from '../../src/core/provider.js';
import type { ErrorClass, ResourceHandler } from '../../src/core/resource.js';
import { createAwsClients, type AwsClients, type CallRecord } from './clients.js';
import { classifyAwsError, errorCode } from './errors.js';
import { DNS_RECORD, INTERNAL_LOAD_BALANCER, LOAD_BALANCER } from './model/ids.js';
import { checkExistingNetwork } from './existing-network.js';
import { buildAwsGraph } from './model/index.js';
import { autoscalingGroupHandler } from './resources/autoscaling-group.js';
import { dnsRecordHandler } from './resources/dns-record.js';
import { iamRoleHandler } from './resources/iam-role.js';
import { instanceProfileHandler } from './resources/instance-profile.js';
import { internetGatewayHandler } from './resources/internet-gateway.js';
import { keyPairHandler } from './resources/key-pair.js';
import { launchTemplateHandler } from './resources/launch-template.js';
import { listenerHandler } from './resources/listener.js';
import { loadBalancerHandler } from './resources/load-balancer.js';
import { routeTableHandler } from './resources/route-table.js';
import { securityGroupRulesHandler } from './resources/security-group-rules.js';
import { securityGroupHandler } from './resources/security-group.js';
import { subnetHandler } from './resources/subnet.js';
import { targetGroupHandler } from './resources/target-group.js';
import { vpcHandler } from './resources/vpc.js';
import { elasticIpHandler } from './resources/elastic-ip.js';
import { natGatewayHandler } from './resources/nat-gateway.js';
import { sharedTagHandler } from './resources/shared-tag.js';
import { awsRollingUpdate } from './rolling-update.js';
import { awsCloud } from './cloud.js';

import { bootstrapBundles } from './model/compute.js';
export type { AwsClients, CallRecord } from './clients.js';
export { buildAwsGraph } from './model/index.js';

export const awsHandlers: ResourceHandler<AwsClients>[] = [
  vpcHandler,
  subnetHandler,
  internetGatewayHandler,
  routeTableHandler,
  elasticIpHandler,
  natGatewayHandler,
  sharedTagHandler,
  securityGroupHandler,
  securityGroupRulesHandler,
  iamRoleHandler,
  instanceProfileHandler,
  keyPairHandler,
  launchTemplateHandler,
  autoscalingGroupHandler,
  loadBalancerHandler,
  targetGroupHandler,
  listenerHandler,
  dnsRecordHandler,
];

const CREDENTIAL_ERRORS = /CredentialsProviderError|InvalidClientTokenId|UnrecognizedClientException|ExpiredToken|SignatureDoesNotMatch|AuthFailure|InvalidAccessKeyId|AccessDenied/;

export interface AwsProviderOptions {
  /** Observes every API call attempt (benchmarks, tests). */
  onCall?: (r: CallRecord) => void;
  /** Poll interval for waits (default 2 s). */
  pollMs?: number;
  /** Per-call attempts for retryable failures (default: the engine budget, DEFAULTS.maxAttempts). */
  maxAttempts?: number;
  baseDelayMs?: number;
}

function describeFailure(action: string, err: unknown): string {
  return `${action} failed: ${errorCode(err) ?? 'error'}: ${(err as Error)?.message ?? String(err)}`;
}

export async function connectAws(cluster: Cluster, opts: ConnectOptions, options: AwsProviderOptions = {}): Promise<AwsClients> {
  const spec = cluster.spec;
  const region = spec.region || opts.env.AWS_REGION || opts.env.AWS_DEFAULT_REGION || '';
  if (!region) throw new InvalidInputError('spec.region: no AWS region', { hint: 'Pass --zones (the region is derived from them) or set spec.region.' });
  const clients = createAwsClients(
    { cluster: cluster.metadata.name, region, dnsZone: spec.api.dnsZone ?? null, imageLookup: !spec.image },
    { env: opts.env, signal: opts.signal, onCall: options.onCall, maxAttempts: options.maxAttempts, baseDelayMs: options.baseDelayMs },
  );
  if (options.pollMs !== undefined) clients.pollMs = options.pollMs;

  try {
    await clients.sts.call('GetCallerIdentity');
  } catch (err) {
    const code = errorCode(err) ?? '';
    if (CREDENTIAL_ERRORS.test(code) || CREDENTIAL_ERRORS.test((err as Error)?.name ?? '')) {
      throw new OperationError(describeFailure('sts:GetCallerIdentity (checking AWS credentials)', err), {
        code: 'AwsCredentials',
        hint: 'Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or run `aws sso login`) and retry.',
        cause: err,
      });
    }
    throw new OperationError(describeFailure('sts:GetCallerIdentity', err), { hint: 'Check network access to AWS (or AWS_ENDPOINT_URL).', cause: err });
  }

  let zones: { ZoneName?: string; State?: string }[];
  try {
    zones = (await clients.ec2.call('DescribeAvailabilityZones', { AllAvailabilityZones: false })).AvailabilityZones ?? [];
  } catch (err) {
    const code = errorCode(err) ?? '';
    if (/UnauthorizedOperation|AccessDenied/.test(code)) {
      throw new OperationError(describeFailure(`ec2:DescribeAvailabilityZones in ${region}`, err), { hint: 'Grant ec2:DescribeAvailabilityZones to the caller.', cause: err });
    }
    if (/InvalidRegion|AuthFailure|OptInRequired|ENOTFOUND/.test(`${code} ${(err as Error)?.message}`) || (err as { code?: string })?.code === 'ENOTFOUND') {
      throw new InvalidInputError(`spec.region: AWS region ${region} is unknown or not enabled for this account (ec2:DescribeAvailabilityZones: ${code})`, {
        hint: 'Use zones of an enabled region (e.g. us-east-2a).',
        cause: err,
      });
    }
    throw new OperationError(describeFailure(`ec2:DescribeAvailabilityZones in ${region}`, err), { cause: err });
  }
  const available = new Set(zones.filter((z) => !z.State || z.State === 'available').map((z) => z.ZoneName));
  assertZonesAvailable(cluster, (z) => available.has(z), () => `is not available in ${region} (ec2:DescribeAvailabilityZones lists ${[...available].sort().join(', ') || 'none'})`);
  await checkExistingNetwork(cluster, clients);
  return clients;
}

export function terraformPreamble(cluster: Cluster): Record<string, unknown> {
  return {
    terraform: { required_version: '>= 1.5.0', required_providers: { aws: { source: 'hashicorp/aws', version: '>= 5.40.0' } } },
    provider: { aws: { region: cluster.spec.region } },
  };
}

/** `https://<api host>:6443`: the Route53 name when a DNS zone is used, else the load balancer's DNS name. */
export function apiEndpoint(outputs: Record<string, Record<string, unknown>>): string | undefined {
  // Without a public load balancer (spec.api.loadBalancerType internal) admins use the internal one.
  const host = outputs[DNS_RECORD]?.fqdn ?? outputs[LOAD_BALANCER]?.dns_name ?? outputs[INTERNAL_LOAD_BALANCER]?.dns_name;
  return host ? `https://${host}:6443` : undefined;
}

export function createAwsProvider(options: AwsProviderOptions = {}): Provider<AwsClients> {
  return {
    name: awsCloud.name,
    // Nodes fetch their bootstrap material from S3 with their instance role.
    // From the cloud's facts (cloud.ts): nodes read s3:// stores; orphaned clusters are found by their tags.
    nodeStateStoreSchemes: [`${awsCloud.nodes.store!.scheme}:`],
    discoversByOwnership: awsCloud.orphanScope !== undefined,
    handlers: awsHandlers,
    // The clients keep each API family's calls within its adaptive limit (call-limits.ts), so the engine need not
    // hold tasks back per service: a 50-group cluster's launch templates and groups all start when they are ready.
    concurrency: { defaultPerService: 64, total: 128 },
    buildGraph: buildAwsGraph,
    bootstrapBundles,
    connect: (cluster, opts) => connectAws(cluster, opts, options),
    classifyError: (err: unknown): ErrorClass => classifyAwsError(err),
    terraformPreamble,
    apiEndpoint,
    rollingUpdate: awsRollingUpdate,
  };
}

export const provider: Provider<AwsClients> = createAwsProvider();
export default provider;
