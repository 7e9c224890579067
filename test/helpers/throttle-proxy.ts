// An HTTP proxy on 127.0.0.1 in front of moto that misbehaves like AWS under load: a share of calls is answered
// with the service's real throttling error (EC2 `RequestLimitExceeded` 503, query services `Throttling` 400,
// Route53 `Throttling`/`PriorRequestNotComplete` 400, S3 `SlowDown` 503, JSON services `ThrottlingException`), and a few
// connections are reset — some before the request reaches moto, some after moto did the work (the response is
// lost: the case that duplicates resources in naive clients). It also counts every call per service and action.
// S3 (the state store) goes through it like every other service; `dropReplyOnce` loses the reply of one chosen request
// after the server applied it, so a test can hit that moment deterministically. It also behaves like a token bucket
// that is already empty past a number of calls at once (`concurrencyLimitFor`: calls arriving while that many of the
// service are in flight are throttled) and records how many calls of each service were in flight at once.

import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface ProxyStats {
  /** Attempts per `service:Action` (or `service:METHOD path` for REST services). */
  calls: Map<string, number>;
  throttled: number;
  resetBefore: number;
  resetAfter: number;
  /** Calls per service in flight now (from arrival to the end of the reply, latency included). */
  inFlight: Map<string, number>;
  /** The most calls of each service in flight at once. */
  peakInFlight: Map<string, number>;
  /** Per service, the number in flight (itself included) as each call arrived, in arrival order, throttled or not. */
  arrivals: Map<string, { inFlight: number; throttled: boolean }[]>;
  /** Milliseconds the upstream server (moto) spent on calls, summed per service: what the server itself costs. */
  upstreamMs: Map<string, number>;
}

export interface ThrottleProxy {
  endpoint: string;
  stats: ProxyStats;
  /** Fault rates may be changed between phases of a test. */
  setFaults(f: { throttleRate?: number; resetRate?: number }): void;
  /** The next request `match` accepts is forwarded and applied upstream, then its connection is reset (reply lost). */
  dropReplyOnce(match: (req: { method: string; path: string; headers: IncomingMessage['headers'] }) => boolean): void;
  /**
   * The next request `match` accepts is held: never forwarded, never answered (until stop). Resolves when it arrives,
   * so a test can kill the client at exactly that moment.
   */
  holdOnce(match: (req: { method: string; path: string; headers: IncomingMessage['headers'] }) => boolean): Promise<void>;
  /** The next call of each `key` (`service:Action`) is applied upstream and its reply lost (connection reset). */
  dropReplyOfNext(keys: readonly string[]): void;
  /** The next `n` calls of `key` (`service:Action`, as in stats.calls) are answered with the service's throttling error. */
  throttleNext(n: number, key: string): void;
  resetStats(): void;
  /** Calls per service (ec2, iam, ...), summed over actions. */
  callsByService(): Record<string, number>;
  stop(): Promise<void>;
}

/** Small deterministic PRNG so a failing run can be repeated with the same seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function serviceOf(req: IncomingMessage): string {
  const auth = String(req.headers.authorization ?? '');
  const m = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(auth);
  return m ? m[1] : 'unknown';
}

function actionOf(req: IncomingMessage, body: string): string {
  const target = req.headers['x-amz-target'];
  if (target) return String(target).split('.').pop()!;
  const m = /(?:^|&)Action=([A-Za-z0-9]+)/.exec(body) ?? /[?&]Action=([A-Za-z0-9]+)/.exec(req.url ?? '');
  if (m) return m[1];
  return `${req.method} ${(req.url ?? '').split('?')[0].replace(/\/[A-Z0-9]{10,}/g, '/{id}')}`;
}

function throttleResponse(service: string, req: IncomingMessage, requestId: string): { status: number; type: string; body: string } {
  if (req.headers['x-amz-target'] || String(req.headers['content-type']).includes('json')) {
    return { status: 400, type: 'application/x-amz-json-1.1', body: JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }) };
  }
  switch (service) {
    case 'ec2':
      return {
        status: 503,
        type: 'text/xml',
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
      };
    case 's3':
      return { status: 503, type: 'application/xml', body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>${requestId}</RequestId></Error>` };
    case 'route53':
      return {
        status: 400,
        type: 'text/xml',
        body: `<?xml version="1.0"?>\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      };
    default:
      // IAM, ELBv2, Auto Scaling, STS (awsQuery).
      return {
        status: 400,
        type: 'text/xml',
        body: `<ErrorResponse xmlns="https://${service}.amazonaws.com/doc/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      };
  }
}

export interface ThrottleProxyOptions {
  throttleRate?: number;
  resetRate?: number;
  seed?: number;
  /** Called with `service:Action` as each call arrives, before it is forwarded (a test can kill its client here). */
  onCall?: (key: string) => void;
  /** Delays every call by that much (a slow network: keeps an apply in flight long enough to interrupt it). */
  latencyMs?: number;
  /** Per-service delay (`s3`, `ec2` …), instead of latencyMs: the state store and the cloud at different distances. */
  latencyFor?: (service: string) => number;
  /** Calls of a service arriving while this many of it are already in flight get its throttling error. */
  concurrencyLimitFor?: (service: string) => number | undefined;
}

/**
 * Answers the client with an upstream reply read whole. Hop-by-hop headers are the upstream connection's, not the
 * client's (RFC 9110 §7.6.1): moto_server answers `Connection: close`, which would make every client open a new
 * connection per call, where AWS keeps them alive.
 */
export function relayResponse(res: ServerResponse, upRes: IncomingMessage, data: Buffer): void {
  const headers = { ...upRes.headers };
  delete headers['transfer-encoding'];
  delete headers.connection;
  delete headers['keep-alive'];
  headers['content-length'] = String(data.length);
  res.writeHead(upRes.statusCode ?? 502, headers);
  res.end(data);
}

/**
 * Sends a client's request (its body already read) on to `upstream` and hands over the reply read whole. A failed
 * upstream call drops the client's connection, as a broken hop would.
 */
export function forwardWhole(upstream: URL, req: IncomingMessage, body: Buffer, onReply: (upRes: IncomingMessage, data: Buffer) => void): void {
  const up = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } }, (upRes) => {
    const out: Buffer[] = [];
    upRes.on('data', (c: Buffer) => out.push(c));
    upRes.on('end', () => onReply(upRes, Buffer.concat(out)));
  });
  up.on('error', () => req.socket.destroy());
  up.end(body);
}

export async function startThrottleProxy(target: string, opts: ThrottleProxyOptions = {}): Promise<ThrottleProxy> {
  const upstream = new URL(target);
  let throttleRate = opts.throttleRate ?? 0.2;
  let resetRate = opts.resetRate ?? 0.03;
  const random = mulberry32(opts.seed ?? 42);
  const stats: ProxyStats = { calls: new Map(), throttled: 0, resetBefore: 0, resetAfter: 0, inFlight: new Map(), peakInFlight: new Map(), arrivals: new Map(), upstreamMs: new Map() };
  let seq = 0;
  const dropRules: ((req: { method: string; path: string; headers: IncomingMessage['headers'] }) => boolean)[] = [];
  const throttleRules: { left: number; key: string }[] = [];
  const dropKeys = new Set<string>();
  const holdRules: { match: (req: { method: string; path: string; headers: IncomingMessage['headers'] }) => boolean; arrived: () => void }[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse, overCapacity: boolean) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const isControl = (req.url ?? '').startsWith('/moto-api');
      const service = serviceOf(req);
      const key = `${service}:${actionOf(req, body.toString('utf8'))}`;
      if (!isControl) {
        stats.calls.set(key, (stats.calls.get(key) ?? 0) + 1);
        opts.onCall?.(key);
      }
      const described = { method: req.method ?? 'GET', path: decodeURIComponent((req.url ?? '').split('?')[0]), headers: req.headers };
      const held = isControl ? -1 : holdRules.findIndex((h) => h.match(described));
      if (held >= 0) {
        holdRules.splice(held, 1)[0].arrived();
        return; // parked: the client waits for a reply that never comes
      }
      const ruleIndex = isControl ? -1 : dropRules.findIndex((m) => m(described));
      if (ruleIndex >= 0) dropRules.splice(ruleIndex, 1);
      const ruled = ruleIndex >= 0 || (!isControl && dropKeys.delete(key));
      const forced = isControl ? undefined : throttleRules.find((t) => t.left > 0 && t.key === key);
      if (forced) forced.left--;
      const roll = forced || (overCapacity && !isControl) ? -1 : isControl || ruled ? 1 : random();
      if (roll < throttleRate) {
        stats.throttled++;
        const t = throttleResponse(service, req, `proxy-${++seq}`);
        res.writeHead(t.status, { 'content-type': t.type, 'content-length': Buffer.byteLength(t.body) });
        res.end(t.body);
        return;
      }
      const resetBefore = roll < throttleRate + resetRate / 2;
      const resetAfter = ruled || (!resetBefore && roll < throttleRate + resetRate);
      if (resetBefore) {
        stats.resetBefore++;
        req.socket.destroy();
        return;
      }
      const sentAt = performance.now();
      forwardWhole(upstream, req, body, (upRes, data) => {
        if (!isControl) stats.upstreamMs.set(service, (stats.upstreamMs.get(service) ?? 0) + performance.now() - sentAt);
        if (resetAfter) {
          // Moto did the work; the client never hears about it.
          stats.resetAfter++;
          req.socket.destroy();
          return;
        }
        relayResponse(res, upRes, data);
      });
    });
  };

  const latencyOf = opts.latencyFor ?? (() => opts.latencyMs ?? 0);
  const server: Server = createServer((req, res) => {
    const service = serviceOf(req);
    const control = (req.url ?? '').startsWith('/moto-api');
    let overCapacity = false;
    if (!control) {
      const now = (stats.inFlight.get(service) ?? 0) + 1;
      stats.inFlight.set(service, now);
      stats.peakInFlight.set(service, Math.max(now, stats.peakInFlight.get(service) ?? 0));
      const cap = opts.concurrencyLimitFor?.(service);
      overCapacity = cap !== undefined && now > cap;
      (stats.arrivals.get(service) ?? stats.arrivals.set(service, []).get(service)!).push({ inFlight: now, throttled: overCapacity });
      res.once('close', () => stats.inFlight.set(service, stats.inFlight.get(service)! - 1));
    }
    const ms = latencyOf(service);
    if (ms > 0) setTimeout(() => handle(req, res, overCapacity), ms);
    else handle(req, res, overCapacity);
  });
  // Node's clients (the AWS SDK's agent) keep a connection only if the server's announced keep-alive timeout is over
  // a second: at 1 s every call opened a new connection, which AWS does not make clients do.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    setFaults(f) {
      if (f.throttleRate !== undefined) throttleRate = f.throttleRate;
      if (f.resetRate !== undefined) resetRate = f.resetRate;
    },
    dropReplyOnce(match) {
      dropRules.push(match);
    },
    dropReplyOfNext(keys) {
      for (const k of keys) dropKeys.add(k);
    },
    throttleNext(n, key) {
      throttleRules.push({ left: n, key });
    },
    holdOnce(match) {
      return new Promise<void>((arrived) => holdRules.push({ match, arrived }));
    },
    resetStats() {
      stats.calls.clear();
      stats.throttled = stats.resetBefore = stats.resetAfter = 0;
      stats.peakInFlight.clear();
      stats.arrivals.clear();
      stats.upstreamMs.clear();
    },
    callsByService() {
      const out: Record<string, number> = {};
      for (const [k, n] of stats.calls) {
        const s = k.split(':')[0];
        out[s] = (out[s] ?? 0) + n;
      }
      return out;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
