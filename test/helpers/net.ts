import { createServer } from 'node:net';

/**
 * A free TCP port on 127.0.0.1 for a server another process will bind (moto, sshd, etcd). Chosen at random below the
 * kernel's ephemeral range (32768-60999 by default): a port from `listen(0)` is an ephemeral one, and in the time
 * between closing it and the child binding it an outgoing connection of the busy suite can take it as its local
 * port, so the child fails with "address already in use".
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 15_000 + Math.floor(Math.random() * 17_000);
    if (await canListen(port)) return port;
  }
  throw new Error('no free TCP port on 127.0.0.1 between 15000 and 32000 after 100 tries');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Polls `check` until it returns true; bounded by `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, opts: { timeoutMs: number; intervalMs?: number; what: string }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
  throw new Error(`timed out waiting for ${opts.what}`, { cause: last });
}
