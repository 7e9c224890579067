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

/** An AWS spec in three zones with `groups` node groups of one node (0: the default groups). */
export function depthSpec(name: string, groups: number): string {
  const nodeGroups = groups ? Array.from({ length: groups }, (_, i) => ({ name: `group-${i}`, minSize: 1, maxSize: 1 })) : undefined;
  return JSON.stringify({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name }, spec: { zones: ['us-east-2a', 'us-east-2b', 'us-east-2c'], ...(nodeGroups ? { nodeGroups } : {}) } });
}

interface PhaseEvent {
  time: string;
  code: string;
  durationMs?: number;
}

/** The depth of a command's state calls: outside the engine's phase (`phase`: apply or destroy), inside it, in all. */
export interface CommandDepth {
  calls: number;
  depth: number;
  outsidePhase: number;
  insidePhase: number;
  /** The chain outside the phase: when each call was sent (ms on the recorder's clock) and what it was. */
  outsideChain: string[];
}

export function commandDepth(calls: StateCall[], stderr: string, originWallMs: number, phase: 'apply' | 'destroy'): CommandDepth {
  const evs = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as PhaseEvent);
  const done = evs.find((e) => e.code === `${phase}.done`);
  const end = done ? Date.parse(done.time) - originWallMs : -Infinity;
  const start = done ? end - (done.durationMs ?? Date.parse(done.time) - Date.parse(evs.find((e) => e.code === `${phase}.start`)!.time)) : -Infinity;
  const inside = calls.filter((c) => c.start >= start - 2 && c.end <= end + 2);
  const outside = calls.filter((c) => !inside.includes(c));
  const outsideChain = sequentialChain(outside);
  return { calls: calls.length, depth: sequentialChain(calls).length, outsidePhase: outsideChain.length, insidePhase: sequentialChain(inside).length, outsideChain: outsideChain.map((c) => `${Math.round(c.start)} ${c.what}`) };
}

