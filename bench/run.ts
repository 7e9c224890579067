// `npm run bench`: start-up time against node's own, create + plan of a 50-node-group spec, and the engine's
// scheduling against a wave executor. Prints a JSON report (and a short summary on stderr).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { K8SUP } from '../test/helpers/cli.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeRuns(cmd: string[], runs: number, env: NodeJS.ProcessEnv = process.env): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(cmd[0], cmd.slice(1), { env, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${cmd.join(' ')} exited ${r.status}`);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(times);
}

function startup() {
  const runs = 21;
  timeRuns([process.execPath, K8SUP, 'version'], 3); // warm the page cache
  const node = timeRuns([process.execPath, '-e', '0'], runs);
  const version = timeRuns([process.execPath, K8SUP, 'version'], runs);
  const help = timeRuns([process.execPath, K8SUP, '--help'], runs);
  return { nodeMs: +node.toFixed(1), versionMs: +version.toFixed(1), helpMs: +help.toFixed(1), ratio: +(version / node).toFixed(2), goal: 'versionMs <= 1.5 × nodeMs' };
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

const report: Record<string, unknown> = { node: process.version, startup: startup(), createPlan50Groups: bigPlan() };
try {
  const { benchEngine } = await import('./engine.js');
  report.engine = await benchEngine();
} catch (e) {
  report.engine = { error: String(e) };
}
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
