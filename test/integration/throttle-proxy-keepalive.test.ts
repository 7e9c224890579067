// The throttle proxy (test/helpers/throttle-proxy.ts) keeps clients' connections alive, as AWS does: moto_server answers
// `Connection: close`, and a keep-alive timeout of one second makes Node's agent refuse to reuse a socket, either of
// which made every call of a test or benchmark open a new connection — CPU the CLI would not spend against AWS.

import assert from 'node:assert/strict';
import { connect, createServer, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { startMoto, type Moto } from '../helpers/moto.js';
import { startThrottleProxy, type ThrottleProxy } from '../helpers/throttle-proxy.js';

let moto: Moto;
let proxy: ThrottleProxy;
let counter: Server;
let connections = 0;
let endpoint = '';

before(async () => {
  moto = await startMoto();
  proxy = await startThrottleProxy(moto.endpoint, { throttleRate: 0, resetRate: 0, latencyMs: 20 });
  const port = Number(new URL(proxy.endpoint).port);
  // Counts the TCP connections clients open to the proxy.
  counter = createServer((socket) => {
    connections++;
    const upstream = connect(port, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(counter.address() as { port: number }).port}`;
});

after(async () => {
  await new Promise<void>((resolve) => counter.close(() => resolve()));
  await proxy.stop();
  await moto.stop();
});

test('calls one after another through the proxy share one connection', async () => {
  const { EC2Client, DescribeVpcsCommand } = await import('@aws-sdk/client-ec2');
  const ec2 = new EC2Client({ endpoint, region: 'us-east-2', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
  try {
    for (let i = 0; i < 8; i++) {
      const r = await ec2.send(new DescribeVpcsCommand({}));
      assert.ok(Array.isArray(r.Vpcs));
    }
    assert.equal(proxy.callsByService().ec2, 8, 'every call went through the proxy');
    assert.equal(connections, 1, `8 sequential calls opened ${connections} connections`);
  } finally {
    ec2.destroy();
  }
});
