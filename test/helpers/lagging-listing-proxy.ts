// A pass-through in front of moto that sees every AWS query-protocol call whole (its action and decoded form
// parameters) and can answer chosen calls as an eventually consistent listing would: without an object that was
// just made. moto is consistent at once; AWS listings (tag-filtered describes) may not show a new object for a while,
// which is when a create must look for its earlier object itself instead of trusting the plan.

import { createServer, type IncomingMessage } from 'node:http';
import { forwardWhole, relayResponse } from './throttle-proxy.js';

export interface SeenCall {
  /** `Action` of the query-protocol body (EC2, Auto Scaling, IAM, ELB). */
  action: string;
  params: URLSearchParams;
}

export interface LaggingListingProxy {
  endpoint: string;
  /** Every call in arrival order (moto's control API excluded). */
  calls: SeenCall[];
  /** The next call `match` accepts is answered with `xml` (status 200) instead of reaching moto. */
  lagNext(match: (c: SeenCall) => boolean, xml: string): void;
  stop(): Promise<void>;
}

/** The values of a query-protocol filter list whose `Name` is `name` (`Filter.N.Name` / `Filter.N.Value.M`, `Filters.member.N…`). */
export function filterValues(params: URLSearchParams, name: string): string[] | undefined {
  for (const [k, v] of params) {
    const m = /^(Filters?\.(?:member\.)?\d+)\.Name$/.exec(k);
    if (!m || v !== name) continue;
    return [...params].filter(([vk]) => vk.startsWith(`${m[1]}.Value`)).map(([, vv]) => vv);
  }
  return undefined;
}

export async function startLaggingListingProxy(target: string): Promise<LaggingListingProxy> {
  const upstream = new URL(target);
  const calls: SeenCall[] = [];
  const lags: { match: (c: SeenCall) => boolean; xml: string }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const control = (req.url ?? '').startsWith('/moto-api');
      const params = new URLSearchParams(String(req.headers['content-type'] ?? '').includes('x-www-form-urlencoded') ? body.toString('utf8') : '');
      const call: SeenCall = { action: params.get('Action') ?? req.method ?? '', params };
      if (!control) calls.push(call);
      const lag = control ? -1 : lags.findIndex((l) => l.match(call));
      if (lag >= 0) {
        const { xml } = lags.splice(lag, 1)[0];
        res.writeHead(200, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(xml) });
        res.end(xml);
        return;
      }
      forwardWhole(upstream, req, body, (upRes, data) => relayResponse(res, upRes, data));
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    calls,
    lagNext(match, xml) {
      lags.push({ match, xml });
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
