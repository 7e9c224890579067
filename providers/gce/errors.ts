// Maps Google Compute errors to the engine's retry classes. Errors come in two shapes: an HTTP error from the REST
// transport (google-gax GoogleError: `code` is the gRPC status mapped from the HTTP status, `errors[].reason` the
// Compute reason such as `rateLimitExceeded` or `resourceInUseByAnotherResource`), or an operation that finished
// with `error.errors[].code` (`RESOURCE_IN_USE_BY_ANOTHER_RESOURCE`, `QUOTA_EXCEEDED` …), which waitForOperation
// turns into a GceOperationError.

import type { ErrorClass } from '../../src/core/resource.js';

/** A long-running operation that finished with an error. */
export class GceOperationError extends Error {
  constructor(
    readonly operation: string,
    /** The first error code of the operation (`RESOURCE_IN_USE_BY_ANOTHER_RESOURCE`, …). */
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'GceOperationError';
  }
}

/** Marks an error that is expected to go away by itself (a just-created resource not yet visible). */
export class GceEventualConsistencyError extends Error {
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'GceEventualConsistencyError';
  }
}

/**
 * An HTTP error from a JSON API k8sup calls without google-gax (Cloud DNS). It carries the same shape as the
 * library's errors (`code` is the gRPC status of the HTTP status, `errors[].reason` the API's reason), so one
 * classifier serves both.
 */
export class GceHttpError extends Error {
  readonly code: number;
  readonly errors: { reason: string; message: string }[];
  constructor(
    readonly status: number,
    message: string,
    reasons: string[] = [],
  ) {
    super(message);
    this.name = 'GceHttpError';
    this.code = GRPC_FOR_HTTP[status] ?? (status >= 500 ? 13 : 2);
    this.errors = reasons.map((reason) => ({ reason, message }));
  }
}

// The HTTP → gRPC status mapping google-gax applies (google.rpc.Code).
const GRPC_FOR_HTTP: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 409: 10, 412: 9, 429: 8, 499: 1, 500: 13, 501: 12, 502: 14, 503: 14, 504: 4 };

// gRPC status codes google-gax maps HTTP statuses to (400→3, 403→7, 404→5, 409→10, 412→9, 429→8, 500→13, 503→14).
const GRPC = { INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, INTERNAL: 13, UNAVAILABLE: 14 } as const;

const THROTTLED_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'RATE_LIMIT_EXCEEDED', 'quotaExceeded_rate']);
const DEPENDENCY_REASONS = new Set(['resourceInUseByAnotherResource', 'RESOURCE_IN_USE_BY_ANOTHER_RESOURCE', 'resourceNotReady', 'RESOURCE_NOT_READY']);
// Compute answers reasons; IAM v1 a status name (`NOT_FOUND`, `ALREADY_EXISTS`).
const NOT_FOUND_REASONS = new Set(['notFound', 'RESOURCE_NOT_FOUND', 'NOT_FOUND']);
const ALREADY_EXISTS_REASONS = new Set(['alreadyExists', 'RESOURCE_ALREADY_EXISTS', 'ALREADY_EXISTS']);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'UND_ERR_SOCKET']);

interface GoogleErrorLike {
  name?: string;
  code?: number | string;
  message?: string;
  reason?: string;
  errors?: { reason?: string; code?: string }[];
  cause?: { code?: string };
}

/** Every Compute reason the error carries (`rateLimitExceeded`, `RESOURCE_IN_USE_BY_ANOTHER_RESOURCE`, …). */
export function gceReasons(err: unknown): string[] {
  const e = err as GoogleErrorLike | undefined;
  if (!e || typeof e !== 'object') return [];
  const out: string[] = [];
  if (typeof e.reason === 'string') out.push(e.reason);
  for (const x of e.errors ?? []) {
    if (x?.reason) out.push(x.reason);
    if (x?.code) out.push(x.code);
  }
  return out;
}

/** The HTTP-ish status of an error: gRPC codes from google-gax, numbers from elsewhere. */
function grpcCode(err: GoogleErrorLike): number | undefined {
  return typeof err.code === 'number' ? err.code : undefined;
}

export function isAlreadyExists(err: unknown): boolean {
  const e = err as GoogleErrorLike;
  return gceReasons(err).some((r) => ALREADY_EXISTS_REASONS.has(r)) || (grpcCode(e) === GRPC.ABORTED && /already exists/i.test(e.message ?? '')) || grpcCode(e) === GRPC.ALREADY_EXISTS;
}

export function classifyGceError(err: unknown): ErrorClass {
  if (!err || typeof err !== 'object') return 'fatal';
  const e = err as GoogleErrorLike;
  if (e.name === 'AbortError') return 'fatal';
  const reasons = gceReasons(err);
  const code = grpcCode(e);
  const message = e.message ?? '';
  if (e.name === 'GceEventualConsistencyError') return 'transient';
  if (reasons.some((r) => THROTTLED_REASONS.has(r)) || code === GRPC.RESOURCE_EXHAUSTED || /rate limit exceeded/i.test(message)) return 'throttled';
  if (reasons.some((r) => DEPENDENCY_REASONS.has(r)) || /is already being used by|resource.*in use/i.test(message)) return 'dependency';
  if (reasons.some((r) => NOT_FOUND_REASONS.has(r)) || code === GRPC.NOT_FOUND) return 'not-found';
  if (code === GRPC.UNAVAILABLE || code === GRPC.INTERNAL || code === GRPC.DEADLINE_EXCEEDED || reasons.includes('backendError')) return 'transient';
  if (NETWORK.has(String(e.code ?? '')) || NETWORK.has(e.cause?.code ?? '') || /socket hang up|ECONNRESET|fetch failed/.test(message)) return 'transient';
  return 'fatal';
}
