// Multi-process races on the s3:// backend against moto_server (versioned bucket), through a proxy that gives moto
// S3's atomic conditional writes (see serial-writes-proxy.ts).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from '../../src/state/s3.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { startSerialWritesProxy, type SerialWritesProxy } from '../helpers/serial-writes-proxy.js';
import { concurrencySuite } from '../helpers/state-concurrency-suite.js';

const tmp = mkdtempSync(join(tmpdir(), 'k8sup-race-s3-'));
let moto: Moto | undefined;
let proxy: SerialWritesProxy | undefined;
// moto's environment, pointed at the proxy that makes its conditional writes atomic (see serial-writes-proxy.ts).
let env: Record<string, string> = {};

before(async () => {
  moto = await startMoto();
  proxy = await startSerialWritesProxy(moto.endpoint);
  env = { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint };
  const s3 = new S3Client(s3ClientConfig(env));
  await s3.send(new CreateBucketCommand({ Bucket: 'race', CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: 'race', VersioningConfiguration: { Status: 'Enabled' } }));
  s3.destroy();
});
after(async () => {
  await proxy?.stop();
  await moto?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

concurrencySuite({ name: 's3 (moto)', url: () => 's3://race/state', env: () => env, home: tmp });
