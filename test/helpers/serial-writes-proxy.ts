// An HTTP proxy that forwards writes (PUT/POST/DELETE) to its target one at a time, reads in parallel.
//
// Why: moto_server is threaded and evaluates If-Match / If-None-Match in one step and stores the object in a later
// one, so two conditional writes to one key can both pass the check (measured: about 1 lost increment in 40 under
// load). Real S3 evaluates the condition and writes atomically per key. Serialising writes gives moto that property,
// so the race tests measure k8sup's client, not moto's; a client that skipped or botched the conditions would still
// lose updates through this proxy.

import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import { freePort } from './net.js';

export interface SerialWritesProxy {
  endpoint: string;
  stop(): Promise<void>;
}

interface Upstream {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function forward(target: URL, method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function startSerialWritesProxy(targetEndpoint: string): Promise<SerialWritesProxy> {
  const target = new URL(targetEndpoint);
  let writes: Promise<unknown> = Promise.resolve();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = () => forward(target, req.method ?? 'GET', req.url ?? '/', req.headers, Buffer.concat(chunks));
      const isWrite = ['PUT', 'POST', 'DELETE'].includes(req.method ?? '');
      const upstream = isWrite ? writes.then(send, send) : send();
      if (isWrite) writes = upstream.catch(() => undefined);
      upstream.then(
        (u) => {
          res.writeHead(u.status, u.headers);
          res.end(u.body);
        },
        (e: Error) => {
          res.writeHead(502);
          res.end(String(e));
        },
      );
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
