// Where a big apply's wall time goes (issue 17): one `create -f --yes` of N node groups on moto behind the latency
// proxy, with
//  - every call's timeline, recorded by a second recorder between the proxy and moto: when it reached moto and when
//    moto answered, so moto's busy time (any call inside moto) and the calls inside moto at once are measured, not
//    guessed;
//  - moto's CPU seconds (its process accounting) and k8sup's own CPU (a V8 CPU profile of the CLI process, taken
//    through node:inspector by a module NODE_OPTIONS=--import loads, since --cpu-prof is not allowed there): which of
//    the two is busy while the apply waits;
//  - the apply phase's tasks from the progress events: when each kind's tasks started and ended.
// Run: node --import tsx bench/apply-profile.ts [groups=50] [cloudLatencyMs=100] (prints JSON; K8SUP_BENCH_BIN=bin/k8sup of
// another build; BENCH_NO_PROFILE=1 leaves the CLI unprofiled, its CPU then read from /proc; BENCH_PROFILE_DIR=dir
// keeps the CPU profile and the timeline).

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { k8sup } from '../test/helpers/cli.js';
import { startMoto } from '../test/helpers/moto.js';
import { startThrottleProxy } from '../test/helpers/throttle-proxy.js';
import { startCallRecorder, type RecordedCall } from './call-log.js';

/** One call as the recorder saw it (call-log.ts): its key, when it reached moto and when moto answered, body bytes. */
interface Exchange {
  key: string;
  at: number;
  done: number;
  bytes: number;
}

const exchanges = (log: readonly RecordedCall[]): Exchange[] => log.map((c) => ({ key: `${c.service}:${c.action}`, at: c.atMoto, done: c.done, bytes: c.bytes }));

/** Profiles the whole process (1 ms samples) and writes the profile when it exits. */
const PROFILE_HOOK = `
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 1000 });
session.post('Profiler.start');
process.on('exit', () => {
  session.post('Profiler.stop', (err, r) => {
    if (!err) writeFileSync(process.env.K8SUP_CPU_PROFILE_DIR + '/' + process.pid + '.cpuprofile', JSON.stringify(r.profile));
  });
});
`;

/** A TCP pass-through that counts the connections clients open (keep-alive working or not). */
async function startConnectionCounter(target: string) {
  const up = new URL(target);
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections++;
    const upstream = connect(Number(up.port), up.hostname);
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    connections: () => connections,
    reset: () => void (connections = 0),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** CPU ms (user + system, clock ticks of 10 ms) of a process from /proc/PID/stat. */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The CLI child of this process (node bin/k8sup …), if one runs. */
function cliChild(): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ');
      if (Number(stat[1]) === process.pid && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('bin/k8sup')) return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** Length of the union of [at, done) intervals inside [from, to). */
function busyMs(xs: Exchange[], from: number, to: number): number {
  const iv = xs.map((x) => [Math.max(from, x.at), Math.min(to, x.done)] as const).filter(([a, b]) => b > a).sort((p, q) => p[0] - q[0]);
  let total = 0;
  let [s, e] = [NaN, NaN];
  for (const [a, b] of iv) {
    if (!(a <= e)) {
      if (e > s) total += e - s;
      [s, e] = [a, b];
    } else e = Math.max(e, b);
  }
  if (e > s) total += e - s;
  return total;
}

/** Self time of a V8 CPU profile by category: idle, GC, k8sup's code (dist/), node_modules, node internals. */
function profileSummary(file: string) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: { id: number; callFrame: { functionName: string; url: string } }[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const cat = new Map<string, number>();
  const fns = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const { functionName, url } = byId.get(id)!.callFrame;
    const dt = (p.timeDeltas[i] ?? 0) / 1000;
    const c = functionName === '(idle)' ? 'idle' : functionName === '(garbage collector)' ? 'gc' : functionName === '(program)' ? 'program' : url.includes('/dist/') ? 'k8sup' : url.includes('node_modules') ? 'node_modules' : 'node';
    cat.set(c, (cat.get(c) ?? 0) + dt);
    if (c !== 'idle') {
      const k = `${functionName || '(anonymous)'} ${url.replace(/.*\/(dist|node_modules)\//, '$1/')}`;
      fns.set(k, (fns.get(k) ?? 0) + dt);
    }
  });
  const r = (x: number) => Math.round(x);
  return {
    ms: Object.fromEntries([...cat].map(([k, v]) => [k, r(v)])),
    busyMs: r([...cat].filter(([k]) => k !== 'idle').reduce((a, [, v]) => a + v, 0)),
    topSelfMs: [...fns].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, v]) => `${r(v)} ${k}`),
  };
}

export async function profileApply(groups = 50, cloudMs = 100) {
  const moto = await startMoto();
  const recorder = await startCallRecorder(moto.endpoint);
  const proxy = await startThrottleProxy(recorder.endpoint, { throttleRate: 0, resetRate: 0, latencyFor: (service) => (service === 's3' ? 0 : cloudMs) });
  const counter = await startConnectionCounter(proxy.endpoint);
  const home = mkdtempSync(join(tmpdir(), 'k8sup-bench-'));
  const profDir = join(home, 'prof');
  mkdirSync(profDir);
  const bucket = 'k8sup-bench';
  const hook = join(home, 'cpu-profile.mjs');
  writeFileSync(hook, PROFILE_HOOK);
  const env = { HOME: home, ...moto.env, AWS_ENDPOINT_URL: counter.endpoint, K8SUP_STATE_STORE: `s3://${bucket}/bench`, K8SUP_PROGRESS: 'ndjson', ...(process.env.BENCH_NO_PROFILE ? {} : { NODE_OPTIONS: `--import ${hook}`, K8SUP_CPU_PROFILE_DIR: profDir }) };
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
  try {
    const name = `profile-${groups}.k8s.local`;
    const file = join(home, 'spec.json');
    const nodeGroups = Array.from({ length: groups }, (_, i) => ({ name: `group-${i}`, minSize: 1, maxSize: 1 }));
    writeFileSync(file, JSON.stringify({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name }, spec: { zones: ['us-east-2a', 'us-east-2b', 'us-east-2c'], ...(groups ? { nodeGroups } : {}) } }));
    const motoBefore = moto.cpuMs();
    recorder.log.length = 0;
    counter.reset();
    // Every 100 ms: the CPU moto and the CLI have used so far (ms since the recorder's zero → cumulative CPU ms).
    const cpu: { at: number; moto: number; cli: number }[] = [];
    let cli: number | undefined;
    const sampler = setInterval(() => {
      try {
        cli ??= cliChild();
        cpu.push({ at: Date.now() - recorder.originWallMs, moto: moto.cpuMs(), cli: cli ? cpuMsOf(cli) : 0 });
      } catch {
        // the CLI exited between the listing and the read
      }
    }, 100);
    const created = await k8sup(['create', '-f', file, '--yes', '-v'], { env, timeoutMs: 900_000, bin: process.env.K8SUP_BENCH_BIN });
    clearInterval(sampler);
    if (created.code !== 0) throw new Error(`create exited ${created.code}: ${created.stderr.split('\n').slice(-3).join(' | ')}`);
    const motoCpuMs = moto.cpuMs() - motoBefore;
    const evs = created.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { time: string; code: string; kind?: string; action?: string; durationMs?: number });
    const at = (code: string) => Date.parse(evs.find((e) => e.code === code)!.time) - recorder.originWallMs;
    const applyEnd = at('apply.done');
    const applyMs = evs.find((e) => e.code === 'apply.done')!.durationMs!;
    const applyStart = applyEnd - applyMs;
    const cpuAt = (t: number) => cpu.reduce((best, c) => (Math.abs(c.at - t) < Math.abs(best.at - t) ? c : best), cpu[0]);
    const [c0, c1] = [cpuAt(applyStart), cpuAt(applyEnd)];
    const inApply = exchanges(recorder.log).filter((x) => x.done > applyStart && x.at < applyEnd);
    // Calls inside moto at once, sampled every 50 ms of the apply phase.
    const inside = [];
    for (let t = applyStart; t < applyEnd; t += 50) inside.push(inApply.filter((x) => x.at <= t && x.done > t).length);
    const perKind = new Map<string, { n: number; motoMs: number; bytes: number }>();
    for (const x of inApply) {
      const k = perKind.get(x.key) ?? { n: 0, motoMs: 0, bytes: 0 };
      k.n++;
      k.motoMs += x.done - x.at;
      k.bytes += x.bytes;
      perKind.set(x.key, k);
    }
    const kinds = new Map<string, { first: number; last: number; n: number; ms: number[] }>();
    for (const e of evs) {
      if (e.code !== 'task.done' || e.action !== 'create' || !e.kind) continue;
      const end = Date.parse(e.time) - recorder.originWallMs - applyStart;
      const k = kinds.get(e.kind) ?? { first: Infinity, last: 0, n: 0, ms: [] };
      k.first = Math.min(k.first, end - e.durationMs!);
      k.last = Math.max(k.last, end);
      k.n++;
      k.ms.push(e.durationMs!);
      kinds.set(e.kind, k);
    }
    const profile = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (process.env.BENCH_PROFILE_DIR) {
      mkdirSync(process.env.BENCH_PROFILE_DIR, { recursive: true });
      if (profile) writeFileSync(join(process.env.BENCH_PROFILE_DIR, `create-${groups}.cpuprofile`), readFileSync(join(profDir, profile)));
      writeFileSync(join(process.env.BENCH_PROFILE_DIR, `create-${groups}.timeline.json`), JSON.stringify({ applyStart, applyEnd, log: exchanges(recorder.log) }));
      writeFileSync(join(process.env.BENCH_PROFILE_DIR, `create-${groups}.events.ndjson`), created.stderr);
    }
    const r = Math.round;
    const sorted = [...inside].sort((a, b) => a - b);
    return {
      groups,
      cloudLatencyMs: cloudMs,
      applyMs: r(applyMs),
      callsInApply: inApply.length,
      motoBusyMsInApply: r(busyMs(inApply, applyStart, applyEnd)),
      motoCpuMsDuringCreate: motoCpuMs,
      cpuMsInApply: { moto: c1.moto - c0.moto, cli: c1.cli - c0.cli, sampledOverMs: c1.at - c0.at },
      cliConnections: counter.connections(),
      callsInCreate: recorder.log.length,
      motoCallMsSum: r(inApply.reduce((a, x) => a + x.done - x.at, 0)),
      callsInsideMoto: { median: sorted[Math.floor(sorted.length / 2)], p90: sorted[Math.floor(sorted.length * 0.9)], max: sorted.at(-1) },
      medianMsAtMoto: Object.fromEntries([...new Set(inApply.map((x) => x.key))].map((k) => {
        const ds = inApply.filter((x) => x.key === k).map((x) => x.done - x.at).sort((a, b) => a - b);
        return [k, r(ds[Math.floor(ds.length / 2)])];
      })),
      slowestCallsAtMoto: [...perKind].sort((a, b) => b[1].motoMs - a[1].motoMs).slice(0, 12).map(([k, v]) => `${k}: ${v.n} calls, ${r(v.motoMs / v.n)} ms each at moto, ${r(v.bytes / v.n / 1024)} KiB sent each`),
      tasksByKind: Object.fromEntries([...kinds].map(([k, v]) => [k, { n: v.n, startedMs: r(v.first), lastDoneMs: r(v.last), medianMs: r(v.ms.sort((a, b) => a - b)[Math.floor(v.ms.length / 2)]) }])),
      k8supCpu: profile ? profileSummary(join(profDir, profile)) : 'no profile',
    };
  } finally {
    s3.destroy();
    await counter.stop();
    await proxy.stop();
    await recorder.stop();
    await moto.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [groups = 50, cloudMs = 100] = process.argv.slice(2).map(Number);
  console.log(JSON.stringify(await profileApply(groups, cloudMs), null, 2));
}
