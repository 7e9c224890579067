// NO_COLOR (no-color.org): with it set, k8sup's progress on a terminal carries no ANSI colour codes; without it the
// warnings are coloured there (and never when stderr is not a terminal). Runs the built CLI on a real pty
// (util-linux `script`), with the AWS endpoint on a closed port so `toolbox dump` warns at once.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { K8SUP, k8sup, tempHome } from '../helpers/cli.js';

const home = tempHome();
const env = { HOME: home, AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'us-east-2', AWS_MAX_ATTEMPTS: '1', K8SUP_NO_NODE_NOTICE: '1' };
const ANSI = /\x1b\[[0-9;]*m/;

/** The command's stderr as a terminal shows it (stdout goes to /dev/null). */
function onTerminal(args: string[], extra: Record<string, string>): string {
  const command = `${[process.execPath, K8SUP, ...args].map((a) => `'${a}'`).join(' ')} >/dev/null`;
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH, ...env, ...extra } as NodeJS.ProcessEnv, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  return r.stdout;
}

test('NO_COLOR: warnings on a terminal are plain text; without it they are coloured', async () => {
  assert.equal((await k8sup(['create', 'cluster', 'color.k8s.local', '--zones', 'us-east-2a'], { env })).code, 0);
  const args = ['toolbox', 'dump', 'color.k8s.local'];
  const coloured = onTerminal(args, {});
  assert.match(coloured, /warning:/);
  assert.match(coloured, ANSI, 'coloured on a terminal without NO_COLOR');
  const plain = onTerminal(args, { NO_COLOR: '1' });
  assert.match(plain, /^warning: cloud resources: /m);
  assert.doesNotMatch(plain, ANSI);
  const piped = await k8sup(args, { env });
  assert.match(piped.stderr, /^warning: cloud resources: /m);
  assert.doesNotMatch(piped.stderr, ANSI, 'never coloured when stderr is not a terminal');
});
