// `npm run bench`: start-up time against node's own, create + plan of a 50-node-group spec, the engine's scheduling
// against a wave executor, and the issue-17 figures: the plan of a 100-group spec, apply and delete on moto with the
// state store near and far against the critical path, and `get clusters` on a store of 100 clusters 50 ms away.
// Prints a JSON report. BENCH_PARTS=startup,plan50,engine,plan100,apply,getClusters picks parts (default: all; the
// moto parts take minutes). K8SUP_BENCH_BIN=/path/to/bin/k8sup also times another build ("before"): its `version`
// against node, and the moto parts, the default cluster and 50 groups alike.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { K8SUP } from '../test/helpers/cli.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Wall milliseconds of one run of `cmd` (its output thrown away); throws when it fails. */
function timeRun(cmd: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd.slice(1), { env, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const round = (x: number, digits = 1) => +x.toFixed(digits);

/**
 * `cmd` against `node -e 0`, run in turn (node, cmd, node, cmd …) so that both see the same machine: on a shared,
 * noisy machine the ratio of each pair holds when the machine's speed drifts, where two separate medians do not.
 * Reports the medians and the pairs' ratios (median, quartiles, min, max).
 */
function pairedAgainstNode(cmd: string[], pairs: number, env: NodeJS.ProcessEnv = process.env) {
  const node = [process.execPath, '-e', '0'];
  for (let i = 0; i < 3; i++) timeRun(node, env), timeRun(cmd, env); // warm the page cache
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < pairs; i++) {
    b.push(timeRun(node, env));
    a.push(timeRun(cmd, env));
  }
  const ratios = a.map((x, i) => x / b[i]);
  return {
    ms: round(median(a)),
    nodeMs: round(median(b)),
    ratio: round(median(ratios), 2),
    ratioQuartiles: [round(quantile(ratios, 0.25), 2), round(quantile(ratios, 0.75), 2)],
    ratioRange: [round(Math.min(...ratios), 2), round(Math.max(...ratios), 2)],
  };
}

/** `k8sup version` and `k8sup --help` of this build (and of `other`, the "before" build, when given) against node. */
function startup(other?: string) {
  const pairs = 31;
  const version = pairedAgainstNode([process.execPath, K8SUP, 'version'], pairs);
  const help = pairedAgainstNode([process.execPath, K8SUP, '--help'], pairs);
  return {
    pairs,
    nodeMs: version.nodeMs,
    versionMs: version.ms,
    ratio: version.ratio,
    ratioQuartiles: version.ratioQuartiles,
    ratioRange: version.ratioRange,
    helpMs: help.ms,
    helpRatio: help.ratio,
    ...(other ? { before: pairedAgainstNode([process.execPath, other, 'version'], pairs) } : {}),
    goal: 'versionMs <= 1.5 × nodeMs (the median of the pairs\' ratios)',
  };
}

function bigPlan() {
  const home = mkdtempSync(join(tmpdir(), 'k8sup-bench-'));
  try {
    const groups = Array.from({ length: 50 }, (_, i) => ({ name: `group-${i}`, minSize: 1, maxSize: 3 }));
    const file = join(home, 'big.yaml');
    writeFileSync(file, JSON.stringify({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name: 'big.k8s.local' }, spec: { zones: ['us-east-2a', 'us-east-2b', 'us-east-2c'], nodeGroups: groups } }));
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [K8SUP, 'create', '-f', file, '-o', 'json'], { env: { ...process.env, HOME: home }, encoding: 'utf8', maxBuffer: 64 << 20 });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0) throw new Error(`create -f exited ${r.status}: ${r.stderr}`);
    const plan = JSON.parse(r.stdout);
    return { nodeGroups: 50, resources: plan.steps.length, createAndPlanMs: Math.round(ms) };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const parts = new Set((process.env.BENCH_PARTS ?? 'startup,plan50,engine,plan100,apply,getClusters').split(','));
const other = process.env.K8SUP_BENCH_BIN;
const report: Record<string, unknown> = { node: process.version };
if (parts.has('startup')) report.startup = startup(other);
if (parts.has('plan50')) report.createPlan50Groups = bigPlan();
if (parts.has('engine')) {
  try {
    const { benchEngine } = await import('./engine.js');
    report.engine = await benchEngine();
  } catch (e) {
    report.engine = { error: String(e) };
  }
}
if (parts.has('plan100')) report.plan100Groups = (await import('./plan-big.js')).benchPlanBig();
if (parts.has('apply')) {
  const { benchApplyLatency } = await import('./apply-latency.js');
  report.applyLatency = [...(other ? await benchApplyLatency([0, 50], other) : []), ...(await benchApplyLatency([0, 50]))];
}
if (parts.has('getClusters')) report.getClusters = await (await import('./get-clusters.js')).benchGetClusters(other ? [other, undefined] : [undefined]);
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
