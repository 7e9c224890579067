// A small fake of the Google Cloud Storage JSON API, enough for @google-cloud/storage to talk to it over HTTP on
// 127.0.0.1: multipart / media / resumable uploads, downloads (alt=media), object metadata, listing with prefix,
// pageToken (continuing after the last name, as GCS does) and versions, deletes, the four generation preconditions
// (412 conditionNotMet; 304 for a NotMatch on a read; 400 for a value that is not an integer), crc32c and md5 hashes,
// and the JSON error bodies the library parses. `loseWriteReplies` applies a seeded share of writes and then loses
// their replies (a reset, or a 503 as GCS may send for a request it carried out). Every write gets a new generation, like the real service; with a versioned
// bucket the replaced generations stay listable with versions=true.
//
// Bucket IAM (`/b/<bucket>/iam`, get and set) speaks the real protocol strictly: policies carry an etag (a write with
// a stale one is refused with 412), conditional bindings need policy version 3 on write and on read (asking for
// version 1 of a policy with conditions is refused) and uniform bucket-level access on the bucket, members must be
// well-formed principals (and known ones, with `knownPrincipal`). `permits()` evaluates the stored policy, with its
// conditions, the way GCS authorises an object request (`resource.name` is `projects/_/buckets/<b>/objects/<name>`;
// for a list it is the bucket), so tests can ask what a service account may read. The condition language is CEL;
// the fake knows the subset k8sup writes (`resource.name.startsWith("…")` / `== "…"`, joined by `&&` / `||`) and
// refuses other expressions rather than guess (the real service accepts more).
//
// Both path styles are served: `/storage/v1/b/...` (what the library builds from `apiEndpoint`) and `/b/...` (what
// it builds when STORAGE_EMULATOR_HOST is set in process.env, which it uses as the base URL verbatim).

import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

interface StoredObject {
  name: string;
  data: Buffer;
  generation: number;
  metageneration: number;
  contentType: string;
  updated: string;
  metadata?: Record<string, string>;
}

export interface IamBinding {
  role: string;
  members: string[];
  condition?: { title: string; description?: string; expression: string };
}

interface IamPolicy {
  version: number;
  etag: string;
  bindings: IamBinding[];
}

/** What the predefined roles allow on objects (a subset of Google's documented permissions for each role). */
const ROLE_PERMISSIONS: Record<string, string[]> = {
  'roles/storage.objectViewer': ['storage.objects.get', 'storage.objects.list'],
  'roles/storage.objectCreator': ['storage.objects.create'],
  'roles/storage.objectUser': ['storage.objects.get', 'storage.objects.list', 'storage.objects.create', 'storage.objects.delete', 'storage.objects.update'],
  'roles/storage.objectAdmin': ['storage.objects.get', 'storage.objects.list', 'storage.objects.create', 'storage.objects.delete', 'storage.objects.update', 'storage.objects.getIamPolicy', 'storage.objects.setIamPolicy'],
  'roles/storage.legacyBucketOwner': ['storage.buckets.get', 'storage.buckets.update', 'storage.objects.list', 'storage.objects.create', 'storage.objects.delete'],
  'roles/storage.legacyBucketReader': ['storage.buckets.get', 'storage.objects.list'],
};

const MEMBER = /^(allUsers|allAuthenticatedUsers|(user|serviceAccount|group):[^\s@]+@[^\s@]+|domain:[a-z0-9.-]+|(projectOwner|projectEditor|projectViewer):[a-z][-a-z0-9]{4,28}[a-z0-9])$/;

/** The CEL subset the fake evaluates: atoms on `resource.name`, `&&` binding tighter than `||`. Null: not understood. */
function compileCondition(expression: string): ((resourceName: string) => boolean) | null {
  const atom = /^\s*resource\.name\s*(?:\.startsWith\(\s*"([^"\\]*)"\s*\)|==\s*"([^"\\]*)")\s*$/;
  const alternatives = expression.split('||').map((alt) =>
    alt.split('&&').map((a) => {
      const m = atom.exec(a);
      if (!m) return null;
      return m[1] !== undefined ? (n: string) => n.startsWith(m[1]) : (n: string) => n === m[2];
    }),
  );
  if (alternatives.some((alt) => alt.some((f) => f === null))) return null;
  return (name) => alternatives.some((alt) => alt.every((f) => f!(name)));
}

interface Bucket {
  name: string;
  versioning: boolean;
  uniformBucketLevelAccess: boolean;
  policy: IamPolicy;
  live: Map<string, StoredObject>;
  /** Replaced or deleted generations (versioned buckets only). */
  archived: StoredObject[];
}

interface ResumableSession {
  bucket: string;
  name: string;
  metadata: Record<string, unknown>;
  query: URLSearchParams;
  chunks: Buffer[];
  received: number;
}

export interface GcsRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

export class GcsHttpError extends Error {
  constructor(readonly status: number, readonly reason: string, message: string) {
    super(message);
  }
}

// CRC32C (Castagnoli), as GCS reports it: big-endian, base64.
const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32cBase64(data: Buffer): string {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC32C_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}

const md5Base64 = (data: Buffer) => createHash('md5').update(data).digest('base64');

export class FakeGcs {
  private server?: Server;
  private readonly buckets = new Map<string, Bucket>();
  private readonly sessions = new Map<string, ResumableSession>();
  private nextGeneration = 1_700_000_000_000_000;
  /** Every request, for tests that assert on what the library sent. */
  readonly requests: GcsRequestRecord[] = [];
  /** Statuses to answer the next matching requests with before doing anything (fault injection). */
  private readonly faults: { match: (method: string, path: string) => boolean; status: number; reason: string }[] = [];
  /** Requests to apply and then answer with a reset connection (the reply is lost after the server did the work). */
  private readonly dropRules: ((method: string, path: string, query: URLSearchParams) => boolean)[] = [];
  /** Replies dropped so far by dropReplyOnce rules and by loseWriteReplies. */
  droppedReplies = 0;
  /** loseWriteReplies: the share of writes whose reply is lost after they were applied, and its seeded dice. */
  private writeLossRate = 0;
  private writeLossDice: () => number = () => 1;
  port = 0;

  /** @param pageSize caps list pages (the real service caps at 1000), so tests can exercise paging with few keys. */
  constructor(private readonly pageSize = 1000) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** When set, bucket IAM members must be principals it knows (IAM refuses unknown service accounts). */
  knownPrincipal?: (member: string) => boolean;

  createBucket(name: string, opts: { versioning?: boolean; uniformBucketLevelAccess?: boolean; project?: string } = {}): void {
    const project = opts.project ?? 'k8sup-test';
    // A new bucket's policy: the project's owners/editors own it, viewers read it (as GCS creates it).
    const policy: IamPolicy = {
      version: 1,
      etag: 'CAE=',
      bindings: [
        { role: 'roles/storage.legacyBucketOwner', members: [`projectEditor:${project}`, `projectOwner:${project}`] },
        { role: 'roles/storage.legacyBucketReader', members: [`projectViewer:${project}`] },
      ],
    };
    this.buckets.set(name, { name, versioning: opts.versioning ?? false, uniformBucketLevelAccess: opts.uniformBucketLevelAccess ?? false, policy, live: new Map(), archived: [] });
  }

  /** The bucket's IAM policy as stored, for assertions. */
  iamPolicy(bucket: string): IamPolicy {
    return structuredClone(this.bucket(bucket).policy);
  }

  /**
   * Someone else's writes to bucket policies, landing between a client's read and its write: each coming
   * setIamPolicy first applies (and drops) the next one, which adds its bindings and gives the policy a new etag.
   */
  readonly interleavedPolicyWrites: { role: string; members: string[] }[][] = [];

  /**
   * Whether `member` holds `permission` on object `name` of `bucket` (or on the bucket, for `storage.objects.list`),
   * evaluating every binding's condition against the request's resource name, as GCS authorises a request.
   */
  permits(bucket: string, member: string, permission: string, name?: string): boolean {
    const b = this.bucket(bucket);
    const resourceName = name === undefined || permission === 'storage.objects.list' ? `projects/_/buckets/${bucket}` : `projects/_/buckets/${bucket}/objects/${name}`;
    return b.policy.bindings.some(
      (binding) =>
        binding.members.includes(member) &&
        (ROLE_PERMISSIONS[binding.role] ?? []).includes(permission) &&
        (!binding.condition || compileCondition(binding.condition.expression)!(resourceName)),
    );
  }

  private getIamPolicy(bucketName: string, query: URLSearchParams): IamPolicy & { kind: string; resourceId: string } {
    const b = this.bucket(bucketName);
    const requested = Number(query.get('optionsRequestedPolicyVersion') ?? 1);
    if (![1, 2, 3].includes(requested)) throw new GcsHttpError(400, 'invalid', `Invalid requested policy version ${query.get('optionsRequestedPolicyVersion')}`);
    if (requested < 3 && b.policy.bindings.some((x) => x.condition)) {
      throw new GcsHttpError(400, 'invalid', 'The policy of this bucket has conditional role bindings: request policy version 3 (optionsRequestedPolicyVersion=3) to read it.');
    }
    return { kind: 'storage#policy', resourceId: `projects/_/buckets/${b.name}`, ...structuredClone(b.policy), version: b.policy.bindings.some((x) => x.condition) ? 3 : 1 };
  }

  private setIamPolicy(bucketName: string, body: Buffer): IamPolicy & { kind: string; resourceId: string } {
    const b = this.bucket(bucketName);
    const theirs = this.interleavedPolicyWrites.shift();
    if (theirs) b.policy = { ...b.policy, etag: randomBytes(6).toString('base64'), bindings: [...b.policy.bindings, ...structuredClone(theirs)] };
    const policy = JSON.parse(body.toString('utf8') || '{}') as Partial<IamPolicy>;
    if (policy.etag !== undefined && policy.etag !== b.policy.etag) {
      throw new GcsHttpError(412, 'conditionNotMet', 'Precondition Failed: the policy changed since it was read (etag mismatch).');
    }
    if (!Array.isArray(policy.bindings)) throw new GcsHttpError(400, 'invalid', 'Invalid argument: bindings must be a list');
    const conditional = policy.bindings.some((x) => x.condition);
    if (conditional && policy.version !== 3) throw new GcsHttpError(400, 'invalid', 'Invalid argument: conditional role bindings require policy version 3.');
    if (conditional && !b.uniformBucketLevelAccess) {
      throw new GcsHttpError(400, 'invalid', 'IAM conditions can only be used on buckets with uniform bucket-level access enabled.');
    }
    policy.bindings.forEach((x, i) => {
      if (typeof x.role !== 'string' || !/^(roles\/[A-Za-z.]+|projects\/[^/]+\/roles\/[\w.]+)$/.test(x.role)) throw new GcsHttpError(400, 'invalid', `Invalid argument: bindings[${i}].role '${x.role}'`);
      if (!Array.isArray(x.members) || x.members.length === 0) throw new GcsHttpError(400, 'invalid', `Invalid argument: bindings[${i}] has no members`);
      for (const m of x.members) {
        if (!MEMBER.test(m)) throw new GcsHttpError(400, 'invalid', `Invalid argument: '${m}' is not a valid member`);
        if (m.startsWith('serviceAccount:') && this.knownPrincipal && !this.knownPrincipal(m)) {
          throw new GcsHttpError(400, 'invalid', `Invalid argument: Service account ${m.slice('serviceAccount:'.length)} does not exist.`);
        }
      }
      if (x.condition) {
        if (!x.condition.title || x.condition.title.length > 100) throw new GcsHttpError(400, 'invalid', `Invalid argument: bindings[${i}].condition.title must have 1 to 100 characters`);
        if ((x.condition.description ?? '').length > 256) throw new GcsHttpError(400, 'invalid', `Invalid argument: bindings[${i}].condition.description is longer than 256 characters`);
        if (!compileCondition(String(x.condition.expression ?? ''))) throw new GcsHttpError(400, 'invalid', `Invalid argument: bindings[${i}].condition.expression '${x.condition.expression}' (the fake evaluates resource.name startsWith/== joined by && and ||)`);
      }
    });
    b.policy = { version: conditional ? 3 : 1, etag: randomBytes(6).toString('base64'), bindings: structuredClone(policy.bindings) };
    return { kind: 'storage#policy', resourceId: `projects/_/buckets/${b.name}`, ...structuredClone(b.policy) };
  }

  private readonly lostReplies: ((method: string, path: string) => boolean)[] = [];

  /** The next matching request is carried out, then its connection is reset: the client never sees the answer. */
  injectLostReply(match: (method: string, path: string) => boolean): void {
    this.lostReplies.push(match);
  }

  /** Answer the next request matching `match` with `status` (e.g. 503) without acting on it. */
  injectFault(match: (method: string, path: string) => boolean, status: number, reason = 'backendError'): void {
    this.faults.push({ match, status, reason });
  }

  /** Apply the next request `match` accepts, then reset its connection instead of answering (a lost reply). */
  dropReplyOnce(match: (method: string, path: string, query: URLSearchParams) => boolean): void {
    this.dropRules.push(match);
  }

  /**
   * From now on each object write (upload, delete) is applied and then, with probability `rate` (seeded, so a failing
   * run repeats), not answered properly: half of those lose the connection, half answer 503 — GCS documents that a
   * 5xx may come from a request it carried out. 0 turns it off.
   */
  loseWriteReplies(rate: number, seed = 1): void {
    this.writeLossRate = rate;
    let a = seed >>> 0;
    this.writeLossDice = () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** Current objects of a bucket (name → bytes), for assertions. */
  objects(bucket: string): Map<string, { data: Buffer; generation: number }> {
    const b = this.buckets.get(bucket);
    return new Map([...(b?.live ?? new Map<string, StoredObject>())].map(([k, o]) => [k, { data: o.data, generation: o.generation }]));
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
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
    const query = url.searchParams;
    const method = req.method ?? 'GET';
    let status = 200;
    try {
      const body = await readBody(req);
      const fault = this.faults.findIndex((f) => f.match(method, url.pathname));
      if (fault >= 0) {
        const f = this.faults.splice(fault, 1)[0];
        throw new GcsHttpError(f.status, f.reason, `injected ${f.status}`);
      }
      const drop = this.dropRules.findIndex((m) => m(method, url.pathname, query));
      if (drop >= 0) this.dropRules.splice(drop, 1);
      const result = this.route(method, url.pathname, query, req.headers, body);
      const lost = this.lostReplies.findIndex((m) => m(method, url.pathname));
      if (lost >= 0) {
        this.lostReplies.splice(lost, 1);
        status = 0;
        req.socket.destroy();
        return;
      }
      status = result.status ?? 200;
      // A write is a delete, or an upload's last request (not a resumable session's start, nor a 308 for a chunk).
      const startsSession = query.get('uploadType') === 'resumable' && !query.get('upload_id');
      const objectWrite = method === 'DELETE' ? /\/o\/./.test(url.pathname) : url.pathname.startsWith('/upload/') && !startsSession && status === 200;
      const roll = objectWrite && this.writeLossRate > 0 ? this.writeLossDice() : 1;
      if (roll < this.writeLossRate / 2) {
        this.droppedReplies++;
        status = 0;
        req.socket.destroy();
        return;
      }
      if (roll < this.writeLossRate) {
        this.droppedReplies++;
        throw new GcsHttpError(503, 'backendError', 'Backend Error (after the write was applied)');
      }
      if (drop >= 0) {
        this.droppedReplies++;
        req.socket.destroy();
        return;
      }
      res.writeHead(status, { 'content-type': result.contentType ?? 'application/json; charset=utf-8', ...(result.headers ?? {}) });
      res.end(result.raw ?? (result.json === undefined ? '' : JSON.stringify(result.json)));
    } catch (e) {
      const err = e instanceof GcsHttpError ? e : new GcsHttpError(500, 'backendError', (e as Error).message);
      status = err.status;
      res.writeHead(err.status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: { code: err.status, message: err.message, errors: [{ message: err.message, domain: 'global', reason: err.reason }] } }));
    } finally {
      this.requests.push({ method, path: url.pathname, query: Object.fromEntries(query), status });
    }
  }

  private route(
    method: string,
    path: string,
    query: URLSearchParams,
    headers: IncomingMessage['headers'],
    body: Buffer,
  ): { status?: number; json?: unknown; raw?: Buffer; contentType?: string; headers?: Record<string, string> } {
    let m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(path);
    if (m) {
      const bucket = decodeURIComponent(m[1]);
      const type = query.get('uploadType') ?? 'multipart';
      if (method === 'POST' && type === 'multipart') {
        const { metadata, data } = parseMultipart(headers['content-type'] ?? '', body);
        return { json: this.write(bucket, String(metadata.name ?? query.get('name') ?? ''), data, metadata, query) };
      }
      if (method === 'POST' && type === 'media') {
        return { json: this.write(bucket, query.get('name') ?? '', body, { contentType: headers['content-type'] }, query) };
      }
      if (method === 'POST' && type === 'resumable') {
        const metadata = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
        const name = String(metadata.name ?? query.get('name') ?? '');
        this.bucket(bucket);
        // Preconditions are checked when the upload completes (as GCS does), not when it starts.
        const id = randomBytes(12).toString('hex');
        this.sessions.set(id, { bucket, name, metadata, query, chunks: [], received: 0 });
        return { headers: { location: `${this.url}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable&upload_id=${id}` } };
      }
      if ((method === 'PUT' || method === 'POST') && type === 'resumable' && query.get('upload_id')) {
        return this.resumableChunk(query.get('upload_id')!, headers, body);
      }
      throw new GcsHttpError(400, 'invalid', `unsupported upload ${method} uploadType=${type}`);
    }
    m = /^(?:\/storage\/v1)?\/b\/([^/]+)\/o(?:\/(.+))?$/.exec(path);
    if (m) {
      const bucket = decodeURIComponent(m[1]);
      if (m[2] === undefined) {
        if (method === 'GET') return { json: this.list(bucket, query) };
        throw new GcsHttpError(405, 'invalid', `method ${method} not allowed on object list`);
      }
      const name = decodeURIComponent(m[2]);
      if (method === 'GET') return this.read(bucket, name, query);
      if (method === 'DELETE') {
        this.remove(bucket, name, query);
        return { status: 204 };
      }
      throw new GcsHttpError(405, 'invalid', `method ${method} not allowed on objects`);
    }
    m = /^(?:\/storage\/v1)?\/b\/([^/]+)\/iam$/.exec(path);
    if (m && method === 'GET') return { json: this.getIamPolicy(decodeURIComponent(m[1]), query) };
    if (m && method === 'PUT') return { json: this.setIamPolicy(decodeURIComponent(m[1]), body) };
    m = /^(?:\/storage\/v1)?\/b\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      const b = this.bucket(decodeURIComponent(m[1]));
      return {
        json: {
          kind: 'storage#bucket', id: b.name, name: b.name, versioning: { enabled: b.versioning },
          iamConfiguration: { uniformBucketLevelAccess: { enabled: b.uniformBucketLevelAccess }, bucketPolicyOnly: { enabled: b.uniformBucketLevelAccess } },
        },
      };
    }
    if (/^(?:\/storage\/v1)?\/b$/.test(path) && method === 'POST') {
      const meta = JSON.parse(body.toString('utf8') || '{}') as { name?: string; versioning?: { enabled?: boolean }; iamConfiguration?: { uniformBucketLevelAccess?: { enabled?: boolean } } };
      if (!meta.name) throw new GcsHttpError(400, 'required', 'bucket name required');
      if (this.buckets.has(meta.name)) throw new GcsHttpError(409, 'conflict', `bucket ${meta.name} already exists`);
      this.createBucket(meta.name, { versioning: meta.versioning?.enabled, uniformBucketLevelAccess: meta.iamConfiguration?.uniformBucketLevelAccess?.enabled });
      return { json: { kind: 'storage#bucket', name: meta.name } };
    }
    throw new GcsHttpError(404, 'notFound', `no route for ${method} ${path}`);
  }

  private bucket(name: string): Bucket {
    const b = this.buckets.get(name);
    if (!b) throw new GcsHttpError(404, 'notFound', `The specified bucket does not exist.`);
    return b;
  }

  /**
   * The JSON API's four preconditions, as GCS checks them: a value that is not an integer is a 400; a failed
   * ifGeneration/ifMetagenerationMatch is a 412; a failed ...NotMatch is a 304 on a read (nothing changed since the
   * generation the client has) and a 412 on a write or delete. An absent object has generation 0.
   */
  private checkPreconditions(current: StoredObject | undefined, query: URLSearchParams, op: 'read' | 'write'): void {
    const value = (param: string): number | null => {
      const raw = query.get(param);
      if (raw === null) return null;
      if (!/^-?\d+$/.test(raw)) throw new GcsHttpError(400, 'invalid', `Invalid argument: ${param}=${raw} is not an integer`);
      return Number(raw);
    };
    const failed = () => new GcsHttpError(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.');
    const unchanged = () => (op === 'read' ? new GcsHttpError(304, 'notModified', 'not modified') : failed());
    const generation = value('ifGenerationMatch');
    if (generation !== null && generation !== (current?.generation ?? 0)) throw failed();
    const notGeneration = value('ifGenerationNotMatch');
    if (notGeneration !== null && notGeneration === (current?.generation ?? 0)) throw unchanged();
    const metageneration = value('ifMetagenerationMatch');
    if (metageneration !== null && (!current || metageneration !== current.metageneration)) throw failed();
    const notMetageneration = value('ifMetagenerationNotMatch');
    if (notMetageneration !== null && current && notMetageneration === current.metageneration) throw unchanged();
  }

  private write(bucketName: string, name: string, data: Buffer, metadata: Record<string, unknown>, query: URLSearchParams): unknown {
    const b = this.bucket(bucketName);
    if (!name) throw new GcsHttpError(400, 'required', 'Required object name');
    // Server-side integrity check, like GCS: a client-supplied hash that does not match the bytes is refused.
    if (typeof metadata.crc32c === 'string' && metadata.crc32c !== crc32cBase64(data)) {
      throw new GcsHttpError(400, 'invalid', 'Provided CRC32C "' + metadata.crc32c + '" doesn\'t match calculated CRC32C');
    }
    if (typeof metadata.md5Hash === 'string' && metadata.md5Hash !== md5Base64(data)) {
      throw new GcsHttpError(400, 'invalid', 'Provided MD5 hash doesn\'t match calculated MD5 hash');
    }
    const current = b.live.get(name);
    this.checkPreconditions(current, query, 'write');
    if (current && b.versioning) b.archived.push(current);
    const obj: StoredObject = {
      name,
      data: Buffer.from(data),
      generation: ++this.nextGeneration,
      metageneration: 1,
      contentType: typeof metadata.contentType === 'string' ? metadata.contentType : 'application/octet-stream',
      updated: new Date().toISOString(),
      metadata: (metadata.metadata as Record<string, string> | undefined) ?? undefined,
    };
    b.live.set(name, obj);
    return this.resource(b, obj);
  }

  private resumableChunk(id: string, headers: IncomingMessage['headers'], body: Buffer): { status?: number; json?: unknown; headers?: Record<string, string> } {
    const s = this.sessions.get(id);
    if (!s) throw new GcsHttpError(404, 'notFound', 'No such upload session');
    // Content-Range: bytes a-b/total, bytes */total (finalise / status query) or bytes a-b/* (more to come).
    const range = String(headers['content-range'] ?? '');
    const rm = /^bytes (?:(\d+)-(\d+)|\*)\/(\d+|\*)$/.exec(range);
    if (body.length) {
      if (rm && rm[1] !== undefined && Number(rm[1]) !== s.received) {
        throw new GcsHttpError(400, 'invalid', `chunk starts at ${rm[1]}, expected ${s.received}`);
      }
      s.chunks.push(body);
      s.received += body.length;
    }
    const total = rm ? rm[3] : String(s.received);
    if (total === '*' || Number(total) > s.received) {
      const headers: Record<string, string> = s.received ? { range: `bytes=0-${s.received - 1}` } : {};
      return { status: 308, headers };
    }
    this.sessions.delete(id);
    return { json: this.write(s.bucket, s.name, Buffer.concat(s.chunks), s.metadata, s.query) };
  }

  private read(bucketName: string, name: string, query: URLSearchParams) {
    const b = this.bucket(bucketName);
    const gen = query.get('generation');
    const obj = gen ? [b.live.get(name), ...b.archived].find((o) => o?.name === name && o.generation === Number(gen)) : b.live.get(name);
    if (!obj) throw new GcsHttpError(404, 'notFound', `No such object: ${bucketName}/${name}`);
    this.checkPreconditions(obj, query, 'read');
    if (query.get('alt') === 'media') {
      return {
        raw: obj.data,
        contentType: obj.contentType,
        headers: {
          'x-goog-generation': String(obj.generation),
          'x-goog-metageneration': String(obj.metageneration),
          'x-goog-hash': `crc32c=${crc32cBase64(obj.data)},md5=${md5Base64(obj.data)}`,
          'x-goog-stored-content-length': String(obj.data.length),
          'x-goog-stored-content-encoding': 'identity',
        },
      };
    }
    return { json: this.resource(b, obj) };
  }

  private remove(bucketName: string, name: string, query: URLSearchParams): void {
    const b = this.bucket(bucketName);
    const current = b.live.get(name);
    const gen = query.get('generation');
    if (gen) {
      const i = b.archived.findIndex((o) => o.name === name && o.generation === Number(gen));
      if (i >= 0) return void b.archived.splice(i, 1);
      if (current?.generation !== Number(gen)) throw new GcsHttpError(404, 'notFound', `No such object: ${bucketName}/${name}`);
    }
    if (!current) throw new GcsHttpError(404, 'notFound', `No such object: ${bucketName}/${name}`);
    this.checkPreconditions(current, query, 'write');
    b.live.delete(name);
    if (b.versioning) b.archived.push(current);
  }

  private list(bucketName: string, query: URLSearchParams) {
    const b = this.bucket(bucketName);
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter');
    const max = Math.min(Number(query.get('maxResults') ?? 1000) || 1000, this.pageSize);
    const all = (query.get('versions') === 'true' ? [...b.live.values(), ...b.archived] : [...b.live.values()])
      .filter((o) => o.name.startsWith(prefix))
      .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : x.generation - y.generation));
    const prefixes = new Set<string>();
    const items: StoredObject[] = [];
    for (const o of all) {
      const rest = o.name.slice(prefix.length);
      const cut = delimiter ? rest.indexOf(delimiter) : -1;
      if (cut >= 0) prefixes.add(prefix + rest.slice(0, cut + delimiter!.length));
      else items.push(o);
    }
    // The page token says where the last page ended (the last name, and its generation when listing versions), as
    // GCS's does: objects written or deleted meanwhile before that point shift nothing, so no key is skipped or listed
    // twice. Opaque to the client (base64 so nobody is tempted to parse it).
    const token = query.get('pageToken');
    let after: { name: string; generation: number } | null = null;
    try {
      after = token ? (JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { name: string; generation: number }) : null;
    } catch {
      throw new GcsHttpError(400, 'invalid', `Invalid page token ${token}`);
    }
    const rest = after ? items.filter((o) => o.name > after.name || (o.name === after.name && o.generation > after.generation)) : items;
    const page = rest.slice(0, max);
    const last = page.at(-1);
    const next = last && rest.length > max ? Buffer.from(JSON.stringify({ name: last.name, generation: last.generation })).toString('base64') : undefined;
    return {
      kind: 'storage#objects',
      items: page.map((o) => this.resource(b, o)),
      ...(prefixes.size && !after ? { prefixes: [...prefixes].sort() } : {}),
      ...(next ? { nextPageToken: next } : {}),
    };
  }

  private resource(b: Bucket, o: StoredObject) {
    return {
      kind: 'storage#object',
      id: `${b.name}/${o.name}/${o.generation}`,
      name: o.name,
      bucket: b.name,
      generation: String(o.generation),
      metageneration: String(o.metageneration),
      contentType: o.contentType,
      size: String(o.data.length),
      md5Hash: md5Base64(o.data),
      crc32c: crc32cBase64(o.data),
      etag: crc32cBase64(Buffer.from(String(o.generation))),
      timeCreated: o.updated,
      updated: o.updated,
      storageClass: 'STANDARD',
      ...(o.metadata ? { metadata: o.metadata } : {}),
    };
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** multipart/related: a JSON metadata part, then the media part. */
export function parseMultipart(contentType: string, body: Buffer): { metadata: Record<string, unknown>; data: Buffer } {
  const bm = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!/^multipart\/related/i.test(contentType) || !bm) throw new GcsHttpError(400, 'invalid', `expected multipart/related, got ${contentType}`);
  const delimiter = Buffer.from(`--${bm[1] ?? bm[2]}`);
  const parts: Buffer[] = [];
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    const start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    parts.push(body.subarray(start, next));
    pos = next;
  }
  const decoded = parts.map((p) => {
    const headerEnd = p.indexOf('\r\n\r\n');
    if (headerEnd < 0) throw new GcsHttpError(400, 'invalid', 'multipart part without headers');
    let content = p.subarray(headerEnd + 4);
    // The CRLF before the next delimiter belongs to the delimiter.
    if (content.subarray(-2).toString() === '\r\n') content = content.subarray(0, -2);
    return content;
  });
  if (decoded.length !== 2) throw new GcsHttpError(400, 'invalid', `expected 2 multipart parts, got ${decoded.length}`);
  return { metadata: JSON.parse(decoded[0].toString('utf8')) as Record<string, unknown>, data: decoded[1] };
}
