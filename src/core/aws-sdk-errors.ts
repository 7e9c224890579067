// How AWS SDK v3 errors map to the engine's retry classes. Shared by the S3 state store (src/state/s3.ts) and the AWS
// provider (providers/aws/errors.ts), so the store does not reach into a provider. Codes differ per service (EC2
// `RequestLimitExceeded`, IAM `Throttling`, S3 `SlowDown`, ELB `LoadBalancerNotFound`, Auto Scaling
// `ValidationError … not found`), so this looks at the error name/code, the HTTP status and, for network failures,
// the Node error code.

import type { ErrorClass } from './resource.js';
import { InvalidInputError } from './errors.js';

const THROTTLED = new Set([
  'Throttling', 'ThrottlingException', 'ThrottledException', 'RequestLimitExceeded', 'RequestThrottled',
  'RequestThrottledException', 'TooManyRequestsException', 'SlowDown', 'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException', 'BandwidthLimitExceeded', 'EC2ThrottledException',
]);
const TRANSIENT = new Set([
  'InternalError', 'InternalFailure', 'InternalServerError', 'ServiceUnavailable', 'ServiceUnavailableException',
  'Unavailable', 'RequestTimeout', 'RequestTimeoutException', 'TimeoutError', 'IDPCommunicationError',
  'EventualConsistencyError', 'IncorrectState', 'IncorrectInstanceState', 'OperationNotPermitted',
]);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'UND_ERR_SOCKET']);
const DEPENDENCY = new Set([
  'DependencyViolation', 'ResourceInUse', 'ResourceInUseException', 'ResourceInUseFault', 'DeleteConflict',
  'ScalingActivityInProgress', 'ScalingActivityInProgressFault', 'InvalidIPAddress.InUse',
]);
const NOT_FOUND = new Set([
  'NoSuchEntity', 'NoSuchHostedZone', 'LoadBalancerNotFound', 'TargetGroupNotFound', 'ListenerNotFound',
  'NotFound', 'ResourceNotFoundException', 'InvalidInternetGatewayID.NotFound', 'Gateway.NotAttached',
  'InvalidAssociationID.NotFound', 'InvalidPermission.NotFound',
]);

/** The service's error code (`DependencyViolation`, `InvalidVpcID.NotFound` …) or the network error code. */
export function errorCode(err: unknown): string | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { name?: string; Code?: string; code?: string; cause?: { code?: string } };
  return e.Code ?? (e.name && e.name !== 'Error' ? e.name : undefined) ?? e.code ?? e.cause?.code;
}

export function classifyAwsError(err: unknown): ErrorClass {
  if (!err || typeof err !== 'object') return 'fatal';
  const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string }; $metadata?: { httpStatusCode?: number } };
  if (e.name === 'AbortError') return 'fatal';
  const code = errorCode(err) ?? '';
  const message = e.message ?? '';
  const status = e.$metadata?.httpStatusCode;
  if (THROTTLED.has(code) || status === 429 || /rate exceeded|throttl/i.test(message)) return 'throttled';
  if (NETWORK.has(e.code ?? '') || NETWORK.has(e.cause?.code ?? '') || NETWORK.has(code) || /socket hang up|ECONNRESET/.test(message)) return 'transient';
  // The SDK's "Deserialization error": a reply it could not parse (cut short or garbled on the way). Every call is
  // safe to repeat (reads, and creates that adopt their own object), so it is retried like a reset connection.
  if (/^Deserialization error/.test(message.trim())) return 'transient';
  if (TRANSIENT.has(code) || (status !== undefined && status >= 500)) return 'transient';
  if (DEPENDENCY.has(code)) return 'dependency';
  if (NOT_FOUND.has(code) || /NotFound(Exception|Fault)?$/.test(code)) return 'not-found';
  // Auto Scaling reports a missing group as a generic ValidationError.
  if (code === 'ValidationError' && /not found/i.test(message)) return 'not-found';
  return 'fatal';
}

/**
 * `AWS_MAX_ATTEMPTS`, the AWS SDKs' standard setting for how many times one request is tried. k8sup switches the
 * SDK's own retries off and retries itself (one bounded loop per call, which knows when it replays a write), so it
 * reads the setting here: the AWS provider's calls and the S3 state store's calls honour it; unset, `fallback`.
 */
export function awsMaxAttempts(env: Record<string, string | undefined>, fallback: number): number {
  const raw = env.AWS_MAX_ATTEMPTS;
  if (raw === undefined || raw === '') return fallback;
  if (!/^[1-9][0-9]*$/.test(raw)) {
    throw new InvalidInputError(`AWS_MAX_ATTEMPTS=${raw} is not a number of attempts`, { hint: 'Set AWS_MAX_ATTEMPTS to a whole number from 1 (one try, no retry), or unset it for the default of ' + fallback + '.' });
  }
  return Number(raw);
}
