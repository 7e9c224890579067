// The narrow slice of the Kubernetes API that validation reads, over @kubernetes/client-node (loaded lazily).
// Every request is bounded (per-request timeout plus the caller's signal). Errors are sorted into two kinds:
// "the API is not (yet) answering" → ApiUnavailableError, reported as an `api` failure and retried under --wait;
// "our credentials or trust are wrong" → OperationError (exit 1), since waiting will not fix them.

import type { CoreV1Event, KubeConfig, V1DaemonSet, V1Deployment, V1Node, V1Pod } from '@kubernetes/client-node';
import { InvalidInputError, OperationError } from '../core/errors.js';
import type { KubeTarget } from './types.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** The API server did not answer usefully; the message says why. */
export class ApiUnavailableError extends Error {}

export interface KubeReader {
  /** The API server URL from the kubeconfig. */
  server: string;
  readyz(): Promise<{ statusCode: number; body: string }>;
  listNodes(): Promise<V1Node[]>;
  /** Pods of one namespace, or of every namespace when `namespace` is undefined. */
  listPods(namespace: string | undefined, labelSelector?: string): Promise<V1Pod[]>;
  /** undefined when the DaemonSet does not exist. */
  readDaemonSet(namespace: string, name: string): Promise<V1DaemonSet | undefined>;
  readDeployment(namespace: string, name: string): Promise<V1Deployment | undefined>;
  /** One page (at most `limit`) of core/v1 events of every namespace; `continue` is the server's token for the next. */
  listEvents(page: { limit: number; continue?: string }): Promise<{ items: CoreV1Event[]; continue?: string }>;
}

export interface KubeReaderOptions {
  signal?: AbortSignal;
  requestTimeoutMs?: number;
}

// Node's codes for "the server's certificate is not trusted by the kubeconfig's CA".
const TLS_TRUST_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const CREDENTIALS_HINT = 'Re-export credentials with `k8sup export kubeconfig NAME --admin 1h`, or pass --kubeconfig/--context';

let clientModule: Promise<typeof import('@kubernetes/client-node')> | undefined;
function loadClient(): Promise<typeof import('@kubernetes/client-node')> {
  clientModule ??= import('@kubernetes/client-node');
  return clientModule;
}

export async function loadKubeConfig(target: KubeTarget): Promise<KubeConfig> {
  const k8s = await loadClient();
  const kc = new k8s.KubeConfig();
  try {
    kc.loadFromString(target.kubeconfigYaml);
  } catch (e) {
    throw new InvalidInputError(`the kubeconfig is not valid: ${(e as Error).message}`, { cause: e, hint: CREDENTIALS_HINT });
  }
  if (target.context !== undefined) {
    if (!kc.getContextObject(target.context)) {
      const known = kc.getContexts().map((c) => c.name).join(', ') || 'none';
      throw new InvalidInputError(`context "${target.context}" is not in the kubeconfig (contexts: ${known})`, {
        hint: 'Pass one of the listed contexts with --context, or omit it to use current-context',
      });
    }
    kc.setCurrentContext(target.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new InvalidInputError('the kubeconfig names no cluster for its current context', { hint: CREDENTIALS_HINT });
  }
  return kc;
}

function errorCode(e: unknown): string | undefined {
  const err = e as { code?: unknown; cause?: { code?: unknown } };
  if (typeof err?.code === 'string') return err.code;
  if (typeof err?.cause?.code === 'string') return err.cause.code;
  return undefined;
}

/** The `message` of a Kubernetes Status body, if the error carries one. */
function statusMessage(body: unknown): string {
  if (typeof body === 'string') {
    try {
      return statusMessage(JSON.parse(body));
    } catch {
      return body.slice(0, 200);
    }
  }
  const msg = (body as { message?: unknown } | undefined)?.message;
  return typeof msg === 'string' ? msg : '';
}

/** Turns any request failure into ApiUnavailableError, OperationError, or the caller's abort reason. */
export function classifyRequestError(e: unknown, what: string, server: string, opts: KubeReaderOptions): Error {
  if (opts.signal?.aborted) return opts.signal.reason instanceof Error ? opts.signal.reason : new Error('validation was cancelled');
  const status = httpStatus(e);
  if (status !== undefined) {
    const detail = statusMessage((e as { body?: unknown }).body);
    if (status === 401) {
      return new OperationError(`the API server at ${server} rejected the credentials (401 Unauthorized)`, { cause: e, code: 'Unauthorized', hint: CREDENTIALS_HINT });
    }
    if (status === 403) {
      return new OperationError(`the API server at ${server} refused to ${what} (403 Forbidden)${detail ? `: ${detail}` : ''}`, {
        cause: e,
        code: 'Forbidden',
        hint: 'Validation needs read access to nodes, and to pods, DaemonSets and Deployments in kube-system; ' + CREDENTIALS_HINT,
      });
    }
    return new ApiUnavailableError(`${what}: HTTP ${status}${detail ? `: ${detail}` : ''}`);
  }
  const name = (e as { name?: unknown })?.name;
  if (name === 'AbortError' || name === 'TimeoutError') {
    const secs = (opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS) / 1000;
    return new ApiUnavailableError(`${what}: no answer from ${server} within ${secs}s`);
  }
  const code = errorCode(e);
  if (code && TLS_TRUST_ERRORS.has(code)) {
    return new OperationError(`the API server at ${server} presented a certificate the kubeconfig does not trust (${code})`, {
      cause: e,
      code: 'TlsVerification',
      hint: "The kubeconfig's certificate-authority-data must be the cluster CA; " + CREDENTIALS_HINT,
    });
  }
  const message = (e as Error)?.message ?? String(e);
  return new ApiUnavailableError(`${what}: cannot reach ${server}${code && !message.includes(code) ? ` (${code})` : ''}: ${message}`);
}

function requestSignal(opts: KubeReaderOptions): AbortSignal {
  const timeout = AbortSignal.timeout(opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  return opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
}

/**
 * Options for one call of the generated client: a fresh bounded signal, attached by a request middleware. The
 * generated client types its options as Configuration; this object matches its runtime shape, hence `never`.
 */
export function requestOptions(opts: KubeReaderOptions): never {
  const signal = requestSignal(opts);
  return {
    middleware: [
      {
        pre: (ctx: { setSignal(s: AbortSignal): void }) => {
          ctx.setSignal(signal);
          return { toPromise: () => Promise.resolve(ctx) };
        },
        post: (ctx: unknown) => ({ toPromise: () => Promise.resolve(ctx) }),
      },
    ],
    middlewareMergeStrategy: 'append',
  } as never;
}

/** The HTTP status of a failed generated-client call (ApiException.code), if it has one. */
export function httpStatus(e: unknown): number | undefined {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

export async function openKubeReader(target: KubeTarget, opts: KubeReaderOptions = {}): Promise<KubeReader> {
  const k8s = await loadClient();
  const kc = await loadKubeConfig(target);
  const server = kc.getCurrentCluster()!.server;
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);

  async function call<T>(what: string, fn: (o: never) => Promise<T>): Promise<T> {
    try {
      return await fn(requestOptions(opts));
    } catch (e) {
      throw classifyRequestError(e, what, server, opts);
    }
  }

  async function orUndefinedOn404<T>(what: string, fn: (o: never) => Promise<T>): Promise<T | undefined> {
    try {
      return await fn(requestOptions(opts));
    } catch (e) {
      if (httpStatus(e) === 404) return undefined;
      throw classifyRequestError(e, what, server, opts);
    }
  }

  return {
    server,
    readyz: () => readyzVerbose(kc, server, opts),
    listNodes: () => call('list nodes', async (o) => (await core.listNode({}, o)).items),
    listPods: (namespace, labelSelector) =>
      namespace === undefined
        ? call('list pods in all namespaces', async (o) => (await core.listPodForAllNamespaces({ labelSelector }, o)).items)
        : call(`list pods in ${namespace}`, async (o) => (await core.listNamespacedPod({ namespace, labelSelector }, o)).items),
    readDaemonSet: (namespace, name) =>
      orUndefinedOn404(`read DaemonSet ${namespace}/${name}`, (o) => apps.readNamespacedDaemonSet({ namespace, name }, o)),
    readDeployment: (namespace, name) =>
      orUndefinedOn404(`read Deployment ${namespace}/${name}`, (o) => apps.readNamespacedDeployment({ namespace, name }, o)),
    listEvents: (page) =>
      call('list events in all namespaces', async (o) => {
        const list = await core.listEventForAllNamespaces({ limit: page.limit, _continue: page.continue }, o);
        return { items: list.items, continue: list.metadata?._continue || undefined };
      }),
  };
}

/** GET /readyz?verbose with the kubeconfig's TLS material. The client library's Health class hides the check list. */
async function readyzVerbose(kc: KubeConfig, server: string, opts: KubeReaderOptions): Promise<{ statusCode: number; body: string }> {
  const https = await import('node:https');
  const http = await import('node:http');
  const reqOpts: import('node:https').RequestOptions = {};
  await kc.applyToHTTPSOptions(reqOpts);
  const url = new URL(server.replace(/\/+$/, '') + '/readyz?verbose');
  const signal = requestSignal(opts);
  try {
    return await new Promise((resolve, reject) => {
      const transport = url.protocol === 'http:' ? http : https;
      const req = transport.request(
        url,
        { method: 'GET', agent: url.protocol === 'http:' ? undefined : reqOpts.agent, headers: reqOpts.headers, auth: reqOpts.auth, signal },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    }).then((r) => {
      const { statusCode, body } = r as { statusCode: number; body: string };
      // Same meaning as for the typed calls: 401/403 are credential problems, not an unready API.
      if (statusCode === 401 || statusCode === 403) throw Object.assign(new Error(body), { code: statusCode, body });
      return { statusCode, body };
    });
  } catch (e) {
    throw classifyRequestError(e, 'GET /readyz', server, opts);
  }
}
