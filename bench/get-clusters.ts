// `get clusters` on an S3 state store holding 100 clusters, 50 ms away (moto behind a latency-injecting proxy):
// goal < 2 s (issue 17). The clusters are written straight to moto first (no latency), through the real ClusterStore.
// Run standalone: node --import tsx bench/get-clusters.ts; K8SUP_BENCH_BIN times another build.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { clusterToYaml } from '../src/api/index.js';
import { withDefaults } from '../src/api/defaults.js';
import { ClusterStore } from '../src/state/cluster-store.js';
import { openBlobStore } from '../src/state/open.js';
import { k8sup } from '../test/helpers/cli.js';
import { startMoto } from '../test/helpers/moto.js';
import { startThrottleProxy } from '../test/helpers/throttle-proxy.js';

const CLUSTERS = 100;
const S3_MS = 50;
const BUCKET = 'k8sup-bench-list';

export async function benchGetClusters(bins: (string | undefined)[] = [undefined]): Promise<Record<string, unknown>> {
  const moto = await startMoto();
  let latency = S3_MS;
  const proxy = await startThrottleProxy(moto.endpoint, { throttleRate: 0, resetRate: 0, latencyFor: () => latency });
  const home = mkdtempSync(join(tmpdir(), 'k8sup-bench-'));
  try {
    const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
    const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
    s3.destroy();
    const url = `s3://${BUCKET}/state`;
    const direct = await openBlobStore(url, { ...moto.env, AWS_ENDPOINT_URL: moto.endpoint }, home);
    const names = Array.from({ length: CLUSTERS }, (_, i) => `c${String(i).padStart(3, '0')}.k8s.local`);
    for (let i = 0; i < names.length; i += 10) {
      await Promise.all(
        names.slice(i, i + 10).map((name) => new ClusterStore(direct, name).writeRevision(clusterToYaml(withDefaults({ metadata: { name }, spec: { zones: ['us-east-2a'] } })), { expectedRevision: 0, author: 'bench' })),
      );
    }
    const env = { HOME: home, ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint, K8SUP_STATE_STORE: url };
    const result: Record<string, unknown> = { clusters: CLUSTERS, s3LatencyMs: S3_MS, goal: 'wallMs < 2000' };
    const median3 = async (bin: string | undefined) => {
      const times: number[] = [];
      for (let run = 0; run < 3; run++) {
        proxy.resetStats();
        const t = performance.now();
        const r = await k8sup(['get', 'clusters', '-o', 'json'], { env, bin, timeoutMs: 120_000 });
        times.push(performance.now() - t);
        if (r.code !== 0 || JSON.parse(r.stdout).length !== CLUSTERS) throw new Error(`get clusters exited ${r.code}: ${r.stderr}`);
      }
      times.sort((a, b) => a - b);
      return { wallMsMedianOf3: Math.round(times[1]), s3CallsPerRun: proxy.callsByService().s3 ?? 0 };
    };
    for (const bin of bins) {
      latency = S3_MS;
      const far = await median3(bin);
      // The same with no injected latency: what moto and the CLI cost by themselves on this machine.
      latency = 0;
      result[bin ?? 'this checkout'] = { ...far, wallMsAt0msMedianOf3: (await median3(bin)).wallMsMedianOf3 };
    }
    return result;
  } finally {
    await proxy.stop();
    await moto.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const other = process.env.K8SUP_BENCH_BIN;
  console.log(JSON.stringify(await benchGetClusters(other ? [other, undefined] : [undefined]), null, 2));
}
