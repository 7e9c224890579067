// Which Nodes get the end-of-life notice, and in which shape: plain text, or one NDJSON event when progress is NDJSON.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodeSupportNotice } from '../../src/cli/node-support.js';

const now = () => new Date('2026-12-01T10:00:00.000Z');

test('Node 22 and 24 get no notice; Node 20 gets one line', () => {
  for (const nodeVersion of ['22.0.0', '22.23.5', '24.22.3', '25.1.0']) assert.equal(nodeSupportNotice({ nodeVersion, argv: ['version'], env: {} }), undefined, nodeVersion);
  const notice = nodeSupportNotice({ nodeVersion: '20.19.0', argv: ['version'], env: {} });
  assert.match(notice ?? '', /^warning: Node\.js 20\.19\.0 is past its end of life; .*January 2027\. Use Node\.js 22 or 24 \(K8SUP_NO_NODE_NOTICE=1 hides this\)\.\n$/);
});

test('K8SUP_NO_NODE_NOTICE=1 turns it off', () => {
  assert.equal(nodeSupportNotice({ nodeVersion: '20.19.0', argv: [], env: { K8SUP_NO_NODE_NOTICE: '1' } }), undefined);
});

test('NDJSON progress (flag in either spelling, or the environment) gets one JSON event; the flag wins', () => {
  const expected = {
    v: 1,
    time: '2026-12-01T10:00:00.000Z',
    code: 'node.eol',
    level: 'warn',
    data: { node: '20.20.2', supportedMajor: 22 },
  };
  for (const [argv, env] of [
    [['get', 'clusters', '--progress', 'ndjson'], {}],
    [['--progress=ndjson', 'version'], {}],
    [['version'], { K8SUP_PROGRESS: 'ndjson' }],
  ] as const) {
    const out = nodeSupportNotice({ nodeVersion: '20.20.2', argv: [...argv], env, now }) ?? '';
    assert.ok(out.endsWith('\n') && !out.slice(0, -1).includes('\n'), 'one line');
    const { message, ...rest } = JSON.parse(out);
    assert.deepEqual(rest, expected);
    assert.match(message, /January 2027/);
  }
  assert.match(nodeSupportNotice({ nodeVersion: '20.20.2', argv: ['--progress', 'plain'], env: { K8SUP_PROGRESS: 'ndjson' } }) ?? '', /^warning: /);
  // After `--` an argument is data, not a flag.
  assert.match(nodeSupportNotice({ nodeVersion: '20.20.2', argv: ['version', '--', '--progress', 'ndjson'], env: {} }) ?? '', /^warning: /);
});
