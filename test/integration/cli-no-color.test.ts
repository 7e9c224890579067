// NO_COLOR (no-color.org): with it set, k8sup's progress on a terminal carries no ANSI colour codes; without it the
// warnings are coloured there (and never when stderr is not a terminal). Runs the built CLI on a real pty
// (util-linux `script`), with the AWS endpoint on a closed port so `toolbox dump` warns at once.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { K8SUP, k8sup, tempHome } from '../helpers/cli.js';

const home = tempHome();
const env = { HOME: home, AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'us-east-2', AWS_MAX_ATTEMPTS: '1', K8SUP_NO_NODE_NOTICE: '1' };
const ANSI = /\x1b\[[0-9;]*m/;

/** The command's stderr as a terminal shows it (stdout goes to /dev/null). */
function onTerminal(args: string[], extra: Record<string, string>): Promise<string> {
  const command = `${[process.execPath, K8SUP, ...args].map((a) => `'${a}'`).join(' ')} >/dev/null`;
  return new Promise((resolve, reject) =>
    execFile('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH, ...env, ...extra } as NodeJS.ProcessEnv, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stdout}${stderr}`)) : resolve(stdout),
    ),
  );
}

test('NO_COLOR: warnings on a terminal are plain text; without it they are coloured', async () => {
  assert.equal((await k8sup(['create', 'cluster', 'color.k8s.local', '--zones', 'us-east-2a'], { env })).code, 0);
  const args = ['toolbox', 'dump', 'color.k8s.local'];
  // The three runs at once: each waits out the unreachable cloud's retries before it warns.
  const [coloured, plain, piped] = await Promise.all([onTerminal(args, {}), onTerminal(args, { NO_COLOR: '1' }), k8sup(args, { env })]);
  assert.match(coloured, /warning:/);
  assert.match(coloured, ANSI, 'coloured on a terminal without NO_COLOR');
  assert.match(plain, /^warning: cloud resources: /m);
  assert.doesNotMatch(plain, ANSI);
  assert.match(piped.stderr, /^warning: cloud resources: /m);
  assert.doesNotMatch(piped.stderr, ANSI, 'never coloured when stderr is not a terminal');
});
