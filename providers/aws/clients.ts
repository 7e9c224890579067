// AWS clients behind one narrow interface: `call(operation, input)` per service. The SDK is imported lazily on the
// first call (so `k8sup version` never loads it), credentials and endpoints come from the injected env, and the SDK's
// own retries are switched off: a retried *mutating* call after a lost response could create a duplicate VPC, so
// retries are decided here (read-only calls, and calls the service explicitly refused) and by the engine (whole
// tasks, whose create() first looks for an object carrying the same k8sup.io/id tag).

import { classifyAwsError, errorCode } from './errors.js';
import { partitionOf } from './model/partition.js';
import { sleep } from '../../src/core/sleep.js';
import { backoffDelay, DEFAULTS } from '../../src/core/executor.js';

export type AwsService = 'ec2' | 'iam' | 'elbv2' | 'autoscaling' | 'route53' | 'sts';

export interface AwsApi {
  /** Sends `<operation>Command` with `input`; returns the SDK's output object. */
  call(operation: string, input?: Record<string, unknown>): Promise<any>;
}

/** Spec values list() needs that are not tags (the DNS zone to look in, whether the image is looked up). */
export interface AwsSettings {
  cluster: string;
  region: string;
  partition: string;
  dnsZone: string | null;
  /** False when spec.image pins an AMI: no image lookup resource then. */
  imageLookup: boolean;
}

export interface AwsClients {
  settings: AwsSettings;
  ec2: AwsApi;
  iam: AwsApi;
  elbv2: AwsApi;
  autoscaling: AwsApi;
  route53: AwsApi;
  sts: AwsApi;
  /** Per-connection memo of read-only lookups (the image lookup runs once per command, not once per template). */
  memo: Map<string, Promise<unknown>>;
  /** Polling interval for waits (instances terminating, ASG deletion); tests shorten it. */
  pollMs: number;
}

export interface CallRecord {
  service: AwsService;
  operation: string;
  ok: boolean;
  code?: string;
}

export interface ClientOptions {
  env: Record<string, string | undefined>;
  region: string;
  /** Called once per HTTP attempt; benchmarks and tests count API calls with it. */
  onCall?: (r: CallRecord) => void;
  /** Attempts per call for retryable failures (default: the engine's and the state store's budget). */
  maxAttempts?: number;
  baseDelayMs?: number;
  signal?: AbortSignal;
}

const MODULES: Record<AwsService, { pkg: string; client: string; envName: string }> = {
  ec2: { pkg: '@aws-sdk/client-ec2', client: 'EC2Client', envName: 'EC2' },
  iam: { pkg: '@aws-sdk/client-iam', client: 'IAMClient', envName: 'IAM' },
  elbv2: { pkg: '@aws-sdk/client-elastic-load-balancing-v2', client: 'ElasticLoadBalancingV2Client', envName: 'ELASTIC_LOAD_BALANCING_V2' },
  autoscaling: { pkg: '@aws-sdk/client-auto-scaling', client: 'AutoScalingClient', envName: 'AUTO_SCALING' },
  route53: { pkg: '@aws-sdk/client-route-53', client: 'Route53Client', envName: 'ROUTE_53' },
  sts: { pkg: '@aws-sdk/client-sts', client: 'STSClient', envName: 'STS' },
};

/** `AWS_ENDPOINT_URL_<SERVICE>` wins over `AWS_ENDPOINT_URL` (the SDK's own convention). */
export function endpointFor(service: AwsService, env: Record<string, string | undefined>): string | undefined {
  return env[`AWS_ENDPOINT_URL_${MODULES[service].envName}`] || env.AWS_ENDPOINT_URL || undefined;
}

function globalRegion(region: string): string {
  if (region.startsWith('cn-')) return 'cn-north-1';
  if (region.startsWith('us-gov-')) return 'us-gov-west-1';
  return 'us-east-1';
}

const READ_ONLY = /^(Describe|List|Get)/;


/** True when the service answered and said it did not do the work (so repeating cannot duplicate anything). */
function refusedByService(err: unknown): boolean {
  const cls = classifyAwsError(err);
  if (cls === 'throttled') return true;
  const status = (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return status === 503;
}

function makeApi(service: AwsService, opts: ClientOptions): AwsApi {
  let loaded: Promise<{ client: any; mod: any }> | undefined;
  const load = () =>
    (loaded ??= (async () => {
      const spec = MODULES[service];
      const mod: any = await import(spec.pkg);
      const env = opts.env;
      const endpoint = endpointFor(service, env);
      const config: Record<string, unknown> = {
        // IAM and Route53 are global services signed in their partition's home region.
        region: service === 'iam' || service === 'route53' ? globalRegion(opts.region) : opts.region,
        maxAttempts: 1,
      };
      if (endpoint) config.endpoint = endpoint;
      if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
        config.credentials = {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        };
      } else if (endpoint) {
        // With an endpoint override any credentials work (CONTRACT); do not let the chain probe IMDS for minutes.
        config.credentials = { accessKeyId: 'k8sup-dummy', secretAccessKey: 'k8sup-dummy' };
      } else if (env.AWS_PROFILE) {
        config.profile = env.AWS_PROFILE;
      }
      return { client: new mod[spec.client](config), mod };
    })());

  // The same bounded budget as the engine's tasks and the state store (src/state/retry.ts): calls made outside a task
  // (connect-time identity and zone lookups) have no engine retry above them, and five attempts ran out under the
  // fault soak's 20% throttling.
  const maxAttempts = opts.maxAttempts ?? DEFAULTS.maxAttempts;
  const base = opts.baseDelayMs ?? DEFAULTS.baseDelayMs;
  return {
    async call(operation, input = {}) {
      const { client, mod } = await load();
      const Command = mod[`${operation}Command`];
      if (!Command) throw new Error(`${MODULES[service].pkg} has no ${operation}Command`);
      const readOnly = READ_ONLY.test(operation);
      for (let attempt = 1; ; attempt++) {
        try {
          const out = await client.send(new Command(input), opts.signal ? { abortSignal: opts.signal } : undefined);
          opts.onCall?.({ service, operation, ok: true });
          return out;
        } catch (err) {
          opts.onCall?.({ service, operation, ok: false, code: errorCode(err) });
          const cls = classifyAwsError(err);
          const retryable = refusedByService(err) || (readOnly && (cls === 'transient' || cls === 'throttled'));
          if (!retryable || attempt >= maxAttempts || opts.signal?.aborted) {
            if (err && typeof err === 'object') (err as { k8supAction?: string }).k8supAction = `${service}:${operation}`;
            throw err;
          }
          await sleep(backoffDelay(attempt, base, DEFAULTS.maxDelayMs, Math.random), opts.signal);
        }
      }
    },
  };
}

/** Creates lazily-loaded clients for every service the provider uses. No network call happens here. */
export function createAwsClients(settings: Omit<AwsSettings, 'partition'>, opts: Omit<ClientOptions, 'region'>): AwsClients {
  const o: ClientOptions = { ...opts, region: settings.region };
  return {
    settings: { ...settings, partition: partitionOf(settings.region) },
    ec2: makeApi('ec2', o),
    iam: makeApi('iam', o),
    elbv2: makeApi('elbv2', o),
    autoscaling: makeApi('autoscaling', o),
    route53: makeApi('route53', o),
    sts: makeApi('sts', o),
    pollMs: 2000,
    memo: new Map(),
  };
}
