// The S3 signing in the AWS bootstrap (templates/bootstrap/store-aws.sh, sigv4_config: bash and sha256sum, so any curl
// works) against the AWS SDK's own Signature V4 signer, for the requests nodes make: GET, list, and an encrypted PUT,
// virtual-hosted and path-style.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { test } from 'node:test';
import { SignatureV4 } from '@smithy/signature-v4';
import { bootstrapBundle, renderBootstrapScript, renderLoader } from '../../src/bootstrap/index.js';
import { testInput } from '../helpers/bootstrap-fixtures.js';

/** The SDK's checksum interface over node:crypto (hash, or HMAC when given a key). */
class Sha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

function toBytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

const CREDS = { accessKeyId: 'ASIAEXAMPLEEXAMPLE12', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE/token+with=chars' };
const AMZ_DATE = '20261201T101500Z';

/** The store functions of a rendered script, without running its steps. */
function storeFunctions(bucketUrl: string, region: string): string {
  const script = renderBootstrapScript({ ...testInput('aws', 'worker'), stateStoreUrl: bucketUrl, stateStoreRegion: region });
  const header = /^(STATE_PREFIX=.*|STATE_REGION=.*)$/gm;
  const vars = script.match(header)!.join('\n');
  const start = script.indexOf('IMDS=http://169.254.169.254/latest');
  const end = script.indexOf('# The node name the AWS cloud expects');
  return `set -euo pipefail\nlog() { :; }\n${vars}\n${script.slice(start, end)}`;
}

function shellConfig(functions: string, args: string[]): Map<string, string> {
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const res = spawnSync('bash', ['-c', `${functions}\nsigv4_config ${quoted}`], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  assert.equal(res.status, 0, res.stderr);
  const headers = new Map<string, string>();
  for (const line of res.stdout.trim().split('\n')) {
    const m = /^header = "([^:]+): (.*)"$/.exec(line);
    assert.ok(m, `not a curl config header: ${line}`);
    headers.set(m[1].toLowerCase(), m[2]);
  }
  return headers;
}

async function sdkAuthorization(req: { method: string; host: string; path: string; query: Record<string, string>; payload: string; sse: boolean }, region: string) {
  const signer = new SignatureV4({ credentials: CREDS, region, service: 's3', sha256: Sha256, uriEscapePath: false, applyChecksum: false });
  const headers: Record<string, string> = { host: req.host, 'x-amz-content-sha256': req.payload };
  if (req.sse) headers['x-amz-server-side-encryption'] = 'AES256';
  const signed = await signer.sign(
    { method: req.method, protocol: 'https:', hostname: req.host, path: req.path, query: req.query, headers },
    { signingDate: new Date('2026-12-01T10:15:00Z') },
  );
  return signed.headers.authorization;
}

for (const [label, url, region, host, bucketPath] of [
  ['virtual-hosted', 's3://k8sup-state/team-a', 'us-east-2', 'k8sup-state.s3.us-east-2.amazonaws.com', ''],
  ['path-style (dotted bucket, another region)', 's3://state.k8s.example.com/team-a', 'eu-west-1', 's3.eu-west-1.amazonaws.com', '/state.k8s.example.com'],
] as const) {
  test(`SigV4 of the bootstrap matches the AWS SDK: ${label}`, async () => {
    const functions = storeFunctions(url, region);
    const body = 'token=abcdef.0123456789abcdef\n';
    const cases: { method: string; path: string; query: Record<string, string>; queryText: string; payload: string; sse: boolean }[] = [
      { method: 'GET', path: `${bucketPath}/team-a/demo.k8s.local/bootstrap/token`, query: {}, queryText: '', payload: createHash('sha256').update('').digest('hex'), sse: false },
      { method: 'GET', path: `${bucketPath}/`, query: { 'list-type': '2', prefix: 'team-a/demo.k8s.local/bootstrap/initialized' }, queryText: 'list-type=2&prefix=team-a%2Fdemo.k8s.local%2Fbootstrap%2Finitialized', payload: createHash('sha256').update('').digest('hex'), sse: false },
      { method: 'PUT', path: `${bucketPath}/team-a/demo.k8s.local/nodes/status/i-0abc.json`, query: {}, queryText: '', payload: createHash('sha256').update(body).digest('hex'), sse: true },
    ];
    for (const c of cases) {
      const headers = shellConfig(functions, [CREDS.accessKeyId, CREDS.secretAccessKey, CREDS.sessionToken, AMZ_DATE, c.method, c.path, c.queryText, c.payload, c.sse ? '1' : '0']);
      const expected = await sdkAuthorization({ ...c, host }, region);
      assert.equal(headers.get('authorization'), expected, `${c.method} ${c.path}?${c.queryText}`);
      assert.equal(headers.get('x-amz-date'), AMZ_DATE);
      assert.equal(headers.get('x-amz-security-token'), CREDS.sessionToken);
      assert.equal(headers.get('x-amz-content-sha256'), c.payload);
      assert.equal(headers.has('x-amz-server-side-encryption'), c.sse);
    }
  });
}

test('the loader signs its bundle GET like the AWS SDK (the same functions, compacted, without the upload branch)', async () => {
  const input = { ...testInput('aws', 'worker'), stateStoreUrl: 's3://state.k8s.example.com/team-a', stateStoreRegion: 'eu-west-1' };
  const loader = renderLoader(input, bootstrapBundle('#!/bin/bash\n'));
  assert.doesNotMatch(loader, /x-amz-server-side-encryption/);
  const functions = loader.slice(0, loader.indexOf('install -d -m 0700 /var/lib/k8sup'));
  const path = `/state.k8s.example.com/team-a/demo.k8s.local/bootstrap/bundles/${'0'.repeat(64)}.sh`;
  const payload = createHash('sha256').update('').digest('hex');
  const headers = shellConfig(functions, [CREDS.accessKeyId, CREDS.secretAccessKey, CREDS.sessionToken, AMZ_DATE, 'GET', path, '', payload, '0']);
  assert.equal(headers.get('authorization'), await sdkAuthorization({ method: 'GET', host: 's3.eu-west-1.amazonaws.com', path, query: {}, payload, sse: false }, 'eu-west-1'));
  assert.equal(headers.get('x-amz-security-token'), CREDS.sessionToken);
});
