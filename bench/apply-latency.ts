// Apply and delete wall time on moto through a latency-injecting proxy (issue 17):
//  - the same `create -f … --yes` with the state store (S3) 0 ms and 100 ms away, the cloud 100 ms away: what the
//    journal's group commit buys (goal: ≤ 1.2×);
//  - apply against its critical path (goal: ≤ 1.3×): the longest chain of dependent tasks of the resource graph, each
//    task weighted by the sequential calls its kind's handler really makes, × the latency. The calls are recorded
//    whole between the proxy and moto and given to their tasks (call-log.ts), so the weights are counted calls, not
//    task durations over the latency: those read 2–5 "round trips" for kinds that make one or two calls, because a
//    task's duration also holds moto's service time, its wait for its intent and its own journal record, and they
//    grew with the machine's load (until 2026-12-02 the estimate was made that way; it is still reported, as
//    `applyCriticalPathFromTaskDurationsMs`). Beside it: the same chain with each call weighted by latency + its
//    median time inside moto in this run, and the chain the apply really followed (walked back from its last task),
//    split into waits before a task's first call, latency, time inside moto and the CLI's gaps between calls;
//  - delete against its critical path, read from the delete's recorded calls the same way (children first, plus the
//    listing before the deletes and the one after); the old estimate from the default cluster's task durations is
//    still reported (`destroyCriticalPathFromTaskDurationsMs`);
//  - the whole commands beside the phases (`wholeCommands`): `create -f --yes`, a no-op `update --yes` and
//    `delete --yes`, state 0 and 100 ms, what they took outside the engine's phase, and the sequential depth of their
//    state calls there (the S3 calls are recorded too: test/helpers/state-depth.ts) — what the state store costs a
//    command, not only its apply;
//  - with BENCH_CLOUD0=1, a third create with the cloud 0 ms away: the apply then is moto's service time and the
//    CLI's own work, and the 0 ms-state apply minus it is what the latency cost (`applyAtCloud0ms`).
// Also moto's CPU time, the calls in flight and the share of the machine's CPU that was idle during the apply (0:
// every process, moto included, waited for a core).
// Run standalone: node --import tsx bench/apply-latency.ts [groups ...] (default: the default cluster and 50 node
// groups); K8SUP_BENCH_BIN=/path/to/bin/k8sup times another build (e.g. the main checkout, for "before" figures);
// BENCH_EVENTS=dir keeps each create's and delete's progress events (and the create's call log, for call-log.ts); BENCH_CLOUD_MS=300 puts the cloud further away.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseClusterText } from '../src/api/index.js';
import { buildGraph, type ResourceGraph } from '../src/core/graph.js';
import { k8sup } from '../test/helpers/cli.js';
import { startMoto } from '../test/helpers/moto.js';
import { startThrottleProxy } from '../test/helpers/throttle-proxy.js';
import { commandDepth, stateCallsOf, type CommandDepth } from '../test/helpers/state-depth.js';
import { analyseCallLog, startCallRecorder, type CallLogAnalysis } from './call-log.js';

// BENCH_CLOUD_MS changes the cloud's latency (the critical path grows with it, moto's CPU per call does not: how
// much of the gap to the critical path is moto's shows as the ratio at a higher latency).
const CLOUD_MS = Number(process.env.BENCH_CLOUD_MS ?? 100);
/**
 * The runs of each case: the state store 0 ms and 100 ms away, the cloud CLOUD_MS away; with BENCH_CLOUD0=1 also
 * the cloud 0 ms away (state 0 ms): that apply is moto's service time and the CLI's own time with no latency at all,
 * so the 0 ms-state apply minus it is what the latency cost, to hold against the critical path (issue 17).
 */
const RUNS = [
  { key: 'state0ms', stateMs: 0, cloudMs: CLOUD_MS },
  { key: 'state100ms', stateMs: 100, cloudMs: CLOUD_MS },
  ...(process.env.BENCH_CLOUD0 ? [{ key: 'cloud0ms', stateMs: 0, cloudMs: 0 }] : []),
];
const BUCKET = 'k8sup-bench';

/** The machine's idle and total CPU ticks so far (the first line of /proc/stat, all cores). */
function machineTicks(): { idle: number; total: number } {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { idle: ticks[3] + ticks[4], total: ticks.reduce((a, b) => a + b, 0) };
}

interface Event {
  time: string;
  code: string;
  task?: string;
  kind?: string;
  action?: string;
  phase?: string;
  durationMs?: number;
}

function events(stderr: string): Event[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Event);
}

function spec(name: string, groups: number): string {
  const nodeGroups = groups ? Array.from({ length: groups }, (_, i) => ({ name: `group-${i}`, minSize: 1, maxSize: 1 })) : undefined;
  return JSON.stringify({
    apiVersion: 'k8sup.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name },
    spec: { zones: ['us-east-2a', 'us-east-2b', 'us-east-2c'], ...(nodeGroups ? { nodeGroups } : {}) },
  });
}

/** The resource graph of the spec, built by the provider exactly as the CLI does (the PKI does not change edges). */
async function graphOf(yaml: string): Promise<ResourceGraph> {
  const cluster = parseClusterText(yaml, 'bench');
  const { loadProvider } = await import('../providers/index.js');
  const provider = await loadProvider(cluster.spec.cloud);
  return buildGraph(await provider.buildGraph(cluster, { stateStore: `s3://${BUCKET}/bench`, caCertPem: '', caCertHash: `sha256:${'0'.repeat(64)}` }));
}

/** Kind → sequential round trips of one task of that kind (median over its tasks), from task durations. */
function callSequences(evs: Event[], action: (e: Event) => boolean): Map<string, number> {
  const per = new Map<string, number[]>();
  for (const e of evs) if (e.code === 'task.done' && action(e) && e.kind) (per.get(e.kind) ?? per.set(e.kind, []).get(e.kind)!).push(Math.max(1, Math.round(e.durationMs! / CLOUD_MS)));
  return new Map([...per].map(([k, xs]) => [k, xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]]));
}

/** Longest weighted chain: `next(id)` are the ids that must finish before `id` may start. */
function longestChain(graph: ResourceGraph, weight: (id: string) => number, before: (id: string) => Iterable<string>): number {
  const memo = new Map<string, number>();
  const finish = (id: string): number => {
    let f = memo.get(id);
    if (f !== undefined) return f;
    f = weight(id) + Math.max(0, ...[...before(id)].map(finish));
    memo.set(id, f);
    return f;
  };
  return Math.max(0, ...[...graph.nodes.keys()].map(finish));
}

function maxListCalls(evs: Event[]): number {
  return Math.max(1, ...evs.filter((e) => e.code === 'discover.done').map((e) => Math.round(e.durationMs! / CLOUD_MS)));
}

export async function benchApplyLatency(groupCases: number[] = [0, 50], bin?: string): Promise<Record<string, unknown>[]> {
  const moto = await startMoto();
  // Every call recorded whole between the latency proxy and moto: the critical path is read from them (call-log.ts).
  const recorder = await startCallRecorder(moto.endpoint);
  let stateMs = 0;
  let cloudMs = CLOUD_MS;
  const proxy = await startThrottleProxy(recorder.endpoint, { throttleRate: 0, resetRate: 0, latencyFor: (service) => (service === 's3' ? stateMs : cloudMs) });
  const home = mkdtempSync(join(tmpdir(), 'k8sup-bench-'));
  const env = { HOME: home, ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, K8SUP_STATE_STORE: `s3://${BUCKET}/bench`, K8SUP_PROGRESS: 'ndjson' };
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
  const out: Record<string, unknown>[] = [];
  /** The call sequences of the first case (the default cluster), the critical path's weights for every case. */
  let reference: { create: Map<string, number>; delete: Map<string, number>; listCalls: number } | undefined;
  try {
    for (const groups of groupCases) {
      const runs: Record<string, { createMs: number; applyMs: number; deleteMs: number; destroyMs: number; cloudCalls: number; stateCalls: number; createEvents: Event[]; deleteEvents: Event[]; deleteRuns: number; deleteLeft: number; motoMs: number; motoApplyMs: number; machineIdleInApply: number; peakInFlight: Record<string, number>; calls: CallLogAnalysis; deleteCalls: CallLogAnalysis; createState: CommandDepth; deleteState: CommandDepth; updateMs: number; updateState: CommandDepth }> = {};
      let graph: ResourceGraph | undefined;
      for (const run of RUNS) {
        ({ stateMs, cloudMs } = run);
        const name = `bench-${groups}-${run.key.replace(/ms$/, '')}.k8s.local`;
        const file = join(home, `${name}.yaml`);
        writeFileSync(file, spec(name, groups));
        graph ??= await graphOf(spec(name, groups));
        proxy.resetStats();
        recorder.log.length = 0;
        const motoCpuBefore = moto.cpuMs();
        // moto's CPU so far, every 100 ms: what it spent inside the apply phase (read off at the phase's ends).
        // With the machine's idle CPU: when it is near zero (other processes on the shared cores), moto waits for a
        // core as well as for the GIL.
        const motoCpu: { at: number; ms: number; idle: number; total: number }[] = [];
        const sampler = setInterval(() => motoCpu.push({ at: Date.now(), ms: moto.cpuMs(), ...machineTicks() }), 100);
        let t = performance.now();
        const created = await k8sup(['create', '-f', file, '--yes', '-v'], { env, timeoutMs: 900_000, bin }).finally(() => clearInterval(sampler));
        const createMs = performance.now() - t;
        if (created.code !== 0) throw new Error(`create ${name} exited ${created.code}: ${created.stderr.split('\n').slice(-3).join(' | ')}`);
        const byService = proxy.callsByService();
        // The CPU moto used during the create and the most calls of each service in flight at once: when the first is
        // near the apply's wall time, moto (one Python process) is the bottleneck, not k8sup's scheduling.
        const motoMs = moto.cpuMs() - motoCpuBefore;
        const peakInFlight = Object.fromEntries([...proxy.stats.peakInFlight].sort());
        const stateCalls = byService.s3 ?? 0;
        const cloudCalls = Object.values(byService).reduce((a, b) => a + b, 0) - stateCalls;
        const createEvents = events(created.stderr);
        const calls = analyseCallLog({ log: recorder.log, events: createEvents, originWallMs: recorder.originWallMs, graph, latencyMs: cloudMs });
        const createState = commandDepth(stateCallsOf(recorder.log, stateMs), created.stderr, recorder.originWallMs, 'apply');
        // BENCH_EVENTS=dir keeps each run's progress events (NDJSON) for a closer look at the schedule.
        if (process.env.BENCH_EVENTS) {
          writeFileSync(join(process.env.BENCH_EVENTS, `${name}.create.ndjson`), created.stderr);
          writeFileSync(join(process.env.BENCH_EVENTS, `${name}.create.calls.json`), JSON.stringify({ originWallMs: recorder.originWallMs, log: recorder.log }));
        }
        // A no-op `update --yes`: its state calls are all outside an apply (there is nothing to apply).
        recorder.log.length = 0;
        t = performance.now();
        const updated = await k8sup(['update', 'cluster', name, '--yes', '-v'], { env, timeoutMs: 900_000, bin });
        const updateMs = performance.now() - t;
        if (updated.code !== 0) throw new Error(`update ${name} exited ${updated.code}: ${updated.stderr.split('\n').slice(-3).join(' | ')}`);
        const updateState = commandDepth(stateCallsOf(recorder.log, stateMs), updated.stderr, recorder.originWallMs, 'apply');
        recorder.log.length = 0;
        t = performance.now();
        const deleted = await k8sup(['delete', 'cluster', name, '--yes', '-v'], { env, timeoutMs: 900_000, bin });
        const deleteMs = performance.now() - t;
        const deleteLog = [...recorder.log];
        const deleteCalls = analyseCallLog({ log: deleteLog, events: events(deleted.stderr), originWallMs: recorder.originWallMs, graph, latencyMs: cloudMs, phase: 'destroy' });
        const deleteState = commandDepth(stateCallsOf(deleteLog, stateMs), deleted.stderr, recorder.originWallMs, 'destroy');
        // A delete that leaves objects (e.g. a listing that misses some: issue 17's unpaginated DescribeLaunchTemplates)
        // is reported, and run again so the next case starts from a clean account.
        let deleteRuns = 1;
        for (let r = deleted; r.code !== 0 && deleteRuns < 3; deleteRuns++) r = await k8sup(['delete', 'cluster', name, '--yes'], { env, timeoutMs: 900_000, bin });
        const deleteLeft = deleted.code === 0 ? 0 : (events(deleted.stderr).find((e) => e.code === 'destroy.done') as { left?: number } | undefined)?.left ?? -1;
        const deleteEvents = events(deleted.stderr);
        if (process.env.BENCH_EVENTS) {
          writeFileSync(join(process.env.BENCH_EVENTS, `${name}.delete.ndjson`), deleted.stderr);
          writeFileSync(join(process.env.BENCH_EVENTS, `${name}.delete.calls.json`), JSON.stringify({ originWallMs: recorder.originWallMs, log: deleteLog }));
        }
        const applyMs = createEvents.find((e) => e.code === 'apply.done')?.durationMs ?? NaN;
        const applyEnd = Date.parse(createEvents.find((e) => e.code === 'apply.done')?.time ?? '');
        const sampleAt = (when: number) => motoCpu.reduce((best, c) => (Math.abs(c.at - when) < Math.abs(best.at - when) ? c : best), motoCpu[0]);
        const motoCpuAt = (when: number) => sampleAt(when)?.ms ?? NaN;
        const motoApplyMs = motoCpuAt(applyEnd) - motoCpuAt(applyEnd - applyMs);
        const [s0, s1] = [sampleAt(applyEnd - applyMs), sampleAt(applyEnd)];
        const machineIdleInApply = s0 && s1 && s1.total > s0.total ? (s1.idle - s0.idle) / (s1.total - s0.total) : NaN;
        const at = (evs: Event[], code: string) => Date.parse(evs.find((e) => e.code === code)!.time);
        const destroyMs = at(deleteEvents, 'destroy.done') - at(deleteEvents, 'destroy.start');
        runs[run.key] = { createMs, applyMs, deleteMs, destroyMs, cloudCalls, stateCalls, createEvents, deleteEvents, deleteRuns, deleteLeft, motoMs, motoApplyMs, machineIdleInApply, peakInFlight, calls, deleteCalls, createState, deleteState, updateMs, updateState };
        process.stderr.write(`bench${bin ? ` (${bin})` : ''}: ${groups} groups, state ${stateMs} ms, cloud ${cloudMs} ms: create ${(createMs / 1000).toFixed(1)} s (apply ${(applyMs / 1000).toFixed(1)} s), delete ${(deleteMs / 1000).toFixed(1)} s${deleteLeft ? ` (left ${deleteLeft}; ${deleteRuns} delete runs)` : ''}\n`);
      }
      const base = runs.state0ms;
      const slow = runs.state100ms;
      const cloud0 = runs.cloud0ms as (typeof runs)[string] | undefined;
      const g = graph!;
      const ownCreateCalls = callSequences(base.createEvents, (e) => e.action === 'create');
      const ownDeleteCalls = callSequences(base.deleteEvents, (e) => e.action === 'delete');
      reference ??= { create: ownCreateCalls, delete: ownDeleteCalls, listCalls: maxListCalls(base.deleteEvents) };
      const createCalls = reference.create;
      const deleteCalls = reference.delete;
      const kindOf = (id: string) => g.nodes.get(id)!.kind;
      const applyChain = (calls: Map<string, number>) => CLOUD_MS * longestChain(g, (id) => calls.get(kindOf(id)) ?? 1, (id) => g.deps.get(id)!);
      // Delete: children first, and a discover before the deletes and one after (that finds nothing left).
      const destroyChain = (calls: Map<string, number>, lists: number) => CLOUD_MS * (longestChain(g, (id) => calls.get(kindOf(id)) ?? 1, (id) => g.dependants.get(id)!) + 2 * lists);
      // The apply's critical path from what the handlers really called (the call log of the 0 ms-state run: the
      // calls a task makes do not depend on the state store); the old estimate from task durations beside it.
      const applyCritical = base.calls.criticalPathMs;
      const applyCriticalWithMoto = base.calls.criticalPathWithMotoMs;
      const destroyCritical = base.deleteCalls.criticalPathMs;
      const r2 = (x: number) => +x.toFixed(2);
      out.push({
        build: bin ?? 'this checkout',
        nodeGroups: groups || 'default',
        resources: g.nodes.size,
        cloudLatencyMs: CLOUD_MS,
        cloudCalls: base.cloudCalls,
        stateCalls: { at0ms: base.stateCalls, at100ms: slow.stateCalls },
        // The whole commands beside their engine phase: what the state store's latency costs outside it shows as
        // the outside part's growth, and its sequential state calls there (at 100 ms) should not grow with the cluster.
        wholeCommands: {
          create: {
            wallMs: { state0ms: Math.round(base.createMs), state100ms: Math.round(slow.createMs), ratio: r2(slow.createMs / base.createMs) },
            applyPhaseMs: { state0ms: Math.round(base.applyMs), state100ms: Math.round(slow.applyMs), ratio: r2(slow.applyMs / base.applyMs) },
            outsideApplyMs: { state0ms: Math.round(base.createMs - base.applyMs), state100ms: Math.round(slow.createMs - slow.applyMs) },
            sequentialStateCalls: { outsideApply: slow.createState.outsidePhase, inApply: slow.createState.insidePhase, calls: slow.createState.calls },
          },
          noopUpdate: {
            wallMs: { state0ms: Math.round(base.updateMs), state100ms: Math.round(slow.updateMs), ratio: r2(slow.updateMs / base.updateMs) },
            sequentialStateCalls: { all: slow.updateState.depth, calls: slow.updateState.calls },
          },
          delete: {
            wallMs: { state0ms: Math.round(base.deleteMs), state100ms: Math.round(slow.deleteMs), ratio: r2(slow.deleteMs / base.deleteMs) },
            destroyPhaseMs: { state0ms: Math.round(base.destroyMs), state100ms: Math.round(slow.destroyMs), ratio: r2(slow.destroyMs / base.destroyMs) },
            outsideDestroyMs: { state0ms: Math.round(base.deleteMs - base.destroyMs), state100ms: Math.round(slow.deleteMs - slow.destroyMs) },
            sequentialStateCalls: { outsideDestroy: slow.deleteState.outsidePhase, inDestroy: slow.deleteState.insidePhase, calls: slow.deleteState.calls },
          },
        },
        applyPhaseMs: { state0ms: Math.round(base.applyMs), state100ms: Math.round(slow.applyMs), ratio: r2(slow.applyMs / base.applyMs), goal: 'ratio <= 1.2' },
        applyCriticalPathMs: applyCritical,
        applyOverCriticalPath: { state0ms: r2(base.applyMs / applyCritical), state100ms: r2(slow.applyMs / applyCritical), goal: '<= 1.3' },
        applyCriticalPath: { calls: base.calls.criticalPathCalls, chain: base.calls.criticalPathChain, callSequences: base.calls.callSequences, unattributedCalls: base.calls.unattributed, callsInApply: base.calls.callsInApply },
        // Each call on the chain weighted by latency + its median time inside moto in this run: what the apply could
        // reach on this moto; apply over it is what the CLI and the engine add (scheduling, intents, client CPU).
        applyCriticalPathWithMotoMs: applyCriticalWithMoto,
        applyOverCriticalPathWithMoto: { state0ms: r2(base.applyMs / applyCriticalWithMoto), state100ms: r2(slow.applyMs / applyCriticalWithMoto) },
        applyFollowedChain: { state0ms: base.calls.followedChain, state100ms: slow.calls.followedChain },
        applyCriticalPathFromTaskDurationsMs: applyChain(createCalls),
        ...(cloud0
          ? {
              applyAtCloud0ms: {
                applyMs: Math.round(cloud0.applyMs),
                motoCpuMsInApply: cloud0.motoApplyMs,
                // What the cloud's latency added to the apply: against the critical path, this is how well the engine
                // overlaps latency; the rest of the apply is moto's service time and the CLI's own work.
                latencyCostMs: Math.round(base.applyMs - cloud0.applyMs),
                latencyCostOverCriticalPath: r2((base.applyMs - cloud0.applyMs) / applyCritical),
              },
            }
          : {}),
        firstDeleteLeft: { state0ms: base.deleteLeft, state100ms: slow.deleteLeft },
        destroyCriticalPathMs: destroyCritical,
        destroyOverCriticalPath: { state0ms: r2(base.destroyMs / destroyCritical), state100ms: r2(slow.destroyMs / destroyCritical), goal: '<= 1.3' },
        destroyCriticalPath: { calls: base.deleteCalls.criticalPathCalls, listingCalls: base.deleteCalls.listingCalls, chain: base.deleteCalls.criticalPathChain, callSequences: base.deleteCalls.callSequences, unattributedCalls: base.deleteCalls.unattributed, callsInDestroy: base.deleteCalls.callsInApply },
        destroyCriticalPathWithMotoMs: base.deleteCalls.criticalPathWithMotoMs,
        destroyFollowedChain: { state0ms: base.deleteCalls.followedChain, state100ms: slow.deleteCalls.followedChain },
        destroyCriticalPathFromTaskDurationsMs: destroyChain(deleteCalls, reference.listCalls),
        criticalPathFromOwnDurationsMs: { apply: applyChain(ownCreateCalls), destroy: destroyChain(ownDeleteCalls, maxListCalls(base.deleteEvents)) },
        motoCpuMsDuringCreate: { state0ms: base.motoMs, state100ms: slow.motoMs },
        // moto is one Python process (one core at most): an apply cannot take less wall time than moto's CPU in it.
        motoCpuMsInApply: { state0ms: base.motoApplyMs, state100ms: slow.motoApplyMs, overCriticalPath: r2(Math.min(base.motoApplyMs, slow.motoApplyMs) / applyCritical) },
        // The share of the machine's CPU time (all cores) that was idle during the apply phase: near 0, every process
        // (moto included) waited for a core. `nice -n -10 npm run bench` (root) puts the bench's processes first.
        machineIdleShareInApply: { state0ms: r2(base.machineIdleInApply), state100ms: r2(slow.machineIdleInApply) },
        peakCallsInFlight: { state0ms: base.peakInFlight, state100ms: slow.peakInFlight },
        createCallSequence: Object.fromEntries(createCalls),
        deleteCallSequence: Object.fromEntries(deleteCalls),
        ownCreateCallSequence: Object.fromEntries(ownCreateCalls),
        ownDeleteCallSequence: Object.fromEntries(ownDeleteCalls),
      });
    }
  } finally {
    s3.destroy();
    await proxy.stop();
    await recorder.stop();
    await moto.stop();
    rmSync(home, { recursive: true, force: true });
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const cases = process.argv.slice(2).map(Number);
  console.log(JSON.stringify(await benchApplyLatency(cases.length ? cases : undefined, process.env.K8SUP_BENCH_BIN), null, 2));
}
