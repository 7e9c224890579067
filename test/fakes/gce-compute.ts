// A small fake of the Compute Engine REST API (v1), enough for @google-cloud/compute's REST transport on 127.0.0.1:
// networks, subnetworks, firewalls, addresses, regional health checks and backend services, forwarding rules,
// instance templates, zonal instance group managers (which create and delete labelled instances like the real
// thing, list their managed instances with the template each was created from, and recreate members on the current
// template: see recreateInstances below) and zones; operations (optionally RUNNING until waited on) with get/wait; list filters on labels and names;
// Cloud Routers with their Cloud NAT configurations (`nats`, checked and filled in as the API does: see validateRouter);
// and the real error shapes (404 notFound, 409 alreadyExists, 400 resourceInUseByAnotherResource, injected faults).
// Deleting an object that another object still references is refused, as GCE does, so ordering bugs show up here.
// The same server answers Cloud DNS paths (`/dns/v1/…`) from `dns` (see gce-dns.ts), as K8SUP_GCE_ENDPOINT expects,
// and IAM v1 service accounts (`/v1/projects/<p>/serviceAccounts…`, see FakeIam below) with IAM's error shape
// (`{error: {code, message, status}}`). Instance templates must name an existing service account (or `default`).

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { DnsHttpError, FakeCloudDns } from './gce-dns.js';

const lastSegment = (url: unknown) => String(url ?? '').split('/').pop() ?? '';

export const SELF_LINK_BASE = 'https://www.googleapis.com/compute/v1';

type Obj = Record<string, any>;

export class ComputeHttpError extends Error {
  constructor(readonly status: number, readonly reason: string, message: string) {
    super(message);
  }
}

/** An IAM v1 error: newer Google APIs answer a status name, not `errors[].reason`. */
export class IamHttpError extends Error {
  constructor(readonly status: number, readonly statusName: string, message: string) {
    super(message);
  }
}

const ACCOUNT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

/**
 * IAM v1 `projects.serviceAccounts`: create (accountId rules, 409 ALREADY_EXISTS), get / delete by e-mail or unique
 * id (404 NOT_FOUND), list with pageSize / pageToken. Display names hold at most 100 characters, descriptions 256.
 */
export class FakeIam {
  private readonly accounts = new Map<string, Obj>();
  /** Each account's own IAM policy (who may act as it): `serviceAccounts/<email>:getIamPolicy|setIamPolicy`. */
  private readonly policies = new Map<string, { version: number; etag: string; bindings: Obj[] }>();
  private nextUniqueId = 100000000000000000000n;

  constructor(private readonly project: string) {}

  /** Every service account, for assertions. */
  list(): Obj[] {
    return [...this.accounts.values()].map((a) => structuredClone(a));
  }

  has(email: string): boolean {
    return this.accounts.has(email);
  }

  route(method: string, project: string, rest: string[], query: URLSearchParams, body: Obj): Obj {
    if (project !== this.project && project !== '-') throw new IamHttpError(404, 'NOT_FOUND', `Project ${project} not found or permission denied.`);
    if (rest[0] !== 'serviceAccounts') throw new IamHttpError(404, 'NOT_FOUND', `no route ${method} ${rest.join('/')}`);
    if (rest.length === 1 && method === 'POST') return this.create(body);
    if (rest.length === 1 && method === 'GET') {
      const size = Math.min(Number(query.get('pageSize') ?? 20) || 20, 100);
      const all = [...this.accounts.values()].sort((a, b) => a.email.localeCompare(b.email));
      const start = Number(query.get('pageToken') ?? 0);
      const next = start + size < all.length ? String(start + size) : undefined;
      return { accounts: all.slice(start, start + size).map((a) => structuredClone(a)), ...(next ? { nextPageToken: next } : {}) };
    }
    const verb = rest.length === 2 ? /^(.+):(getIamPolicy|setIamPolicy)$/.exec(rest[1]) : null;
    if (verb && method === 'POST') return this.accountPolicy(this.find(verb[1]).email, verb[2], body);
    if (rest.length === 2) {
      const account = this.find(rest[1]);
      if (method === 'GET') return structuredClone(account);
      if (method === 'DELETE') {
        this.accounts.delete(account.email);
        this.policies.delete(account.email);
        return {};
      }
    }
    throw new IamHttpError(405, 'INVALID_ARGUMENT', `unsupported ${method} serviceAccounts/${rest.slice(1).join('/')}`);
  }

  /** An account's own policy, for assertions. */
  policyOf(email: string): { version: number; etag: string; bindings: Obj[] } | undefined {
    return structuredClone(this.policies.get(email));
  }

  /**
   * Someone else's writes to account policies, landing between a client's read and its write: each coming
   * setIamPolicy first applies (and drops) the next one, which adds its bindings and gives the policy a new etag.
   */
  readonly interleavedPolicyWrites: Obj[][] = [];

  private accountPolicy(email: string, verb: string, body: Obj): Obj {
    let current = this.policies.get(email) ?? { version: 1, etag: 'ACAB', bindings: [] };
    if (verb === 'getIamPolicy') return structuredClone(current);
    const theirs = this.interleavedPolicyWrites.shift();
    if (theirs) {
      current = { ...current, etag: randomBytes(6).toString('base64'), bindings: [...current.bindings, ...structuredClone(theirs)] };
      this.policies.set(email, current);
    }
    const next = (body.policy ?? {}) as Obj;
    if (next.etag !== current.etag) throw new IamHttpError(409, 'ABORTED', 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.');
    const bindings = (next.bindings ?? []) as Obj[];
    for (const b of bindings) {
      if (typeof b.role !== 'string' || !/^roles\/[A-Za-z0-9_.]+$/.test(b.role)) throw new IamHttpError(400, 'INVALID_ARGUMENT', `Role ${b.role} is not supported for this resource.`);
      if (!Array.isArray(b.members) || b.members.length === 0) throw new IamHttpError(400, 'INVALID_ARGUMENT', `Policy binding for ${b.role} has no members.`);
      for (const m of b.members as string[]) {
        const sa = /^serviceAccount:(.+@(.+)\.iam\.gserviceaccount\.com)$/.exec(m);
        if (sa && sa[2] === this.project && !this.accounts.has(sa[1])) throw new IamHttpError(400, 'INVALID_ARGUMENT', `Service account ${sa[1]} does not exist.`);
      }
    }
    const written = { version: Number(next.version ?? 1), etag: randomBytes(6).toString('base64'), bindings: structuredClone(bindings) };
    this.policies.set(email, written);
    return structuredClone(written);
  }

  private find(key: string): Obj {
    const a = this.accounts.get(key) ?? [...this.accounts.values()].find((x) => x.uniqueId === key);
    if (!a) throw new IamHttpError(404, 'NOT_FOUND', `Unknown service account`);
    return a;
  }

  private create(body: Obj): Obj {
    const id = body.accountId;
    const sa = (body.serviceAccount ?? {}) as Obj;
    if (typeof id !== 'string' || !ACCOUNT_ID.test(id)) {
      throw new IamHttpError(400, 'INVALID_ARGUMENT', `Invalid account ID '${id}': it must be 6 to 30 lowercase letters, digits or hyphens, start with a letter and not end with a hyphen.`);
    }
    if (sa.displayName !== undefined && String(sa.displayName).length > 100) throw new IamHttpError(400, 'INVALID_ARGUMENT', 'Display name must be at most 100 characters.');
    if (sa.description !== undefined && String(sa.description).length > 256) throw new IamHttpError(400, 'INVALID_ARGUMENT', 'Description must be at most 256 characters.');
    const email = `${id}@${this.project}.iam.gserviceaccount.com`;
    if (this.accounts.has(email)) throw new IamHttpError(409, 'ALREADY_EXISTS', `Service account ${id} already exists within project projects/${this.project}.`);
    const account = {
      name: `projects/${this.project}/serviceAccounts/${email}`,
      projectId: this.project,
      uniqueId: String(++this.nextUniqueId),
      email,
      displayName: sa.displayName ?? '',
      description: sa.description ?? '',
      etag: randomBytes(6).toString('base64'),
      oauth2ClientId: String(this.nextUniqueId),
    };
    this.accounts.set(email, account);
    return structuredClone(account);
  }
}

/**
 * Cloud Resource Manager v1 `projects.getIamPolicy` / `setIamPolicy` (POST `/v1/projects/<p>:…`), as strict as the
 * real one: a write must carry the etag of the policy it read (409 ABORTED otherwise), conditional bindings need
 * policy version 3, roles are `roles/…`, every service-account member must exist (400 INVALID_ARGUMENT), and a role
 * has one unconditional binding.
 */
export class FakeProjectIam {
  private policy: { version: number; etag: string; bindings: Obj[] } = { version: 1, etag: randomBytes(6).toString('base64'), bindings: [] };
  /** How many coming setIamPolicy calls find that someone else wrote the policy just before (a new etag). */
  concurrentWrites = 0;

  constructor(private readonly project: string, private readonly accounts: FakeIam) {}

  /** The current policy, for assertions (and for seeding others' bindings). */
  get(): { version: number; etag: string; bindings: Obj[] } {
    return structuredClone(this.policy);
  }

  /** Someone else's write (another tool, a person): a new etag, so a client's read-modify-write must start over. */
  seed(bindings: Obj[]): void {
    this.policy = { version: 3, etag: randomBytes(6).toString('base64'), bindings: structuredClone(bindings) };
  }

  route(method: string, project: string, verb: string, body: Obj): Obj {
    if (project !== this.project) throw new IamHttpError(403, 'PERMISSION_DENIED', `The caller does not have permission on project ${project}`);
    if (method !== 'POST') throw new IamHttpError(404, 'NOT_FOUND', `no route ${method} :${verb}`);
    if (verb === 'getIamPolicy') return this.get();
    if (verb !== 'setIamPolicy') throw new IamHttpError(404, 'NOT_FOUND', `no route :${verb}`);
    const next = (body.policy ?? {}) as Obj;
    if (this.concurrentWrites > 0) {
      this.concurrentWrites--;
      this.policy = { ...this.policy, etag: randomBytes(6).toString('base64') };
    }
    if (next.etag !== this.policy.etag) throw new IamHttpError(409, 'ABORTED', 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.');
    const bindings = (next.bindings ?? []) as Obj[];
    const unconditional = new Set<string>();
    for (const b of bindings) {
      if (typeof b.role !== 'string' || !/^roles\/[A-Za-z0-9_.]+$/.test(b.role)) throw new IamHttpError(400, 'INVALID_ARGUMENT', `Role ${b.role} is not supported for this resource.`);
      if (!Array.isArray(b.members) || b.members.length === 0) throw new IamHttpError(400, 'INVALID_ARGUMENT', `Policy binding for ${b.role} has no members.`);
      if (b.condition !== undefined && next.version !== 3) throw new IamHttpError(400, 'INVALID_ARGUMENT', 'Conditional bindings need policy version 3.');
      if (b.condition === undefined) {
        if (unconditional.has(b.role)) throw new IamHttpError(400, 'INVALID_ARGUMENT', `Duplicate binding for role ${b.role}.`);
        unconditional.add(b.role);
      }
      for (const m of b.members as string[]) {
        const sa = /^serviceAccount:(.+@(.+)\.iam\.gserviceaccount\.com)$/.exec(m);
        if (sa && sa[2] === this.project && !this.accounts.has(sa[1])) throw new IamHttpError(400, 'INVALID_ARGUMENT', `Service account ${sa[1]} does not exist.`);
      }
    }
    this.policy = { version: Number(next.version ?? 1), etag: randomBytes(6).toString('base64'), bindings: structuredClone(bindings) };
    return this.get();
  }
}

export interface ComputeRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

export interface FakeComputeOptions {
  project?: string;
  zones?: string[];
  /** Operations start RUNNING and become DONE when waited on / polled, so clients must wait. */
  pendingOperations?: boolean;
  /**
   * How many listManagedInstances answers show a member RECREATING after recreateInstances (default 1) before it is
   * a new instance on the group's current template: a real recreation takes minutes, so clients must poll for it.
   */
  recreateReads?: number;
}

/** Collections by scope, and the request-body field name of each (for insert). */
const COLLECTIONS: Record<string, 'global' | 'region' | 'zone'> = {
  networks: 'global',
  firewalls: 'global',
  instanceTemplates: 'global',
  subnetworks: 'region',
  addresses: 'region',
  healthChecks: 'region',
  backendServices: 'region',
  forwardingRules: 'region',
  targetTcpProxies: 'region',
  routers: 'region',
  instanceGroupManagers: 'zone',
  instances: 'zone',
};

const KIND: Record<string, string> = {
  networks: 'compute#network',
  firewalls: 'compute#firewall',
  instanceTemplates: 'compute#instanceTemplate',
  subnetworks: 'compute#subnetwork',
  addresses: 'compute#address',
  healthChecks: 'compute#healthCheck',
  backendServices: 'compute#backendService',
  forwardingRules: 'compute#forwardingRule',
  targetTcpProxies: 'compute#targetTcpProxy',
  routers: 'compute#router',
  instanceGroupManagers: 'compute#instanceGroupManager',
  instances: 'compute#instance',
};

const NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

export class FakeCompute {
  private server?: Server;
  readonly project: string;
  readonly zones: string[];
  private readonly pending: boolean;
  private readonly recreateReads: number;
  /** key `<scope path>/<collection>/<name>` → object */
  private readonly objects = new Map<string, Obj>();
  private readonly operations = new Map<string, Obj>();
  private nextId = 1000;
  private nextIp = 10;
  readonly requests: ComputeRequestRecord[] = [];
  private readonly faults: { match: (method: string, path: string) => boolean; status: number; reason: string }[] = [];
  port = 0;
  /** Cloud DNS on the same endpoint: create zones and inspect records here. */
  readonly dns: FakeCloudDns;
  /** IAM service accounts on the same endpoint. */
  readonly iam: FakeIam;
  readonly projectIam: FakeProjectIam;

  constructor(opts: FakeComputeOptions = {}) {
    this.project = opts.project ?? 'k8sup-test';
    this.dns = new FakeCloudDns(this.project, opts.pendingOperations ?? false);
    this.iam = new FakeIam(this.project);
    this.projectIam = new FakeProjectIam(this.project, this.iam);
    this.zones = opts.zones ?? ['us-central1-a', 'us-central1-b', 'us-central1-c', 'us-central1-f', 'europe-west1-b'];
    this.pending = opts.pendingOperations ?? false;
    this.recreateReads = opts.recreateReads ?? 1;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  injectFault(match: (method: string, path: string) => boolean, status: number, reason: string): void {
    this.faults.push({ match, status, reason });
  }

  private readonly lostReplies: ((method: string, path: string) => boolean)[] = [];

  /** Called once a request has been carried out, before its reply is sent: a test can kill its client there (kill -9). */
  onCall?: (method: string, path: string) => void;

  /** The next matching request is carried out, then its connection is reset: the client never sees the answer. */
  injectLostReply(match: (method: string, path: string) => boolean): void {
    this.lostReplies.push(match);
  }

  /** Every stored object of a collection (e.g. 'instances'), for assertions. */
  list(collection: string): Obj[] {
    return [...this.objects.entries()].filter(([k]) => k.split('/').at(-2) === collection).map(([, v]) => this.public(v));
  }

  /** Every object that carries a given label (instances, addresses, forwarding rules, templates' instances). */
  labelled(key: string, value: string): Obj[] {
    return [...this.objects.values()].filter((o) => o.labels?.[key] === value);
  }

  /** Every object, for "nothing left" assertions. */
  all(): Obj[] {
    return [...this.objects.values()].map((o) => this.public(o));
  }

  /** Seeds an object directly (e.g. another cluster's resources), as if created through the API. */
  seed(scopePath: string, collection: string, body: Obj): Obj {
    return this.insert(scopePath, collection, body);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    let status = 200;
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = raw ? (JSON.parse(raw) as Obj) : {};
      const fault = this.faults.findIndex((f) => f.match(method, url.pathname));
      if (fault >= 0) {
        const f = this.faults.splice(fault, 1)[0];
        throw new ComputeHttpError(f.status, f.reason, `injected ${f.reason}`);
      }
      const out = this.route(method, url.pathname, url.searchParams, body);
      this.onCall?.(method, url.pathname);
      const lost = this.lostReplies.findIndex((m) => m(method, url.pathname));
      if (lost >= 0) {
        this.lostReplies.splice(lost, 1);
        status = 0;
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(out));
    } catch (e) {
      if (e instanceof IamHttpError) {
        status = e.status;
        res.writeHead(e.status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ error: { code: e.status, message: e.message, status: e.statusName } }));
        return;
      }
      const err = e instanceof ComputeHttpError || e instanceof DnsHttpError ? e : new ComputeHttpError(500, 'backendError', (e as Error).stack ?? String(e));
      status = err.status;
      res.writeHead(err.status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: { code: err.status, message: err.message, errors: [{ message: err.message, domain: 'global', reason: err.reason }] } }));
    } finally {
      this.requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), status });
    }
  }

  private route(method: string, path: string, query: URLSearchParams, body: Obj): Obj {
    const crm = /^\/v1\/projects\/([^/:]+):(\w+)$/.exec(path);
    if (crm) return this.projectIam.route(method, decodeURIComponent(crm[1]), crm[2], body);
    const iam = /^\/v1\/projects\/([^/]+)\/(serviceAccounts.*)$/.exec(path);
    if (iam) return this.iam.route(method, decodeURIComponent(iam[1]), iam[2].split('/').map(decodeURIComponent), query, body);
    const dns = /^\/dns\/v1\/projects\/([^/]+)\/(.*)$/.exec(path);
    if (dns) return this.dns.route(method, decodeURIComponent(dns[1]), dns[2].split('/').map(decodeURIComponent), query, body);
    const m = /^\/compute\/v1\/projects\/([^/]+)\/(.*)$/.exec(path);
    if (!m) throw new ComputeHttpError(404, 'notFound', `no route ${method} ${path}`);
    if (m[1] !== this.project) throw new ComputeHttpError(404, 'notFound', `The resource 'projects/${m[1]}' was not found`);
    const rest = m[2].split('/').map(decodeURIComponent);

    if (rest[0] === 'zones' && rest.length === 1 && method === 'GET') {
      return { kind: 'compute#zoneList', items: this.zones.map((z) => ({ kind: 'compute#zone', name: z, status: 'UP', region: `${this.base()}/regions/${z.replace(/-[a-z]$/, '')}`, selfLink: `${this.base()}/zones/${z}` })) };
    }
    if (rest[0] === 'aggregated' && rest.length === 2 && method === 'GET') return this.aggregated(rest[1], query);

    let scopePath: string;
    let tail: string[];
    if (rest[0] === 'global') [scopePath, tail] = ['global', rest.slice(1)];
    else if (rest[0] === 'regions' || rest[0] === 'zones') [scopePath, tail] = [`${rest[0]}/${rest[1]}`, rest.slice(2)];
    else throw new ComputeHttpError(404, 'notFound', `no route ${method} ${path}`);

    const [collection, name, action] = tail;
    if (collection === 'operations') return this.operation(scopePath, name, action);
    if (!(collection in COLLECTIONS)) throw new ComputeHttpError(404, 'notFound', `unknown collection ${collection}`);
    const expected = COLLECTIONS[collection];
    if ((expected === 'global') !== (scopePath === 'global') || (expected === 'zone') !== scopePath.startsWith('zones/')) {
      throw new ComputeHttpError(404, 'notFound', `${collection} is not a ${scopePath.split('/')[0]} collection`);
    }
    if (scopePath.startsWith('zones/') && !this.zones.includes(scopePath.slice(6))) throw new ComputeHttpError(404, 'notFound', `Unknown zone ${scopePath.slice(6)}`);

    if (name === undefined) {
      if (method === 'GET') return this.listScoped(scopePath, collection, query);
      if (method === 'POST') return this.op('insert', scopePath, this.selfLink(this.insert(scopePath, collection, body)));
    } else if (action === undefined) {
      if (method === 'GET') return this.public(this.get(scopePath, collection, name));
      if (method === 'DELETE') return this.op('delete', scopePath, this.remove(scopePath, collection, name));
      if (method === 'PATCH') return this.op('patch', scopePath, this.patch(scopePath, collection, name, body));
    } else if (method === 'POST' && collection === 'instanceGroupManagers' && action === 'listManagedInstances') {
      // A POST that only reads: the answer is a page of members, not an operation.
      return this.listManagedInstances(scopePath, name, query);
    } else if (method === 'POST') {
      return this.op(action, scopePath, this.act(scopePath, collection, name, action, query, body));
    }
    throw new ComputeHttpError(405, 'badRequest', `unsupported ${method} ${path}`);
  }

  private base(): string {
    return `${SELF_LINK_BASE}/projects/${this.project}`;
  }

  private selfLink(o: Obj): string {
    return o.selfLink;
  }

  private key(scopePath: string, collection: string, name: string): string {
    return `${scopePath}/${collection}/${name}`;
  }

  private get(scopePath: string, collection: string, name: string): Obj {
    const o = this.objects.get(this.key(scopePath, collection, name));
    if (!o) throw new ComputeHttpError(404, 'notFound', `The resource 'projects/${this.project}/${scopePath}/${collection}/${name}' was not found`);
    return structuredClone(o);
  }

  /** Every self link mentioned anywhere inside `value`. */
  private references(value: unknown, out: Set<string> = new Set()): Set<string> {
    if (typeof value === 'string' && value.startsWith(SELF_LINK_BASE)) out.add(value);
    else if (Array.isArray(value)) value.forEach((v) => this.references(v, out));
    else if (value && typeof value === 'object') Object.values(value).forEach((v) => this.references(v, out));
    return out;
  }

  private checkReferences(body: Obj, self?: string): void {
    const known = new Set<string>();
    for (const o of this.objects.values()) {
      known.add(o.selfLink);
      if (o.instanceGroup) known.add(o.instanceGroup);
    }
    for (const r of this.references(body)) {
      if (r !== self && !known.has(r) && !/\/global\/images\//.test(r)) throw new ComputeHttpError(404, 'notFound', `The resource '${r.slice(SELF_LINK_BASE.length + 1)}' was not found`);
    }
  }

  private insert(scopePath: string, collection: string, body: Obj): Obj {
    const name = body.name;
    if (typeof name !== 'string' || !NAME.test(name)) throw new ComputeHttpError(400, 'invalid', `Invalid value for field 'resource.name': '${name}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'`);
    const key = this.key(scopePath, collection, name);
    if (this.objects.has(key)) throw new ComputeHttpError(409, 'alreadyExists', `The resource 'projects/${this.project}/${scopePath}/${collection}/${name}' already exists`);
    this.checkReferences(body);
    const selfLink = `${this.base()}/${scopePath}/${collection}/${name}`;
    const obj: Obj = { ...structuredClone(body), kind: KIND[collection], id: String(++this.nextId), creationTimestamp: new Date().toISOString(), selfLink };
    if (scopePath.startsWith('regions/')) obj.region = `${this.base()}/${scopePath}`;
    if (scopePath.startsWith('zones/')) obj.zone = `${this.base()}/${scopePath}`;
    if (obj.labels) obj.labelFingerprint = randomBytes(6).toString('base64');
    this.validate(scopePath, collection, obj);
    if (collection === 'addresses') {
      // INTERNAL addresses come from their subnetwork's range, EXTERNAL ones from the (documentation) public range.
      const subnet = obj.addressType === 'INTERNAL' ? this.byLink(obj.subnetwork) : undefined;
      obj.address ??= subnet ? this.ipInRange(subnet.ipCidrRange, this.nextIp++) : `203.0.113.${this.nextIp++}`;
      obj.status = 'RESERVED';
    }
    if (collection === 'routers') this.fillRouter(obj);
    if (collection === 'forwardingRules') obj.portRange &&= /^\d+$/.test(obj.portRange) ? `${obj.portRange}-${obj.portRange}` : obj.portRange;
    if (collection === 'instanceGroupManagers') {
      obj.instanceGroup = `${this.base()}/${scopePath}/instanceGroups/${name}`;
      obj.targetSize = Number(obj.targetSize ?? 0);
      obj.versions = [{ instanceTemplate: obj.instanceTemplate }];
    }
    this.objects.set(key, obj);
    if (collection === 'instanceGroupManagers') this.reconcileInstances(scopePath, obj);
    return obj;
  }

  private byLink(link: unknown): Obj | undefined {
    return [...this.objects.values()].find((o) => o.selfLink === link);
  }

  private ipInRange(cidr: string, offset: number): string {
    const [ip] = cidr.split('/');
    const n = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0) + 2 + offset;
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
  }

  /**
   * The constraints of the real API the internal proxy load balancer meets (documented by Google): an INTERNAL address
   * needs a (regular) subnetwork; a proxy-only subnetwork has a purpose and an ACTIVE/BACKUP role and no private Google
   * access; an INTERNAL_MANAGED backend service in CONNECTION mode needs a capacity per backend; an INTERNAL_MANAGED
   * forwarding rule needs a target proxy (not a backend service), the network and subnetwork of its INTERNAL address,
   * and an ACTIVE proxy-only subnetwork in its region and network.
   */
  private validate(scopePath: string, collection: string, o: Obj): void {
    const bad = (field: string, why: string) => {
      throw new ComputeHttpError(400, 'invalid', `Invalid value for field 'resource.${field}': ${why}`);
    };
    if (collection === 'addresses' && o.addressType === 'INTERNAL') {
      const subnet = this.byLink(o.subnetwork);
      if (!subnet) bad('subnetwork', 'an INTERNAL address needs a subnetwork');
      if (subnet!.purpose === 'REGIONAL_MANAGED_PROXY') bad('subnetwork', 'addresses cannot be allocated from a proxy-only subnetwork');
      if (o.networkTier) bad('networkTier', 'INTERNAL addresses have no network tier');
    }
    if (collection === 'subnetworks' && o.purpose === 'REGIONAL_MANAGED_PROXY') {
      if (!['ACTIVE', 'BACKUP'].includes(o.role)) bad('role', "a proxy-only subnetwork's role must be ACTIVE or BACKUP");
      if (o.privateIpGoogleAccess) bad('privateIpGoogleAccess', 'not supported for proxy-only subnetworks');
      const other = [...this.objects.values()].find((x) => x.kind === KIND.subnetworks && x.region === `${this.base()}/${scopePath}` && x.network === o.network && x.purpose === o.purpose && x.role === 'ACTIVE');
      if (other && o.role === 'ACTIVE') bad('role', `the network already has an active proxy-only subnetwork in this region (${other.name})`);
    }
    if (collection === 'backendServices' && o.loadBalancingScheme === 'INTERNAL_MANAGED') {
      (o.backends ?? []).forEach((b: Obj, i: number) => {
        if (b.balancingMode === 'CONNECTION' && !(b.maxConnections || b.maxConnectionsPerInstance || b.maxConnectionsPerEndpoint)) {
          bad(`backends[${i}]`, 'CONNECTION balancing mode needs maxConnections, maxConnectionsPerInstance or maxConnectionsPerEndpoint');
        }
      });
    }
    if (collection === 'instanceTemplates') {
      // Spot VMs, as the real API judges them: they cannot restart automatically or migrate on maintenance.
      const sched = o.properties?.scheduling;
      if (sched?.provisioningModel !== undefined && !['STANDARD', 'SPOT'].includes(sched.provisioningModel)) bad('properties.scheduling.provisioningModel', `'${sched.provisioningModel}' is not STANDARD or SPOT`);
      if (sched?.provisioningModel === 'SPOT') {
        if (sched.automaticRestart !== false) bad('properties.scheduling.automaticRestart', 'Spot VMs cannot be configured to restart automatically');
        if (sched.onHostMaintenance !== 'TERMINATE') bad('properties.scheduling.onHostMaintenance', 'Spot VMs must terminate on host maintenance');
        if (sched.instanceTerminationAction !== undefined && !['STOP', 'DELETE'].includes(sched.instanceTerminationAction)) bad('properties.scheduling.instanceTerminationAction', 'must be STOP or DELETE');
      }
      for (const sa of o.properties?.serviceAccounts ?? []) {
        if (sa.email !== 'default' && !this.iam.has(sa.email)) throw new ComputeHttpError(400, 'invalid', `Invalid value for field 'resource.properties.serviceAccounts[0].email': '${sa.email}'. The user does not have access to service account '${sa.email}'.  User: 'k8sup-test'.  Ask a project owner to grant you the iam.serviceAccountUser role on the service account`);
      }
    }
    if (collection === 'routers') this.validateRouter(scopePath, o);
    if (collection === 'targetTcpProxies') {
      const service = this.byLink(o.service);
      if (service?.loadBalancingScheme !== 'INTERNAL_MANAGED') bad('service', 'a regional target TCP proxy needs an INTERNAL_MANAGED backend service');
    }
    if (collection === 'forwardingRules' && o.loadBalancingScheme === 'INTERNAL_MANAGED') {
      if (o.backendService) bad('backendService', 'an INTERNAL_MANAGED forwarding rule forwards to a target proxy');
      if (this.byLink(o.target)?.kind !== KIND.targetTcpProxies) bad('target', 'must be a regional target proxy');
      const address = [...this.objects.values()].find((x) => x.kind === KIND.addresses && x.address === o.IPAddress);
      if (address && (address.addressType !== 'INTERNAL' || address.subnetwork !== o.subnetwork)) bad('IPAddress', 'must be an INTERNAL address of the rule\'s subnetwork');
      if (!o.network || !o.subnetwork) bad('network', 'an INTERNAL_MANAGED forwarding rule needs its network and subnetwork');
      const proxySubnet = [...this.objects.values()].find(
        (x) => x.kind === KIND.subnetworks && x.region === `${this.base()}/${scopePath}` && x.network === o.network && x.purpose === 'REGIONAL_MANAGED_PROXY' && x.role === 'ACTIVE',
      );
      if (!proxySubnet) bad('network', 'An active proxy-only subnetwork is required in the same region and VPC as the forwarding rule');
    }
  }

  /**
   * Cloud NAT as the routers API checks it (documented by Google): the router names an existing network; each NAT has
   * a name (RFC 1035, unique in the router), natIpAllocateOption AUTO_ONLY (ephemeral addresses) or MANUAL_ONLY with
   * natIps, and a sourceSubnetworkIpRangesToNat; LIST_OF_SUBNETWORKS names regular subnetworks of the router's network
   * and region (never a proxy-only one), each with sourceIpRangesToNat. A subnetwork is served by at most one NAT of
   * the region and network, and an ALL_SUBNETWORKS NAT by no other NAT at all.
   */
  private validateRouter(scopePath: string, o: Obj): void {
    const bad = (field: string, why: string) => {
      throw new ComputeHttpError(400, 'invalid', `Invalid value for field 'resource.${field}': ${why}`);
    };
    if (!o.network) bad('network', 'a router needs a network');
    const region = `${this.base()}/${scopePath}`;
    const nats: Obj[] = o.nats ?? [];
    const names = new Set<string>();
    const served = (nat: Obj): string[] | 'all' => (String(nat.sourceSubnetworkIpRangesToNat).startsWith('ALL_SUBNETWORKS') ? 'all' : (nat.subnetworks ?? []).map((x: Obj) => x.name));
    nats.forEach((nat, i) => {
      const p = `nats[${i}]`;
      if (typeof nat.name !== 'string' || !NAME.test(nat.name)) bad(`${p}.name`, `'${nat.name}' must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'`);
      if (names.has(nat.name)) bad(`${p}.name`, `NAT name '${nat.name}' is used twice in the router`);
      names.add(nat.name);
      if (!['AUTO_ONLY', 'MANUAL_ONLY'].includes(nat.natIpAllocateOption)) bad(`${p}.natIpAllocateOption`, `'${nat.natIpAllocateOption}' must be AUTO_ONLY or MANUAL_ONLY`);
      if (nat.natIpAllocateOption === 'MANUAL_ONLY' && !(nat.natIps ?? []).length) bad(`${p}.natIps`, 'MANUAL_ONLY needs at least one NAT IP');
      if (nat.natIpAllocateOption === 'AUTO_ONLY' && (nat.natIps ?? []).length) bad(`${p}.natIps`, 'AUTO_ONLY takes no NAT IPs');
      const mode = nat.sourceSubnetworkIpRangesToNat;
      if (!['ALL_SUBNETWORKS_ALL_IP_RANGES', 'ALL_SUBNETWORKS_ALL_PRIMARY_IP_RANGES', 'LIST_OF_SUBNETWORKS'].includes(mode)) bad(`${p}.sourceSubnetworkIpRangesToNat`, `'${mode}' is not a valid value`);
      if (mode === 'LIST_OF_SUBNETWORKS') {
        if (!(nat.subnetworks ?? []).length) bad(`${p}.subnetworks`, 'LIST_OF_SUBNETWORKS needs at least one subnetwork');
        (nat.subnetworks as Obj[]).forEach((x, j) => {
          const subnet = this.byLink(x.name);
          if (!subnet || subnet.kind !== KIND.subnetworks) bad(`${p}.subnetworks[${j}].name`, `The resource '${x.name}' was not found`);
          if (subnet!.network !== o.network || subnet!.region !== region) bad(`${p}.subnetworks[${j}].name`, "the subnetwork must be in the router's network and region");
          if (subnet!.purpose === 'REGIONAL_MANAGED_PROXY') bad(`${p}.subnetworks[${j}].name`, 'a proxy-only subnetwork cannot use Cloud NAT');
          if (!(x.sourceIpRangesToNat ?? []).length) bad(`${p}.subnetworks[${j}].sourceIpRangesToNat`, 'must list ALL_IP_RANGES, PRIMARY_IP_RANGE or LIST_OF_SECONDARY_IP_RANGES');
        });
      } else if ((nat.subnetworks ?? []).length) bad(`${p}.subnetworks`, `subnetworks are only listed with LIST_OF_SUBNETWORKS, not ${mode}`);
    });
    // Other routers' NATs in the same region and network.
    for (const other of this.objects.values()) {
      if (other.kind !== KIND.routers || other.selfLink === `${region}/routers/${o.name}` || other.network !== o.network || other.region !== region) continue;
      for (const theirs of other.nats ?? []) {
        for (const mine of nats) {
          const a = served(mine), b = served(theirs);
          const clash = a === 'all' || b === 'all' ? true : a.find((x) => b.includes(x));
          if (clash) bad('nats', `NAT '${mine.name}' would serve ${a === 'all' ? 'every subnetwork' : clash === true ? 'a subnetwork' : lastSegment(clash)} that NAT '${theirs.name}' of router '${other.name}' already serves`);
        }
      }
    }
  }

  /** What the API fills in on a NAT it stores (a get returns them; a client that compares them must expect them). */
  private fillRouter(o: Obj): void {
    o.nats = (o.nats ?? []).map((nat: Obj) => ({
      endpointTypes: ['ENDPOINT_TYPE_VM'],
      enableEndpointIndependentMapping: false,
      type: 'PUBLIC',
      ...nat,
    }));
  }

  private remove(scopePath: string, collection: string, name: string): string {
    const obj = this.get(scopePath, collection, name);
    const mine = new Set([obj.selfLink, obj.instanceGroup].filter(Boolean));
    for (const [k, o] of this.objects) {
      if (o.selfLink === obj.selfLink) continue;
      // An instance created by this group does not hold the group (it goes with it).
      if (collection === 'instanceGroupManagers' && o.kind === 'compute#instance' && o.k8supManagedBy === obj.selfLink) continue;
      // Internal fields are no references: an instance does not hold the template it was created from.
      const refs = this.references(this.public(o));
      const user = [...mine].find((r) => refs.has(r));
      if (user) {
        throw new ComputeHttpError(400, 'resourceInUseByAnotherResource', `The ${collection.replace(/s$/, '')} resource '${obj.selfLink.slice(SELF_LINK_BASE.length + 1)}' is already being used by '${k}'`);
      }
    }
    if (obj.purpose === 'REGIONAL_MANAGED_PROXY') {
      const user = [...this.objects.values()].find((o) => o.kind === KIND.forwardingRules && o.loadBalancingScheme === 'INTERNAL_MANAGED' && o.network === obj.network && o.region === obj.region);
      if (user) throw new ComputeHttpError(400, 'resourceInUseByAnotherResource', `The subnetwork resource '${obj.selfLink.slice(SELF_LINK_BASE.length + 1)}' is already being used by '${user.selfLink}'`);
    }
    if (collection === 'instanceGroupManagers') {
      for (const [k, o] of [...this.objects]) if (o.k8supManagedBy === obj.selfLink) this.objects.delete(k);
    }
    this.objects.delete(this.key(scopePath, collection, name));
    return obj.selfLink;
  }

  private patch(scopePath: string, collection: string, name: string, body: Obj): string {
    const obj = this.get(scopePath, collection, name);
    if (body.name && body.name !== name) throw new ComputeHttpError(400, 'invalid', 'name cannot be changed');
    this.checkReferences(body, obj.selfLink);
    const merged = { ...obj, ...structuredClone(body) };
    if (collection === 'routers') {
      if (body.network !== undefined && body.network !== obj.network) throw new ComputeHttpError(400, 'invalid', "Invalid value for field 'resource.network': a router's network cannot be changed");
      this.validateRouter(scopePath, merged);
      this.fillRouter(merged);
    }
    this.objects.set(this.key(scopePath, collection, name), merged);
    return obj.selfLink;
  }

  private act(scopePath: string, collection: string, name: string, action: string, query: URLSearchParams, body: Obj): string {
    const key = this.key(scopePath, collection, name);
    const obj = this.get(scopePath, collection, name);
    if (action === 'setLabels' && (collection === 'addresses' || collection === 'forwardingRules')) {
      if (body.labelFingerprint !== obj.labelFingerprint) throw new ComputeHttpError(412, 'conditionNotMet', 'Labels fingerprint either invalid or resource labels have changed');
      obj.labels = body.labels ?? {};
      obj.labelFingerprint = randomBytes(6).toString('base64');
    } else if (action === 'setPrivateIpGoogleAccess' && collection === 'subnetworks') {
      obj.privateIpGoogleAccess = Boolean(body.privateIpGoogleAccess);
    } else if (action === 'resize' && collection === 'instanceGroupManagers') {
      const size = Number(query.get('size'));
      if (!Number.isInteger(size) || size < 0) throw new ComputeHttpError(400, 'invalid', `Invalid value for field 'size': '${query.get('size')}'`);
      obj.targetSize = size;
    } else if (action === 'setInstanceTemplate' && collection === 'instanceGroupManagers') {
      // Only the template new instances get: with the OPPORTUNISTIC policy running members keep theirs.
      this.checkReferences(body);
      obj.instanceTemplate = body.instanceTemplate;
      obj.versions = [{ instanceTemplate: body.instanceTemplate }];
    } else if (action === 'recreateInstances' && collection === 'instanceGroupManagers') {
      this.markForRecreation(scopePath, obj, body.instances);
    } else if (action === 'deleteInstances' && collection === 'instanceGroupManagers') {
      // The named members go and the target size drops by as many (a URL that names no member is refused whole).
      const chosen = this.namedMembers(scopePath, obj, body.instances);
      for (const member of chosen) this.objects.delete(this.key(scopePath, 'instances', member.name));
      obj.targetSize = Math.max(0, Number(obj.targetSize) - chosen.length);
    } else {
      throw new ComputeHttpError(400, 'badRequest', `unsupported action ${collection}/${action}`);
    }
    this.objects.set(key, obj);
    if (collection === 'instanceGroupManagers') this.reconcileInstances(scopePath, obj);
    return obj.selfLink;
  }

  /** A managed group keeps `targetSize` instances built from its current template (new ones only). */
  private reconcileInstances(scopePath: string, igm: Obj): void {
    const members = this.members(igm);
    for (const m of members.slice(igm.targetSize)) this.objects.delete(this.key(scopePath, 'instances', m.name));
    for (let i = members.length; i < igm.targetSize; i++) this.createMember(scopePath, igm, `${igm.baseInstanceName}-${randomBytes(2).toString('hex')}`);
  }

  private members(igm: Obj): Obj[] {
    return [...this.objects.values()].filter((o) => o.k8supManagedBy === igm.selfLink);
  }

  /** A new instance (new id) of the group on its current template, under `name`, as a managed group creates it. */
  private createMember(scopePath: string, igm: Obj, name: string): void {
    const template = [...this.objects.values()].find((o) => o.selfLink === igm.instanceTemplate);
    const props = template?.properties ?? {};
    const metadata = structuredClone(props.metadata ?? { items: [] });
    // What GCE adds to every instance a group creates (partial URLs, so they hold no reference).
    metadata.items = [
      ...(metadata.items ?? []),
      { key: 'instance-template', value: `projects/${this.project}/global/instanceTemplates/${template?.name ?? lastSegment(igm.instanceTemplate)}` },
      { key: 'created-by', value: `projects/${this.project}/${scopePath}/instanceGroupManagers/${igm.name}` },
    ];
    this.objects.set(this.key(scopePath, 'instances', name), {
      kind: KIND.instances,
      id: String(++this.nextId),
      name,
      zone: igm.zone,
      status: 'RUNNING',
      machineType: `${this.base()}/${scopePath}/machineTypes/${props.machineType ?? 'e2-standard-2'}`,
      labels: { ...(props.labels ?? {}) },
      metadata,
      tags: structuredClone(props.tags ?? {}),
      ...(props.scheduling ? { scheduling: structuredClone(props.scheduling) } : {}),
      disks: structuredClone(props.disks ?? []),
      // The template's interfaces with what GCE allocates: an internal address, and an external one per access config.
      networkInterfaces: (props.networkInterfaces ?? []).map((nic: Obj, i: number) => ({
        ...structuredClone(nic),
        name: `nic${i}`,
        networkIP: `10.128.0.${this.nextIp++ % 250}`,
        accessConfigs: (nic.accessConfigs ?? []).map((ac: Obj) => ({ ...ac, natIP: `198.51.100.${this.nextIp++ % 250}` })),
      })),
      selfLink: `${this.base()}/${scopePath}/instances/${name}`,
      k8supManagedBy: igm.selfLink,
      k8supTemplate: igm.instanceTemplate,
    });
  }

  /**
   * recreateInstances: each named member (full or partial URL) gets the RECREATING action at once; the operation is
   * only the request. The member is deleted and created again under the same name on the group's template of that
   * moment after `recreateReads` listings (see listManagedInstances). A URL that names no member is refused whole.
   */
  private markForRecreation(scopePath: string, igm: Obj, urls: unknown): void {
    const chosen = this.namedMembers(scopePath, igm, urls);
    for (const member of chosen) {
      member.k8supAction = 'RECREATING';
      member.k8supActionReads = this.recreateReads;
      member.status = 'STOPPING';
    }
  }

  /** The members named by instance URLs (full or partial) of a recreate/delete request; one stranger refuses all. */
  private namedMembers(scopePath: string, igm: Obj, urls: unknown): Obj[] {
    if (!Array.isArray(urls) || !urls.length) throw new ComputeHttpError(400, 'invalid', "Invalid value for field 'resource.instances': must name at least one instance");
    const members = this.members(igm);
    return urls.map((u) => {
      const m = /(?:^|\/)(zones\/[^/]+)\/instances\/([^/]+)$/.exec(String(u));
      const member = m && m[1] === scopePath ? members.find((i) => i.name === m[2]) : undefined;
      if (!member) throw new ComputeHttpError(400, 'invalid', `Instance '${u}' is not a member of instance group manager '${igm.name}'`);
      return member;
    });
  }

  /** The members as `ManagedInstance`s; each call moves pending recreations on by one listing. */
  private listManagedInstances(scopePath: string, name: string, query: URLSearchParams): Obj {
    const igm = this.get(scopePath, 'instanceGroupManagers', name);
    for (const member of this.members(igm).filter((m) => m.k8supAction === 'RECREATING')) {
      if (member.k8supActionReads-- > 0) continue;
      this.objects.delete(this.key(scopePath, 'instances', member.name));
      this.createMember(scopePath, igm, member.name);
    }
    const items = this.members(igm)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((m) => ({
        instance: m.selfLink,
        id: m.id,
        name: m.name,
        instanceStatus: m.status,
        currentAction: m.k8supAction ?? 'NONE',
        version: { instanceTemplate: m.k8supTemplate },
      }));
    return this.page(items, query, {}, 'managedInstances');
  }

  private matches(o: Obj, filter: string | null): boolean {
    if (!filter) return true;
    // Clauses joined by AND (space): `labels.k = "v"`, `name eq "regex"`, `name != "x"`.
    const clauses = [...filter.matchAll(/\(?\s*([\w.-]+)\s*(=|!=|eq|ne)\s*"?([^")]*?)"?\s*\)?(?=\s|$)/g)];
    if (!clauses.length) throw new ComputeHttpError(400, 'invalid', `Invalid list filter expression '${filter}'`);
    return clauses.every(([, field, op, value]) => {
      const actual = field.split('.').reduce<any>((acc, k) => (acc == null ? undefined : acc[k]), o);
      const s = actual === undefined || actual === null ? undefined : String(actual);
      if (op === '=') return s === value;
      if (op === '!=') return s !== value;
      const re = new RegExp(`^(?:${value})$`);
      return op === 'eq' ? s !== undefined && re.test(s) : s === undefined || !re.test(s);
    });
  }

  private listScoped(scopePath: string, collection: string, query: URLSearchParams): Obj {
    const items = [...this.objects.entries()]
      .filter(([k, o]) => k.startsWith(`${scopePath}/${collection}/`) && this.matches(o, query.get('filter')))
      .map(([, o]) => this.public(o));
    return this.page(items, query, { kind: `${KIND[collection]}List` });
  }

  private aggregated(collection: string, query: URLSearchParams): Obj {
    if (!(collection in COLLECTIONS)) throw new ComputeHttpError(404, 'notFound', `unknown collection ${collection}`);
    const scoped: Record<string, Obj> = {};
    for (const [k, o] of this.objects) {
      const parts = k.split('/');
      if (parts.at(-2) !== collection || !this.matches(o, query.get('filter'))) continue;
      const scope = parts.slice(0, -2).join('/');
      (scoped[scope] ??= { [collection]: [] })[collection].push(this.public(o));
    }
    return { kind: `${KIND[collection]}AggregatedList`, items: scoped };
  }

  private page(items: Obj[], query: URLSearchParams, extra: Obj, field = 'items'): Obj {
    const max = Math.min(Number(query.get('maxResults') ?? 500) || 500, 500);
    const start = Number(query.get('pageToken') ?? 0);
    const next = start + max < items.length ? String(start + max) : undefined;
    return { ...extra, [field]: items.slice(start, start + max), ...(next ? { nextPageToken: next } : {}) };
  }

  /** Strips fake-internal fields (`k8sup…`); a group gets its members' state as GCE reports it. */
  private public(o: Obj): Obj {
    const out = structuredClone(Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith('k8sup'))));
    if (o.kind === KIND.instanceGroupManagers) {
      const actions = this.members(o).map((m) => String(m.k8supAction ?? 'NONE').toLowerCase());
      out.currentActions = { none: 0, recreating: 0, ...Object.fromEntries([...new Set(actions)].map((a) => [a, actions.filter((x) => x === a).length])) };
      out.status = { isStable: actions.every((a) => a === 'none') };
    }
    return out;
  }

  private op(type: string, scopePath: string, targetLink: string): Obj {
    const name = `operation-${Date.now()}-${randomBytes(4).toString('hex')}`;
    const op: Obj = {
      kind: 'compute#operation',
      id: String(++this.nextId),
      name,
      operationType: type,
      targetLink,
      status: this.pending ? 'RUNNING' : 'DONE',
      progress: this.pending ? 0 : 100,
      insertTime: new Date().toISOString(),
      selfLink: `${this.base()}/${scopePath}/operations/${name}`,
    };
    if (scopePath.startsWith('regions/')) op.region = `${this.base()}/${scopePath}`;
    if (scopePath.startsWith('zones/')) op.zone = `${this.base()}/${scopePath}`;
    this.operations.set(`${scopePath}/${name}`, op);
    return structuredClone(op);
  }

  private operation(scopePath: string, name: string | undefined, action: string | undefined): Obj {
    const op = name ? this.operations.get(`${scopePath}/${name}`) : undefined;
    if (!op) throw new ComputeHttpError(404, 'notFound', `The resource 'projects/${this.project}/${scopePath}/operations/${name}' was not found`);
    if (action !== undefined && action !== 'wait') throw new ComputeHttpError(400, 'badRequest', `unsupported operation action ${action}`);
    // A poll or wait finishes a pending operation (the work itself was done at once).
    op.status = 'DONE';
    op.progress = 100;
    return structuredClone(op);
  }
}
