// `plan` of a 100-group, 1,000-node AWS spec (issue 17 goal: < 1 s and < 300 MB peak memory):
//  - the whole `create -f` (parse, validate, generate the PKI — RSA keys are most of it —, store, plan, print), with
//    wall time and peak RSS from /usr/bin/time;
//  - the plan itself in a process of its own (PKI generated beforehand, not timed): desired graph with every
//    bootstrap script, offline diff, review and the rendered text, timed inside; peak RSS of that whole process.
// Run standalone: node --import tsx bench/plan-big.ts

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { K8SUP } from '../test/helpers/cli.js';

const GROUPS = 100;
const NODES_PER_GROUP = 10;

function timed(args: string[], env: NodeJS.ProcessEnv): { wallMs: number; peakMB: number; stdout: string } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, K8SUP, ...args], { env, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`k8sup ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-500)}`);
  const [secs, kb] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { wallMs: Math.round(secs * 1000), peakMB: Math.round(kb / 1024), stdout: r.stdout };
}

export function benchPlanBig(): Record<string, unknown> {
  const home = mkdtempSync(join(tmpdir(), 'k8sup-bench-'));
  try {
    const nodeGroups = Array.from({ length: GROUPS }, (_, i) => ({ name: `group-${i}`, minSize: NODES_PER_GROUP, maxSize: NODES_PER_GROUP }));
    const file = join(home, 'big.yaml');
    writeFileSync(file, JSON.stringify({ apiVersion: 'k8sup.io/v1alpha1', kind: 'Cluster', metadata: { name: 'big.k8s.local' }, spec: { zones: ['us-east-2a', 'us-east-2b', 'us-east-2c'], nodeGroups } }));
    const env = { ...process.env, HOME: home, K8SUP_NO_NODE_NOTICE: '1' };
    const create = timed(['create', '-f', file, '-o', 'json'], env);
    const plan = JSON.parse(create.stdout) as { steps: unknown[] };
    const inner = [0, 1, 2].map(() => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--plan-only', file], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
      if (r.status !== 0) throw new Error(`plan-only exited ${r.status}: ${r.stderr.slice(-500)}`);
      return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { planMs: number; peakMB: number };
    });
    inner.sort((a, b) => a.planMs - b.planMs);
    return {
      nodeGroups: GROUPS,
      nodes: GROUPS * NODES_PER_GROUP,
      resources: plan.steps.length,
      createMinusF: { wallMs: create.wallMs, peakMB: create.peakMB },
      planMedianOf3: inner[1],
      goal: 'plan < 1000 ms and < 300 MB',
    };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** The child: plan the spec in `file` as `create -f` does after storing it; prints {planMs, peakMB}. */
async function planOnly(file: string): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const { parseClusterText } = await import('../src/api/index.js');
  const { withDefaults } = await import('../src/api/defaults.js');
  const { loadProviderFor, desiredGraph, offlinePlan } = await import('../src/lifecycle/deploy.js');
  const { generatePki } = await import('../src/lifecycle/pki-store.js');
  const { reviewPlan } = await import('../src/core/plan-view.js');
  const { renderPlan } = await import('../src/cli/render/plan.js');
  const { MemoryBlobStore } = await import('../src/state/memory.js');
  const cluster = withDefaults(parseClusterText(readFileSync(file, 'utf8'), file));
  const store = new MemoryBlobStore('s3://bench/state');
  const pki = await generatePki(cluster.metadata.name);
  const provider = await loadProviderFor(cluster);
  const t = performance.now();
  const nodes = await desiredGraph({ store, cluster }, provider, pki.public);
  const plan = offlinePlan({ cluster } as Parameters<typeof offlinePlan>[0], provider, nodes);
  const text = renderPlan(reviewPlan(plan, provider.handlers), { verbose: false });
  const planMs = Math.round(performance.now() - t);
  if (!text.includes('create')) throw new Error('empty plan text');
  console.log(JSON.stringify({ planMs, peakMB: Math.round(process.resourceUsage().maxRSS / 1024) }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === '--plan-only') await planOnly(process.argv[3]);
  else console.log(JSON.stringify(benchPlanBig(), null, 2));
}
