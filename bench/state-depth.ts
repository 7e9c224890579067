// The state store's round trips of whole commands (issue 17): `create -f --yes`, a no-op `update --yes` and
// `delete --yes` of an AWS cluster on moto, the state store (S3) `STATE_MS` away and the cloud 0 ms away, every S3
// call recorded whole (call-log.ts) and the longest chain of calls that ran one after another counted
// (test/helpers/state-depth.ts), outside the engine's apply/destroy phase and in all.
// Run: node --import tsx bench/state-depth.ts [groups ...]   (default: 0 and 50); STATE_DEPTH_CHAIN=1 prints the chains.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { k8sup } from '../test/helpers/cli.js';
import { startMoto } from '../test/helpers/moto.js';
import { commandDepth, depthSpec, stateCallsOf, type CommandDepth } from '../test/helpers/state-depth.js';
import { startThrottleProxy } from '../test/helpers/throttle-proxy.js';
import { startCallRecorder } from './call-log.js';

const STATE_MS = Number(process.env.STATE_MS ?? 40);
const BUCKET = 'k8sup-depth';

export async function stateDepths(groupCases: number[]): Promise<Record<string, unknown>[]> {
  const moto = await startMoto();
  const recorder = await startCallRecorder(moto.endpoint);
  const proxy = await startThrottleProxy(recorder.endpoint, { throttleRate: 0, resetRate: 0, latencyFor: (s) => (s === 's3' ? STATE_MS : 0) });
  const home = mkdtempSync(join(tmpdir(), 'k8sup-depth-'));
  const env = { HOME: home, ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, K8SUP_STATE_STORE: `s3://${BUCKET}/depth`, K8SUP_PROGRESS: 'ndjson' };
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
  const out: Record<string, unknown>[] = [];
  try {
    for (const groups of groupCases) {
      const name = `depth-${groups}.k8s.local`;
      const file = join(home, `${name}.json`);
      writeFileSync(file, depthSpec(name, groups));
      const run = async (args: string[], phase: 'apply' | 'destroy') => {
        recorder.log.length = 0;
        const r = await k8sup([...args, '-v'], { env, timeoutMs: 600_000 });
        if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${r.stderr.split('\n').slice(-4).join(' | ')}`);
        return commandDepth(stateCallsOf(recorder.log, STATE_MS), r.stderr, recorder.originWallMs, phase);
      };
      const row: Record<string, unknown> = { nodeGroups: groups || 'default', stateMs: STATE_MS };
      row.create = await run(['create', '-f', file, '--yes'], 'apply');
      row.noopUpdate = await run(['update', 'cluster', name, '--yes'], 'apply');
      row.delete = await run(['delete', 'cluster', name, '--yes'], 'destroy');
      if (!process.env.STATE_DEPTH_CHAIN) for (const k of ['create', 'noopUpdate', 'delete']) delete (row[k] as Partial<CommandDepth>).outsideChain;
      out.push(row);
      process.stderr.write(`${JSON.stringify(row)}\n`);
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
  console.log(JSON.stringify(await stateDepths(cases.length ? cases : [0, 50]), null, 2));
}
