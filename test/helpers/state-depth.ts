// The state-store calls of one CLI run, recorded whole between the latency proxy and moto's S3, and their sequential
// depth: the longest chain of calls that ran one after another (issue 17). Calls sent side by side overlap and count
// once, so the depth is the number of state round trips the run waited for in a row: what it pays per unit of the
// state store's latency. It is a count, not a time, so it does not move with the machine's load as long as the
// proxy's latency is well above moto's own time per call.

export interface StateCall {
  /** `GET key`, `PUT key`, `DELETE key`, `LIST prefix` (the key relative to the bucket). */
  what: string;
  /** ms on one clock: the client sent it (the proxy's delay before it reached moto included) / its reply ended. */
  start: number;
  end: number;
}

/** An S3 call as the call recorder logged it (bench/call-log.ts): when it reached moto and when moto answered. */
export interface RecordedS3Call {
  service: string;
  action: string;
  atMoto: number;
  done: number;
  body: string;
}

/** The recorder's S3 calls as state calls, `latencyMs` (the proxy's delay for S3) before they reached moto. */
export function stateCallsOf(log: readonly RecordedS3Call[], latencyMs: number, from = -Infinity, to = Infinity): StateCall[] {
  return log
    .filter((c) => c.service === 's3' && c.atMoto - latencyMs >= from && c.done <= to)
    .map((c) => {
      // The recorder keeps `URL&body`; the action is `METHOD /bucket/key` (S3 is a REST service).
      const [method, path] = c.action.split(' ');
      const key = path.replace(/^\/[^/]+\/?/, '');
      const query = /^[^?]*\?([^&]*)/.exec(c.body)?.[1];
      const prefix = method === 'GET' ? /[?&]prefix=([^&]*)/.exec(c.body)?.[1] : undefined;
      const what = prefix !== undefined ? `LIST ${prefix}` : `${method} ${key || `(bucket)?${query ?? ''}`}`;
      return { what, start: c.atMoto - latencyMs, end: c.done };
    });
}

/**
 * The longest chain of calls none of which overlapped the next (earliest end first, which is optimal for interval
 * scheduling). `slackMs` lets a call start a little before the previous one's reply ended on the recorder's clock
 * and still count as after it (the reply's last bytes still travel back through the proxy).
 */
export function sequentialChain(calls: readonly StateCall[], slackMs = 2): StateCall[] {
  const chain: StateCall[] = [];
  let free = -Infinity;
  for (const c of [...calls].sort((a, b) => a.end - b.end)) {
    if (c.start >= free - slackMs) {
      chain.push(c);
      free = c.end;
    }
  }
  return chain;
}
