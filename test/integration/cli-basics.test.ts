// The parts of the CLI every user meets first: version, help, completion — and that they load no cloud SDK.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { K8SUP, REPO, k8sup, startK8sup, tempHome } from '../helpers/cli.js';

// Packages kept out of the bundle and loaded from node_modules only by the commands that need them.
const HEAVY = /@aws-sdk|@smithy|@google-cloud|@kubernetes|ssh2|listr2/;

function loadedBy(args: string[], extraEnv: Record<string, string> = {}, expectStatus = 0): string[] {
  const home = tempHome();
  const trace = join(home, 'imports.log');
  writeFileSync(trace, '');
  const r = spawnSync(process.execPath, ['--import', join(REPO, 'test/helpers/trace-imports.mjs'), K8SUP, ...args], {
    env: { PATH: process.env.PATH, HOME: home, K8SUP_TRACE_IMPORTS: trace, ...extraEnv },
    encoding: 'utf8',
  });
  assert.equal(r.status, expectStatus, r.stderr);
  return readFileSync(trace, 'utf8').split('\n').filter(Boolean);
}

test('version and --help load no cloud SDK (nor anything heavy)', () => {
  for (const args of [['version'], ['--help'], ['create', 'cluster', '--help']]) {
    const loaded = loadedBy(args);
    assert.ok(loaded.some((u) => u.includes('dist/main.js')), `the trace saw the CLI load for ${args.join(' ')}: ${loaded.join(' ')}`);
    assert.deepEqual(loaded.filter((u) => HEAVY.test(u)), [], `${args.join(' ')} loaded heavy modules`);
  }
  // The tracer does see an SDK when a command needs one (an S3 store; the endpoint is a closed port).
  const s3 = loadedBy(['get', 'clusters', '--state', 's3://bucket'], { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_MAX_ATTEMPTS: '1' }, 1);
  assert.ok(s3.some((u) => u.includes('@aws-sdk/client-s3')));
});

test('version, help and usage errors', async () => {
  const v = await k8sup(['version']);
  assert.equal(v.code, 0);
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
  assert.equal(v.stdout.trim(), `k8sup ${pkg.version}`);
  const help = await k8sup(['--help']);
  assert.equal(help.code, 0);
  for (const cmd of ['create', 'replace', 'get', 'edit', 'update', 'validate', 'delete', 'rolling-update', 'upgrade', 'export', 'history', 'rollback', 'unlock', 'version', 'completion']) {
    assert.match(help.stdout, new RegExp(`^  ${cmd}\\b`, 'm'), `--help lists ${cmd}`);
  }
  const none = await k8sup([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /Usage: k8sup/);
});

test('help whose reader has gone (`k8sup create cluster --help | head -1`): exit 141 without an error or a resume hint', async () => {
  const env = { HOME: tempHome(), K8SUP_NO_NODE_NOTICE: '1' };
  for (const args of [['create', 'cluster', '--help'], ['help', 'create', 'cluster'], ['--help']]) {
    const r = await startK8sup(args, { env, closeStdout: true }).done;
    assert.equal(r.code, 141, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, '', `${args.join(' ')} says nothing on stderr`);
  }
  // A command that reads the state store still reports the closed pipe (cli-interrupt.test.ts): only help is quiet.
  const get = await startK8sup(['get', 'clusters', '-o', 'json'], { env, closeStdout: true }).done;
  assert.equal(get.code, 141, get.stderr);
});

test('completion scripts: bash and zsh parse, fish lists the commands', async () => {
  const home = tempHome();
  for (const shell of ['bash', 'zsh', 'fish']) {
    const r = await k8sup(['completion', shell], { env: { HOME: home } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /__complete/, 'the script asks k8sup itself (see cli-completion.test.ts)');
    if (shell === 'bash') {
      const f = join(home, 'c.bash');
      writeFileSync(f, r.stdout);
      execFileSync('bash', ['-n', f]);
      // Completing `k8sup get c` offers both cluster words.
      const out = execFileSync('bash', ['-c', `source ${f}; COMP_WORDS=(${K8SUP} get c); COMP_CWORD=2; _k8sup; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
      assert.deepEqual(out.trim().split('\n').sort(), ['cluster', 'clusters']);
    }
  }
  assert.equal((await k8sup(['completion', 'powershell'], { env: { HOME: home } })).code, 2);
});

test('in-process runs leave no SIGINT handler behind', async () => {
  const { run } = await import('../../src/cli/main.js');
  const { PassThrough } = await import('node:stream');
  const before = process.listenerCount('SIGINT');
  const home = tempHome();
  for (let i = 0; i < 12; i++) {
    await run(['get', 'clusters'], { env: { HOME: home, PATH: process.env.PATH }, stdout: new PassThrough(), stderr: new PassThrough() });
  }
  assert.equal(process.listenerCount('SIGINT'), before);
});
