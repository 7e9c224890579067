// The EC2 instance metadata service as IMDSv2 serves it, on 127.0.0.1: a session token from `PUT /latest/api/token`
// (with its TTL header, 400 without), every other request needs that token (401 otherwise), and the instance
// role's temporary credentials under meta-data/iam/security-credentials/. Enough for node scripts that sign S3
// requests with the instance identity (templates/bootstrap/store-aws.sh).

import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';

export interface ImdsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  token: string;
}

export interface FakeImds {
  /** Base URL as the node scripts use it: `http://127.0.0.1:PORT/latest`. */
  url: string;
  /** How many requests were refused (no or a wrong session token). */
  refused: number;
  stop(): Promise<void>;
}

/** localHostname: what meta-data/local-hostname answers (the node name kubeadm and the control poller use); 404 without. */
export async function startFakeImds(opts: { role: string; credentials: ImdsCredentials; instanceId?: string; localHostname?: string }): Promise<FakeImds> {
  const tokens = new Set<string>();
  const state = { refused: 0 };
  const server: Server = createServer((req, res) => {
    const send = (code: number, body: string) => {
      res.writeHead(code, { 'content-type': 'text/plain' });
      res.end(body);
    };
    const path = (req.url ?? '').split('?')[0];
    if (path === '/latest/api/token') {
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (req.method !== 'PUT') return send(405, '');
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return send(400, '');
      const token = randomBytes(24).toString('base64url');
      tokens.add(token);
      return send(200, token);
    }
    if (req.method !== 'GET' || !tokens.has(String(req.headers['x-aws-ec2-metadata-token'] ?? ''))) {
      state.refused++;
      return send(401, '');
    }
    if (path === '/latest/meta-data/iam/security-credentials/') return send(200, opts.role);
    if (path === `/latest/meta-data/iam/security-credentials/${opts.role}`) {
      const c = opts.credentials;
      return send(200, JSON.stringify({
        Code: 'Success',
        LastUpdated: new Date().toISOString(),
        Type: 'AWS-HMAC',
        AccessKeyId: c.accessKeyId,
        SecretAccessKey: c.secretAccessKey,
        Token: c.token,
        Expiration: new Date(Date.now() + 3600_000).toISOString(),
      }, null, 2));
    }
    if (path === '/latest/meta-data/instance-id') return send(200, opts.instanceId ?? 'i-0123456789abcdef0');
    if (path === '/latest/meta-data/local-hostname' && opts.localHostname) return send(200, opts.localHostname);
    return send(404, '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/latest`,
    get refused() {
      return state.refused;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
