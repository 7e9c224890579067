// The calls of one apply, recorded whole, and the critical path read from them (issue 17).
//
// A pass-through between the latency proxy and moto records every call: when it reached moto, when moto answered,
// its service, action and request body. The latency proxy delays each call before forwarding it, so a call's
// round trip as the CLI sees it starts `latency` earlier than it reached moto. Each call is then given to the apply
// task it belongs to — the task whose run (task.start → task.done of the progress events) holds the call and whose
// graph id or cloud id the request names (the k8sup.io/id tag of a create, the VPC id of a ModifyVpcAttribute, the
// route table of a CreateRoute …); a call that names no running task but falls inside exactly one running task of
// the same service goes to that one.
//
// From that:
//  - each kind's call sequence: the most calls of one task that ran one after another (the longest chain of
//    non-overlapping calls; calls a handler sends side by side count once) — what the handlers really call;
//  - the critical path: the longest chain of dependent tasks of the graph, each weighted by its kind's sequence,
//    × the latency; and the same with each call weighted by latency + the time it spent inside moto (moto's own
//    service time, measured per call), the path the apply could reach on this moto;
//  - the chain the apply actually followed, walked back from the task that ended last: for each task on it, how
//    long it waited after its last dependency released it before its first call (intent write, call limits,
//    scheduling), and for each of its calls the latency, the time inside moto and the gaps between calls (the CLI's
//    own time: SDK serialisation, signing, parsing, the event loop).

import { createServer, type IncomingMessage } from 'node:http';
import type { ResourceGraph } from '../src/core/graph.js';
import { forwardWhole, relayResponse } from '../test/helpers/throttle-proxy.js';

export interface RecordedCall {
  service: string;
  action: string;
  /** ms on the recorder's clock (performance.now() since it started): the call reached moto / moto's reply ended. */
  atMoto: number;
  done: number;
  /** The URL and the request body (URL-decoded when form-encoded); `bytes`: the body's size as sent. */
  body: string;
  bytes: number;
}

/** A pass-through HTTP proxy in front of `target` that records each exchange (not moto's own /moto-api). */
export async function startCallRecorder(target: string) {
  const upstream = new URL(target);
  const t0 = performance.now();
  const log: RecordedCall[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const auth = String(req.headers.authorization ?? '');
      const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? 'other';
      const text = body.toString('utf8');
      const amzTarget = req.headers['x-amz-target'];
      const action = amzTarget ? String(amzTarget).split('.').pop()! : /(?:^|&)Action=([A-Za-z0-9]+)/.exec(text)?.[1] ?? `${req.method} ${req.url?.split('?')[0]}`;
      const atMoto = performance.now() - t0;
      forwardWhole(upstream, req, body, (upRes, data) => {
        if (!(req.url ?? '').startsWith('/moto-api')) {
          let decoded = `${req.url ?? ''}&${text}`;
          try {
            decoded = decodeURIComponent(decoded.replace(/\+/g, ' '));
          } catch {
            // not form-encoded: keep it as sent
          }
          log.push({ service, action, atMoto, done: performance.now() - t0, body: decoded, bytes: body.length });
        }
        relayResponse(res, upRes, data);
      });
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    log,
    /** Date.now() at the recorder's zero, to put the progress events' wall-clock times on its clock. */
    originWallMs: Date.now() - (performance.now() - t0),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface ProgressEvent {
  time: string;
  code: string;
  task?: string;
  kind?: string;
  action?: string;
  cloudId?: string;
  durationMs?: number;
}

/** One apply task as the events and the call log show it (times on the recorder's clock). */
interface TaskRun {
  id: string;
  kind: string;
  cloudId?: string;
  start: number;
  done: number;
  calls: Call[];
}

interface Call {
  service: string;
  action: string;
  /** The round trip as the CLI saw it: sent (latency before moto) and answered. */
  start: number;
  end: number;
  motoMs: number;
}

/** The longest chain of calls of one task that ran one after another (earliest-end-first greedy: optimal). */
function sequentialCalls(calls: readonly Call[]): Call[] {
  const chain: Call[] = [];
  let free = -Infinity;
  for (const c of [...calls].sort((a, b) => a.end - b.end)) {
    if (c.start >= free - 1) {
      chain.push(c);
      free = c.end;
    }
  }
  return chain;
}

/** The median of numbers (the upper one of an even count), NaN for none. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}

/** Where `name` first appears in `body` as a whole value (after `=` or `/`, before `&`, `/`, `"` or the end); -1 if not. */
function valueAt(body: string, name: string): number {
  for (let i = body.indexOf(name); i >= 0; i = body.indexOf(name, i + 1)) {
    const before = body[i - 1];
    const after = body[i + name.length];
    if ((before === '=' || before === '/') && (after === undefined || after === '&' || after === '/' || after === '"')) return i;
  }
  return -1;
}

/**
 * The k8sup.io/id tag a create call gives its own object: the request's top-level TagSpecification (EC2) or
 * Tags.member (the others), not a launch template's tags for its instances.
 */
function idTag(body: string): string | undefined {
  const key = /(?:^|&)((?:TagSpecification\.\d+\.Tag|Tags\.member|Tags)\.\d+)\.Key=k8sup\.io\/id(?:&|$)/.exec(body);
  if (!key) return undefined;
  return new RegExp(`(?:^|&)${key[1].replace(/\./g, '\\.')}\\.Value=([^&]*)`).exec(body)?.[1];
}

export interface CallLogAnalysis {
  /** Calls of the phase (apply or destroy), and how many could not be given to a task. */
  callsInApply: number;
  unattributed: { count: number; actions: Record<string, number> };
  /** Kind → the most sequential calls one task of that kind made (median over its tasks), and their actions. */
  callSequences: Record<string, { calls: number; actions: string[] }>;
  /**
   * The graph's longest chain, each task weighted by its kind's call sequence, × latency. Destroy: children first
   * (a resource's delete after its dependants'), plus the sequential calls of the listing before the first delete
   * and of the one after the last (`listingCalls`).
   */
  criticalPathMs: number;
  listingCalls: number;
  criticalPathCalls: number;
  criticalPathChain: string[];
  /** The same chain, each call weighted by latency + its median time inside moto (per action, this run). */
  criticalPathWithMotoMs: number;
  /** The chain the run followed, walked back from the last task to finish: where its time went. */
  followedChain: {
    tasks: { id: string; kind: string; waitBeforeFirstCallMs: number; intentDurableAfterReadyMs: number | null; calls: number; latencyMs: number; insideMotoMs: number; clientGapsMs: number; afterLastCallMs: number }[];
    totals: { waitBeforeFirstCallMs: number; latencyMs: number; insideMotoMs: number; clientGapsMs: number; afterLastCallMs: number; fromApplyStartMs: number };
  };
}

/**
 * Reads the call log of an apply (or, `phase: 'destroy'`, of a delete's destroy) against its progress events and
 * graph. `latencyMs`: the latency proxy's delay of each cloud call.
 */
export function analyseCallLog(args: { log: readonly RecordedCall[]; events: readonly ProgressEvent[]; originWallMs: number; graph: ResourceGraph; latencyMs: number; stateService?: string; phase?: 'apply' | 'destroy' }): CallLogAnalysis {
  const { log, events, originWallMs, graph, latencyMs } = args;
  const stateService = args.stateService ?? 's3';
  const destroying = args.phase === 'destroy';
  const onClock = (e: ProgressEvent) => Date.parse(e.time) - originWallMs;
  const phaseDone = events.find((e) => e.code === (destroying ? 'destroy.done' : 'apply.done'))!;
  const applyEnd = onClock(phaseDone);
  const applyStart = destroying ? onClock(events.find((e) => e.code === 'destroy.start')!) : applyEnd - phaseDone.durationMs!;
  const runs = new Map<string, TaskRun>();
  for (const e of events) {
    if (!e.task || !e.kind || (e.action === 'delete') !== destroying) continue;
    // A task's run spans its attempts: from its first start to its last end (a delete refused on `dependency` retries).
    if (e.code === 'task.start' && !runs.has(e.task)) runs.set(e.task, { id: e.task, kind: e.kind, cloudId: e.cloudId, start: onClock(e), done: Infinity, calls: [] });
    if (e.code === 'task.done' && runs.has(e.task)) Object.assign(runs.get(e.task)!, { done: onClock(e), cloudId: e.cloudId });
  }
  // Event times have millisecond resolution and the recorder's clock is lined up by wall time: allow a few ms.
  const SLACK = 5;
  const tasks = [...runs.values()];
  const unattributed = new Map<string, number>();
  /** Calls while no task ran (destroy's listings). */
  const outsideTasks: Call[] = [];
  let callsInApply = 0;
  for (const r of log) {
    if (r.service === stateService) continue;
    const call: Call = { service: r.service, action: r.action, start: r.atMoto - latencyMs, end: r.done, motoMs: r.done - r.atMoto };
    if (call.end < applyStart || call.start > applyEnd) continue;
    callsInApply++;
    const running = tasks.filter((t) => t.start - SLACK <= call.start && call.end <= t.done + SLACK);
    // A create names its own graph id in its k8sup.io/id tag (a look-first describe filters on it); a later call
    // names the object's cloud id, or the name an ARN ends with (a role's RoleName). A call naming several running
    // tasks (an ingress rule naming both security groups) belongs to the first one it names (its GroupId).
    const tagged = idTag(r.body);
    const own = tagged ? running.filter((t) => t.id === tagged) : [];
    const named = running
      .map((t) => ({ t, at: Math.min(...[t.id, t.cloudId, t.cloudId?.split('/').at(-1)].filter((n): n is string => !!n).map((n) => valueAt(r.body, n)).filter((i) => i >= 0)) }))
      .filter((x) => Number.isFinite(x.at))
      .sort((a, b) => a.at - b.at);
    const owner = own.length === 1 ? own[0] : named.length && (named.length === 1 || named[0].at < named[1].at) ? named[0].t : named.length === 0 && running.length === 1 ? running[0] : undefined;
    if (owner) owner.calls.push(call);
    else if (running.length === 0) outsideTasks.push(call);
    else unattributed.set(r.action, (unattributed.get(r.action) ?? 0) + 1);
  }
  // Destroy lists the cluster's objects before its first delete and once more after its last: those calls' own chains.
  const firstStart = Math.min(...tasks.map((t) => t.start));
  const lastDone = Math.max(...tasks.map((t) => t.done).filter(Number.isFinite));
  const listingCalls = destroying ? sequentialCalls(outsideTasks.filter((c) => c.end <= firstStart + SLACK)).length + sequentialCalls(outsideTasks.filter((c) => c.start >= lastDone - SLACK)).length : 0;

  const perKind = new Map<string, Call[][]>();
  for (const t of tasks) (perKind.get(t.kind) ?? perKind.set(t.kind, []).get(t.kind)!).push(sequentialCalls(t.calls));
  const callSequences: CallLogAnalysis['callSequences'] = {};
  for (const [kind, chains] of perKind) {
    const n = median(chains.map((c) => c.length));
    callSequences[kind] = { calls: n, actions: chains.find((c) => c.length === n)?.map((c) => c.action) ?? [] };
  }
  const motoMsOf = new Map<string, number>();
  for (const a of new Set(tasks.flatMap((t) => t.calls.map((c) => c.action)))) motoMsOf.set(a, median(tasks.flatMap((t) => t.calls.filter((c) => c.action === a).map((c) => c.motoMs))));

  const kindOf = (id: string) => graph.nodes.get(id)!.kind;
  // What must finish before a task may start: its dependencies (apply), its dependants (destroy: children first).
  const before = destroying ? graph.dependants : graph.deps;
  const weigh = (w: (kind: string) => number) => {
    const memo = new Map<string, { total: number; chain: string[] }>();
    const finish = (id: string): { total: number; chain: string[] } => {
      const known = memo.get(id);
      if (known) return known;
      let best = { total: 0, chain: [] as string[] };
      for (const d of before.get(id)!) {
        const f = finish(d);
        if (f.total > best.total) best = f;
      }
      const out = { total: best.total + w(kindOf(id)), chain: [...best.chain, id] };
      memo.set(id, out);
      return out;
    };
    return [...graph.nodes.keys()].map(finish).reduce((a, b) => (b.total > a.total ? b : a), { total: 0, chain: [] as string[] });
  };
  const calls = (kind: string) => callSequences[kind]?.calls ?? 0;
  const path = weigh(calls);
  const withMoto = weigh((kind) => (callSequences[kind]?.actions ?? []).reduce((a, action) => a + latencyMs + (motoMsOf.get(action) ?? 0), 0));

  // The chain followed: from the task that ended last, back through the dependency that released it last. A task's
  // dependants may start once its object exists (its last call), before its record is written.
  const released = (t: TaskRun) => (t.calls.length ? Math.max(...t.calls.map((c) => c.end)) : t.done);
  const followed: TaskRun[] = [];
  let cur = tasks.reduce<TaskRun | undefined>((a, b) => (!a || released(b) > released(a) ? b : a), undefined);
  while (cur) {
    followed.unshift(cur);
    const deps = [...(before.get(cur.id) ?? [])].map((d) => runs.get(d)).filter((t): t is TaskRun => !!t);
    cur = deps.reduce<TaskRun | undefined>((a, b) => (!a || released(b) > released(a) ? b : a), undefined);
  }
  // When each task's intent was durable: the end of the first journal write (a PUT of applied.json) holding it.
  const journalWrites = log.filter((c) => c.service === stateService && /applied\.json/.test(c.body.split('&')[0]) && c.body.includes('"entries"'));
  const intentDurable = (id: string): number | undefined => {
    const quoted = JSON.stringify(id).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    const entry = new RegExp(`"id": ${quoted},\\s*"kind": "[^"]*",\\s*"cloudId": "",\\s*"action": "intent"`);
    return journalWrites.find((w) => entry.test(w.body))?.done;
  };
  const r = Math.round;
  const rows = followed.map((t, i) => {
    const seq = sequentialCalls(t.calls);
    const readyAt = i === 0 ? applyStart : released(followed[i - 1]);
    const first = seq.length ? seq[0].start : released(t);
    let gaps = 0;
    for (let k = 1; k < seq.length; k++) gaps += Math.max(0, seq[k].start - seq[k - 1].end);
    return {
      id: t.id,
      kind: t.kind,
      waitBeforeFirstCallMs: r(first - readyAt),
      /** How long after the task could start its intent became durable (> 0: the create waited for the state store). */
      intentDurableAfterReadyMs: (() => {
        const d = intentDurable(t.id);
        return d === undefined ? null : r(d - readyAt);
      })(),
      calls: seq.length,
      latencyMs: latencyMs * seq.length,
      insideMotoMs: r(seq.reduce((a, c) => a + c.motoMs, 0)),
      clientGapsMs: r(gaps),
      afterLastCallMs: r(t.done - released(t)),
    };
  });
  const sum = (k: 'waitBeforeFirstCallMs' | 'latencyMs' | 'insideMotoMs' | 'clientGapsMs') => rows.reduce((a, x) => a + x[k], 0);
  return {
    callsInApply,
    unattributed: { count: [...unattributed.values()].reduce((a, b) => a + b, 0), actions: Object.fromEntries(unattributed) },
    callSequences,
    criticalPathMs: (path.total + listingCalls) * latencyMs,
    listingCalls,
    criticalPathCalls: path.total + listingCalls,
    criticalPathChain: path.chain,
    criticalPathWithMotoMs: r(withMoto.total + listingCalls * latencyMs),
    followedChain: {
      tasks: rows,
      totals: {
        waitBeforeFirstCallMs: sum('waitBeforeFirstCallMs'),
        latencyMs: sum('latencyMs'),
        insideMotoMs: sum('insideMotoMs'),
        clientGapsMs: sum('clientGapsMs'),
        afterLastCallMs: rows.at(-1)?.afterLastCallMs ?? 0,
        fromApplyStartMs: r((followed.length ? released(followed.at(-1)!) : applyStart) - applyStart),
      },
    },
  };
}
