// Google Compute clients behind one narrow interface: `call(service, method, request)`, `list`, `aggregatedList`
// and `mutate` (call + wait for the long-running operation). @google-cloud/compute is imported lazily on the first
// call (it takes over a second to load), always over its REST transport. K8SUP_GCE_ENDPOINT=http://host:port points
// every client at another endpoint; then a dummy auth client is used, so no Google credentials are needed.
// Cloud DNS has no client in that library: `dns()` sends its JSON requests with fetch, authenticated by the very auth
// client the Compute clients use (their GoogleAuth, whose scopes include cloud-platform; or the dummy one), and
// K8SUP_GCE_ENDPOINT serves its paths (`/dns/v1/projects/…`) too.

import { GceHttpError, GceOperationError } from './errors.js';
import { sleep } from '../../src/core/sleep.js';
import { lastSegment } from './model/names.js';

export type GceService =
  | 'networks'
  | 'subnetworks'
  | 'firewalls'
  | 'addresses'
  | 'regionHealthChecks'
  | 'regionBackendServices'
  | 'forwardingRules'
  | 'regionTargetTcpProxies'
  | 'routers'
  | 'instanceTemplates'
  | 'instanceGroupManagers'
  | 'zones'
  | 'globalOperations'
  | 'regionOperations'
  | 'zoneOperations';

const CLIENT_CLASSES: Record<GceService, string> = {
  networks: 'NetworksClient',
  subnetworks: 'SubnetworksClient',
  firewalls: 'FirewallsClient',
  addresses: 'AddressesClient',
  regionHealthChecks: 'RegionHealthChecksClient',
  regionBackendServices: 'RegionBackendServicesClient',
  forwardingRules: 'ForwardingRulesClient',
  regionTargetTcpProxies: 'RegionTargetTcpProxiesClient',
  routers: 'RoutersClient',
  instanceTemplates: 'InstanceTemplatesClient',
  instanceGroupManagers: 'InstanceGroupManagersClient',
  zones: 'ZonesClient',
  globalOperations: 'GlobalOperationsClient',
  regionOperations: 'RegionOperationsClient',
  zoneOperations: 'ZoneOperationsClient',
};

/** The subset of a Compute Operation we read. */
export interface GceOperation {
  name?: string | null;
  status?: string | null;
  zone?: string | null;
  region?: string | null;
  targetLink?: string | null;
  error?: { errors?: { code?: string | null; message?: string | null }[] | null } | null;
}

/** The Cloud DNS managed zone spec.api.dnsZone names, found by its DNS name at connect time. */
export interface GceDnsZone {
  /** The managed zone's resource name (`example-com`), used in API paths. */
  managedZone: string;
  /** Its DNS name with the trailing dot (`example.com.`). */
  dnsName: string;
}

export interface GceSettings {
  cluster: string;
  project: string;
  region: string;
  /** Set by connect when spec.api.dnsZone is. */
  dnsZone?: GceDnsZone | null;
  /** The state store's bucket (gs:// stores): where the roles' conditional bindings live. Set by connect. */
  stateBuckets?: string[];
}

/** One Cloud DNS REST request; `path` is relative to `/dns/v1/projects/<project>/`. */
export interface DnsRequest {
  method?: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
}

/** Cloud DNS v1 collections, for call records. */
export type DnsService = 'managedZones' | 'resourceRecordSets' | 'changes';
/** IAM v1 and Cloud Storage JSON v1 collections k8sup calls (per-role identity), for call records. */
export type IamService = 'serviceAccounts';
export type StorageService = 'bucketIamPolicy' | 'buckets';
/** Cloud Resource Manager v1: the project's IAM policy (the cloud controllers' roles, model/identity.ts). */
export type ResourceManagerService = 'projectIamPolicy';

export interface CallRecord {
  service: GceService | DnsService | IamService | StorageService | ResourceManagerService;
  method: string;
  ok: boolean;
}

/** An API answer as JSON-shaped data: its fields are read with narrowing (or a caller-declared shape `T`). */
export type ApiObject = Record<string, unknown>;

// The type parameters below name the answer shape the caller relies on; the value is the API's answer, unchecked.
export interface GceApi {
  /** One API call; returns the response object (the first element of the library's result tuple). */
  call<T = ApiObject>(service: GceService, method: string, request: Record<string, unknown>): Promise<T>;
  /** Every item of a (paged) list call, with an optional `filter`. */
  list<T = ApiObject>(service: GceService, request: Record<string, unknown>): Promise<T[]>;
  /** Every item of an aggregatedList call across all zones/regions. */
  aggregatedList<T = ApiObject>(service: GceService, request: Record<string, unknown>): Promise<T[]>;
  /** A mutating call whose answer is an Operation: waits until it is DONE and throws GceOperationError on failure. */
  mutate(service: GceService, method: string, request: Record<string, unknown>, signal?: AbortSignal): Promise<GceOperation>;
  /** One Cloud DNS v1 call (JSON in, JSON out); an HTTP error becomes a GceHttpError. */
  dns<T = ApiObject>(service: DnsService, method: string, request: DnsRequest, signal?: AbortSignal): Promise<T>;
  /** One IAM v1 call; `path` is relative to `/v1/projects/<project>/`. */
  iam<T = ApiObject>(service: IamService, method: string, request: DnsRequest, signal?: AbortSignal): Promise<T>;
  /** One Cloud Storage JSON v1 call; `path` is relative to `/storage/v1/`. */
  storage<T = ApiObject>(service: StorageService, method: string, request: RestRequest, signal?: AbortSignal): Promise<T>;
  /** One Cloud Resource Manager v1 call on the project: `POST /v1/projects/<project>:<method>` with `body`. */
  resourceManager<T = ApiObject>(service: ResourceManagerService, method: 'getIamPolicy' | 'setIamPolicy', body: unknown, signal?: AbortSignal): Promise<T>;
}

/** One JSON REST request (Cloud DNS, IAM, Cloud Storage). */
export interface RestRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
}

export interface GceClients {
  settings: GceSettings;
  api: GceApi;
}

export interface GceClientOptions {
  env: Record<string, string | undefined>;
  onCall?: (r: CallRecord) => void;
  /** Bound on waiting for one operation (default 15 minutes). */
  operationTimeoutMs?: number;
}

/** `K8SUP_GCE_ENDPOINT=http://host:port` → the library's endpoint options (REST, plain HTTP, dummy auth). */
export function endpointOptions(env: Record<string, string | undefined>): Record<string, unknown> | undefined {
  const raw = env.K8SUP_GCE_ENDPOINT?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`K8SUP_GCE_ENDPOINT=${raw} is not a URL (expected http://host:port)`);
  }
  const protocol = url.protocol.replace(':', '');
  return {
    apiEndpoint: url.hostname,
    port: Number(url.port || (protocol === 'https' ? 443 : 80)),
    protocol,
    fallback: true,
    // Any endpoint override works without Google credentials (CONTRACT): a stand-in auth client that sends no token.
    authClient: dummyAuthClient(),
  };
}

function dummyAuthClient() {
  return {
    universeDomain: 'googleapis.com',
    async getRequestHeaders() {
      return new Headers();
    },
    // google-gax's REST transport sends through the auth client's fetch.
    fetch(url: string, init: RequestInit) {
      return globalThis.fetch(url, init);
    },
  };
}


/** A JSON body, or an error-shaped stand-in for a non-JSON one (a proxy's HTML error page). */
function parseJson(text: string): unknown {
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    return { error: { message: text.slice(0, 200) } };
  }
}

/** Where Cloud DNS requests go: the override endpoint's origin, or the public API. */
export function dnsBaseUrl(env: Record<string, string | undefined>): string {
  const raw = env.K8SUP_GCE_ENDPOINT?.trim();
  return raw ? new URL(raw).origin : 'https://dns.googleapis.com';
}

/** Where IAM requests go: the override endpoint's origin (it serves `/v1/projects/…/serviceAccounts`), or the API. */
export function iamBaseUrl(env: Record<string, string | undefined>): string {
  const raw = env.K8SUP_GCE_ENDPOINT?.trim();
  return raw ? new URL(raw).origin : 'https://iam.googleapis.com';
}

/** Where Cloud Resource Manager requests go: the override endpoint's origin (it serves `/v1/projects/<p>:…IamPolicy`), or the API. */
export function resourceManagerBaseUrl(env: Record<string, string | undefined>): string {
  const raw = env.K8SUP_GCE_ENDPOINT?.trim();
  return raw ? new URL(raw).origin : 'https://cloudresourcemanager.googleapis.com';
}

/** Where Cloud Storage requests go: STORAGE_EMULATOR_HOST (as the state store uses it), or the API. */
export function storageBaseUrl(env: Record<string, string | undefined>): string {
  const raw = env.STORAGE_EMULATOR_HOST?.trim();
  if (!raw) return 'https://storage.googleapis.com';
  return new URL(/^https?:\/\//.test(raw) ? raw : `http://${raw}`).origin;
}

/**
 * The module of one client class (NetworksClient → build/src/v1/networks_client.js). The package's index loads every
 * one of the Compute API's ~100 clients and their generated protos.js (about 1.2 s of CPU in each process); k8sup
 * uses fifteen, each loaded on its first call.
 */
function clientModule(className: string): string {
  const file = className.replace(/Client$/, '').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  return `@google-cloud/compute/build/src/v1/${file}_client.js`;
}
/** One of the library's clients (NetworksClient …), as far as k8sup uses it: methods by name, and its auth. */
type LibraryClient = object & { auth?: unknown };
type LibraryClientClass = new (options: Record<string, unknown>) => LibraryClient;
/** The error object of a JSON REST answer (Cloud DNS, IAM, Cloud Storage). */
interface RestError {
  message?: string;
  status?: unknown;
  errors?: { reason?: string }[];
}

/** Calls the client's method by name (with the client as `this`), as `c[method](...args)` would. */
function invoke(c: LibraryClient, method: string, ...args: unknown[]): unknown {
  const fn = (c as Record<string, unknown>)[method];
  if (typeof fn !== 'function') throw new TypeError(`c[method] is not a function (${method})`);
  return fn.apply(c, args);
}

/** Creates lazily-loaded clients. No network call happens here. */
export function createGceClients(settings: GceSettings, opts: GceClientOptions): GceClients {
  const clientOptions: Record<string, unknown> = endpointOptions(opts.env) ?? {
    fallback: true,
    ...(opts.env.GOOGLE_APPLICATION_CREDENTIALS ? { keyFilename: opts.env.GOOGLE_APPLICATION_CREDENTIALS } : {}),
  };
  const clients = new Map<GceService, Promise<LibraryClient>>();
  const client = (service: GceService): Promise<LibraryClient> => {
    let c = clients.get(service);
    if (!c) {
      const name = CLIENT_CLASSES[service];
      c = import(clientModule(name)).then((m: Record<string, unknown>) => {
        // A CommonJS module: its exports are the namespace's names, and its default.
        const Client = (m[name] ?? (m.default as Record<string, unknown> | undefined)?.[name]) as LibraryClientClass;
        return new Client({ ...clientOptions });
      });
      clients.set(service, c);
    }
    return c;
  };
  const record = (service: CallRecord["service"], method: string, ok: boolean) => opts.onCall?.({ service, method, ok });

  const call = async <T = ApiObject>(service: GceService, method: string, request: Record<string, unknown>): Promise<T> => {
    const c = await client(service);
    try {
      const [response] = (await invoke(c, method, request)) as [T];
      record(service, method, true);
      return response;
    } catch (err) {
      record(service, method, false);
      throw err;
    }
  };

  const waitForOperation = async (initial: GceOperation, signal?: AbortSignal): Promise<GceOperation> => {
    let op = initial;
    const deadline = Date.now() + (opts.operationTimeoutMs ?? 15 * 60_000);
    for (let round = 0; op.status !== 'DONE'; round++) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for operation ${op.name}`);
      if (signal?.aborted) throw signal.reason;
      // `wait` returns when the operation is DONE or after about two minutes, whichever comes first.
      const base = { project: settings.project, operation: op.name };
      if (op.zone) op = await call<GceOperation>('zoneOperations', 'wait', { ...base, zone: lastSegment(op.zone) });
      else if (op.region) op = await call<GceOperation>('regionOperations', 'wait', { ...base, region: lastSegment(op.region) });
      else op = await call<GceOperation>('globalOperations', 'wait', base);
      if (op.status !== 'DONE' && round > 0) await sleep(Math.min(5000, 250 * round), signal);
    }
    const first = op.error?.errors?.[0];
    if (first) {
      throw new GceOperationError(String(op.name), first.code ?? 'UNKNOWN', `${first.code ?? 'operation failed'}: ${first.message ?? ''} (operation ${op.name} on ${op.targetLink ?? '?'})`);
    }
    return op;
  };

  const project = encodeURIComponent(settings.project);
  const dnsBase = `${dnsBaseUrl(opts.env)}/dns/v1/projects/${project}/`;
  const iamBase = `${iamBaseUrl(opts.env)}/v1/projects/${project}/`;
  const storageBase = `${storageBaseUrl(opts.env)}/storage/v1/`;
  const resourceManagerBase = `${resourceManagerBaseUrl(opts.env)}/v1/projects/${project}`;
  const apiName: Record<string, string> = { managedZones: 'Cloud DNS', resourceRecordSets: 'Cloud DNS', changes: 'Cloud DNS', serviceAccounts: 'IAM', bucketIamPolicy: 'Cloud Storage', buckets: 'Cloud Storage', projectIamPolicy: 'Cloud Resource Manager' };
  const rest = async <T>(base: string, service: DnsService | IamService | StorageService | ResourceManagerService, method: string, req: RestRequest, signal?: AbortSignal): Promise<T> => {
    const url = new URL(`${base}${req.path}`);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    try {
      // The Compute clients' auth: the dummy client with an endpoint override, else their GoogleAuth.
      const auth = (clientOptions.authClient ?? (await client('zones')).auth) as { getRequestHeaders(url?: string): Promise<Headers | Record<string, string>> };
      const headers = new Headers(await auth.getRequestHeaders(url.toString()));
      headers.set('accept', 'application/json');
      if (req.body !== undefined) headers.set('content-type', 'application/json');
      const res = await fetch(url, { method: req.method ?? 'GET', headers, body: req.body === undefined ? undefined : JSON.stringify(req.body), signal });
      const text = await res.text();
      const json = parseJson(text);
      if (!res.ok) {
        const e: RestError = (json as { error?: RestError } | null)?.error ?? {};
        const reasons = (e.errors ?? []).map((x) => x.reason).filter((r): r is string => !!r);
        // Newer APIs (IAM) answer a status name instead of reasons: it classifies the same way.
        if (typeof e.status === 'string') reasons.push(e.status);
        throw new GceHttpError(res.status, `${apiName[service]} ${service}.${method}: ${res.status} ${e.message ?? res.statusText}`, reasons);
      }
      record(service, method, true);
      return json as T;
    } catch (err) {
      record(service, method, false);
      throw err;
    }
  };

  const api: GceApi = {
    call,
    dns: <T>(service: DnsService, method: string, req: DnsRequest, signal?: AbortSignal) => rest<T>(dnsBase, service, method, req, signal),
    iam: <T>(service: IamService, method: string, req: DnsRequest, signal?: AbortSignal) => rest<T>(iamBase, service, method, req, signal),
    storage: <T>(service: StorageService, method: string, req: RestRequest, signal?: AbortSignal) => rest<T>(storageBase, service, method, req, signal),
    resourceManager: <T>(service: ResourceManagerService, method: 'getIamPolicy' | 'setIamPolicy', body: unknown, signal?: AbortSignal) => rest<T>(resourceManagerBase, service, method, { method: 'POST', path: `:${method}`, body }, signal),
    async list<T>(service: GceService, request: Record<string, unknown>) {
      // autoPaginate (the default) follows nextPageToken and concatenates every page's items.
      return ((await call<unknown>(service, 'list', { project: settings.project, ...request })) ?? []) as T[];
    },
    async aggregatedList<T>(service: GceService, request: Record<string, unknown>) {
      const c = await client(service);
      const items: T[] = [];
      try {
        for await (const [, scoped] of invoke(c, 'aggregatedListAsync', { project: settings.project, ...request }, { autoPaginate: false }) as AsyncIterable<[string, unknown]>) {
          for (const v of Object.values(scoped as Record<string, unknown>)) if (Array.isArray(v)) items.push(...(v as T[]));
        }
        record(service, 'aggregatedList', true);
      } catch (err) {
        record(service, 'aggregatedList', false);
        throw err;
      }
      return items;
    },
    async mutate(service, method, request, signal) {
      const c = await client(service);
      let response: { latestResponse?: GceOperation } | GceOperation;
      try {
        [response] = (await invoke(c, method, { project: settings.project, ...request })) as [typeof response];
        record(service, method, true);
      } catch (err) {
        record(service, method, false);
        throw err;
      }
      const op = ('latestResponse' in response ? response.latestResponse : response) as GceOperation;
      return waitForOperation(op, signal);
    },
  };
  return { settings, api };
}

