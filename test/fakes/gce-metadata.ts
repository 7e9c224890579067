// The GCE metadata server as node scripts use it, on 127.0.0.1: every request must carry `Metadata-Flavor: Google`
// (403 otherwise, as the real server refuses requests without it), the default service account's OAuth token under
// instance/service-accounts/default/token, and the instance name. Enough for templates/bootstrap/store-gce.sh.

import { createServer, type Server } from 'node:http';

export interface FakeGceMetadata {
  /** Base URL as the node scripts use it: `http://127.0.0.1:PORT/computeMetadata/v1`. */
  url: string;
  /** Requests refused for a missing Metadata-Flavor header. */
  refused: number;
  /** Tokens handed out. */
  tokens: number;
  stop(): Promise<void>;
}

export async function startFakeGceMetadata(opts: { instanceName: string; accessToken: string }): Promise<FakeGceMetadata> {
  const state = { refused: 0, tokens: 0 };
  const server: Server = createServer((req, res) => {
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, { 'content-type': type, 'metadata-flavor': 'Google' });
      res.end(body);
    };
    if (req.headers['metadata-flavor'] !== 'Google') {
      state.refused++;
      return send(403, 'text/html', 'Missing Metadata-Flavor:Google header.');
    }
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/computeMetadata/v1/instance/service-accounts/default/token') {
      state.tokens++;
      return send(200, 'application/json', JSON.stringify({ access_token: opts.accessToken, expires_in: 3599, token_type: 'Bearer' }));
    }
    if (req.method === 'GET' && path === '/computeMetadata/v1/instance/name') return send(200, 'application/text', opts.instanceName);
    send(404, 'text/html', 'Not Found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/computeMetadata/v1`,
    get refused() {
      return state.refused;
    },
    get tokens() {
      return state.tokens;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
