// AWS clients behind one narrow, typed interface: `call(operation, input)` per service, with the input and output
// types of the SDK's `<operation>Command` (type-only imports: no SDK code is loaded by them). The SDK is imported
// lazily on the first call (so `k8sup version` never loads it), credentials and endpoints come from the injected env, and the SDK's
// own retries are switched off: a retried *mutating* call after a lost response could create a duplicate VPC, so
// retries are decided here (read-only calls, and calls the service explicitly refused) and by the engine (whole
// tasks, whose create() first looks for an object carrying the same k8sup.io/id tag).

import { classifyAwsError, errorCode } from './errors.js';
import { partitionOf } from './model/partition.js';
import { sleep } from '../../src/core/sleep.js';
import { backoffDelay, DEFAULTS } from '../../src/core/executor.js';
import { awsMaxAttempts } from '../../src/core/aws-sdk-errors.js';
import type { AdaptiveLimit, AdaptiveLimitOptions, CallOutcome } from '../../src/core/adaptive-limit.js';
import { callFamily, callLimiters, type CallFamily } from './call-limits.js';

import type * as Ec2 from '@aws-sdk/client-ec2';
import type * as Iam from '@aws-sdk/client-iam';
import type * as Elbv2 from '@aws-sdk/client-elastic-load-balancing-v2';
import type * as AutoScaling from '@aws-sdk/client-auto-scaling';
import type * as Route53 from '@aws-sdk/client-route-53';
import type * as Sts from '@aws-sdk/client-sts';

/** The SDK module of each service (types only). */
interface SdkModules {
  ec2: typeof Ec2;
  iam: typeof Iam;
  elbv2: typeof Elbv2;
  autoscaling: typeof AutoScaling;
  route53: typeof Route53;
  sts: typeof Sts;
}

export type AwsService = keyof SdkModules;

/** `{ DescribeVpcs: { input, output } … }` from a module's `<operation>Command` classes. */
type Operations<M> = {
  [K in keyof M as K extends `${infer Op}Command` ? Op : never]: M[K] extends abstract new (...args: never) => infer C
    ? C extends { readonly input: infer I; resolveMiddleware(...args: never[]): (...args: never[]) => Promise<{ output: infer O }> }
      ? { input: I; output: O }
      : never
    : never;
};

export type OperationName<S extends AwsService> = keyof Operations<SdkModules[S]> & string;
export type OperationInput<S extends AwsService, Op extends OperationName<S>> = Operations<SdkModules[S]>[Op] extends { input: infer I } ? I : never;
export type OperationOutput<S extends AwsService, Op extends OperationName<S>> = Operations<SdkModules[S]>[Op] extends { output: infer O } ? O : never;
/** The input may be left out when every field of it is optional. */
type InputArgs<I> = Record<string, never> extends I ? [input?: I] : [input: I];

export interface AwsApi<S extends AwsService> {
  /** Sends `<operation>Command` with `input`; returns the SDK's output object. */
  call<Op extends OperationName<S>>(operation: Op, ...input: InputArgs<OperationInput<S, Op>>): Promise<OperationOutput<S, Op>>;
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
  ec2: AwsApi<'ec2'>;
  iam: AwsApi<'iam'>;
  elbv2: AwsApi<'elbv2'>;
  autoscaling: AwsApi<'autoscaling'>;
  route53: AwsApi<'route53'>;
  sts: AwsApi<'sts'>;
  /** Per-connection memo of read-only lookups (the image lookup runs once per command, not once per template). */
  memo: Map<string, Promise<unknown>>;
  /** Polling interval for waits (instances terminating, ASG deletion); tests shorten it. */
  pollMs: number;
  /** The calls in flight per API family (providers/aws/call-limits.ts), shared by every service's client. */
  limiters: Record<CallFamily, AdaptiveLimit>;
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
  /** Other starting points for the per-family adaptive limits (tests). */
  callLimits?: Partial<Record<CallFamily, AdaptiveLimitOptions>>;
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

/** What an answer tells the family's limit: only a throttling answer lowers it. */
function callOutcome(err: unknown): CallOutcome {
  return classifyAwsError(err) === 'throttled' ? 'throttled' : 'error';
}

/** What this file uses of a loaded SDK module: its client class and its command classes, by name. */
interface SdkClient {
  send(command: object, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}
type LoadedModule = Record<string, new (arg: object) => object>;

function makeApi<S extends AwsService>(service: S, opts: ClientOptions, limiters: Record<CallFamily, AdaptiveLimit>): AwsApi<S> {
  let loaded: Promise<{ client: SdkClient; mod: LoadedModule }> | undefined;
  const load = () =>
    (loaded ??= (async () => {
      const spec = MODULES[service];
      const mod = (await import(spec.pkg)) as LoadedModule;
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
        // With an endpoint override every credential works (CONTRACT); do not let the chain probe IMDS for minutes.
        config.credentials = { accessKeyId: 'k8sup-dummy', secretAccessKey: 'k8sup-dummy' };
      } else if (env.AWS_PROFILE) {
        config.profile = env.AWS_PROFILE;
      }
      return { client: new mod[spec.client](config) as SdkClient, mod };
    })());

  // The same bounded budget as the engine's tasks and the state store (src/state/retry.ts): calls made outside a task
  // (connect-time identity and zone lookups) have no engine retry above them, and five attempts ran out under the
  // fault soak's 20% throttling. AWS_MAX_ATTEMPTS (the SDKs' standard setting) changes it.
  const maxAttempts = opts.maxAttempts ?? awsMaxAttempts(opts.env, DEFAULTS.maxAttempts);
  const base = opts.baseDelayMs ?? DEFAULTS.baseDelayMs;
  return {
    async call<Op extends OperationName<S>>(operation: Op, ...args: InputArgs<OperationInput<S, Op>>): Promise<OperationOutput<S, Op>> {
      const input: object = args[0] ?? {};
      const { client, mod } = await load();
      const Command = mod[`${operation}Command`];
      if (!Command) throw new Error(`${MODULES[service].pkg} has no ${operation}Command`);
      const readOnly = READ_ONLY.test(operation);
      const limiter = limiters[callFamily(service, operation)];
      for (let attempt = 1; ; attempt++) {
        try {
          // Each attempt holds a slot of its family only while it is on the wire; the backoff below waits outside.
          const out = await limiter.run(() => client.send(new Command(input), opts.signal ? { abortSignal: opts.signal } : undefined), callOutcome, opts.signal);
          opts.onCall?.({ service, operation, ok: true });
          return out as OperationOutput<S, Op>;
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
  const limiters = callLimiters(opts.callLimits);
  return {
    settings: { ...settings, partition: partitionOf(settings.region) },
    ec2: makeApi('ec2', o, limiters),
    iam: makeApi('iam', o, limiters),
    elbv2: makeApi('elbv2', o, limiters),
    autoscaling: makeApi('autoscaling', o, limiters),
    route53: makeApi('route53', o, limiters),
    sts: makeApi('sts', o, limiters),
    pollMs: 2000,
    memo: new Map(),
    limiters,
  };
}
