// The built CLI on an end-of-life Node: one short notice on stderr (a JSON event under NDJSON progress), none with
// K8SUP_NO_NODE_NOTICE=1 or on Node 22+, and never the AWS SDK's own warning as a second one.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO, k8sup, tempHome } from '../helpers/cli.js';

const VERSION = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version;
const OLD_NODE = Number(process.versions.node.split('.')[0]) < 22;
// The helper hides the notice for every other test; these runs show it.
const shown = { K8SUP_NO_NODE_NOTICE: undefined };

const lines = (s: string) => s.split('\n').filter(Boolean);

test('k8sup version: one notice on Node < 22, nothing on 22+; stdout stays the version alone', async () => {
  const r = await k8sup(['version'], { env: { ...shown, HOME: tempHome() } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `k8sup ${VERSION}\n`);
  if (!OLD_NODE) return assert.equal(r.stderr, '');
  assert.equal(lines(r.stderr).length, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^warning: Node\\.js ${process.versions.node.replace(/\./g, '\\.')} is past its end of life; .*January 2027.*Node\\.js 22 or 24.*K8SUP_NO_NODE_NOTICE=1`));
});

test('K8SUP_NO_NODE_NOTICE=1 hides the notice', async () => {
  const r = await k8sup(['version'], { env: { HOME: tempHome(), K8SUP_NO_NODE_NOTICE: '1' } });
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
});

test('a command that loads the AWS SDK shows one notice, not the SDK warning as a second', { skip: !OLD_NODE && 'Node 22+: no notice to count' }, async () => {
  // An S3 state store on a closed port: the SDK loads, makes its call and fails fast.
  const r = await k8sup(['get', 'clusters', '--state', 's3://bucket'], {
    env: { ...shown, HOME: tempHome(), AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_REGION: 'us-east-2', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_MAX_ATTEMPTS: '1' },
  });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /ECONNREFUSED/, 'the S3 client was loaded and called');
  assert.equal(r.stderr.match(/January 2027/g)?.length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /NodeVersionSupportWarning/);
});

test('under NDJSON progress the notice is one JSON event (--progress ndjson, --progress=ndjson, K8SUP_PROGRESS)', { skip: !OLD_NODE && 'Node 22+: no notice' }, async () => {
  const home = tempHome();
  for (const [args, env] of [
    [['version', '--progress', 'ndjson'], {}],
    [['--progress=ndjson', 'version'], {}],
    [['version'], { K8SUP_PROGRESS: 'ndjson' }],
  ] as const) {
    const r = await k8sup([...args], { env: { ...shown, HOME: home, ...env } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `k8sup ${VERSION}\n`);
    // The notice first, the run's result event last: nothing else, and all of it JSON.
    const [line, ...rest] = lines(r.stderr);
    assert.deepEqual(rest.map((l) => JSON.parse(l).code), ['result'], `${args.join(' ')}: the notice, then the result`);
    const event = JSON.parse(line);
    assert.equal(event.v, 1);
    assert.equal(event.code, 'node.eol');
    assert.equal(event.level, 'warn');
    assert.ok(!Number.isNaN(Date.parse(event.time)), event.time);
    assert.match(event.message, /January 2027/);
    assert.equal(event.data.node, process.versions.node);
  }
  // The flag wins over the environment, as it does for the progress itself.
  const plain = await k8sup(['version', '--progress', 'plain'], { env: { ...shown, HOME: home, K8SUP_PROGRESS: 'ndjson' } });
  assert.match(plain.stderr, /^warning: Node\.js /);
});
