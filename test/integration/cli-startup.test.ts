// What `k8sup version` and `k8sup --help` load: the start-up figure of docs/benchmarks.md (at most 1.5 × `node -e 0`)
// is a matter of how much code the first module pulls in, so this holds the structure behind it: the sources of every
// built file those runs load (read from the files' source maps), and their size. No timing here: `npm run bench` times.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { K8SUP, REPO, k8sup, tempHome } from '../helpers/cli.js';

/** What the version and help paths may run: the command tree and commander, how a run ends, errors and events. */
const ALLOWED = [/^node_modules\/commander\//, /^src\/cli\/(main|help-examples|interrupts|node-support|result|suggest)\.ts$/, /^src\/cli\/render\/(progress|listr)\.ts$/, /^src\/core\/(errors|events)\.ts$/];
/** Bytes of built code (minified, excluding source maps) they may load; about 71 KB today, 96 KB before the clouds' facts were deferred. */
const BUDGET = 80_000;

/** The built files a run loads (bin/k8sup aside), each with the sources it was built from. */
function builtFilesLoadedBy(args: string[]): { file: string; bytes: number; sources: string[] }[] {
  const home = tempHome();
  const trace = join(home, 'imports.log');
  writeFileSync(trace, '');
  const r = spawnSync(process.execPath, ['--import', join(REPO, 'test/helpers/trace-imports.mjs'), K8SUP, ...args], {
    env: { PATH: process.env.PATH, HOME: home, K8SUP_TRACE_IMPORTS: trace, K8SUP_NO_NODE_NOTICE: '1' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const dist = join(REPO, 'dist');
  const files = new Set(
    readFileSync(trace, 'utf8')
      .split('\n')
      .filter((u) => u.startsWith('file:'))
      .map((u) => fileURLToPath(u))
      .filter((f) => f.startsWith(dist)),
  );
  return [...files].map((file) => {
    const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] };
    return { file, bytes: statSync(file).size, sources: map.sources.map((s) => resolve(join(file, '..'), s).slice(REPO.length + 1)) };
  });
}

for (const args of [['version'], ['--help'], ['help', 'create']]) {
  test(`\`k8sup ${args.join(' ')}\` loads only the command tree: no cloud's facts, no command, within ${BUDGET / 1000} KB`, () => {
    const loaded = builtFilesLoadedBy(args);
    assert.ok(loaded.some((f) => f.file.endsWith(join('dist', 'main.js'))), `the trace saw dist/main.js: ${loaded.map((f) => f.file).join(' ')}`);
    const sources = loaded.flatMap((f) => f.sources);
    assert.ok(sources.includes('src/cli/main.ts'), `source maps name the sources: ${sources.join(' ')}`);
    assert.deepEqual(sources.filter((s) => !ALLOWED.some((a) => a.test(s))), [], `k8sup ${args.join(' ')} loaded more than the command tree`);
    const bytes = loaded.reduce((n, f) => n + f.bytes, 0);
    assert.ok(bytes <= BUDGET, `k8sup ${args.join(' ')} loaded ${bytes} bytes of built code (budget ${BUDGET})`);
  });
}

test('a command that needs the clouds\' facts for its flags gets them: create cluster loads them, and its help is whole', async () => {
  const sources = builtFilesLoadedBy(['create', 'cluster', '--help']).flatMap((f) => f.sources);
  assert.ok(sources.some((s) => s.startsWith('providers/')), 'create cluster --help loads the clouds\' facts (for --cloud and --hosts)');
  const help = await k8sup(['create', 'cluster', '--help']);
  assert.equal(help.code, 0, help.stderr);
  // The deferred options keep their declared place: --zones first, the cloud's own flags before --dns-zone.
  const options = [...help.stdout.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]);
  assert.equal(options[0], '--zones');
  assert.equal(options[1], '--cloud');
  assert.ok(options.indexOf('--hosts') > 0 && options.indexOf('--hosts') === options.indexOf('--dns-zone') - 1, options.join(' '));
  assert.match(help.stdout, /--cloud <cloud> .*\n.*\(choices: "aws", "gce", "metal"\)/);
  // `help create` shows create's own help without dispatching to `create cluster`: the listing still says it has
  // options. Asked-for help is a success (it exited 2, as `k8sup create` without a subcommand does).
  const parent = await k8sup(['help', 'create']);
  assert.equal(parent.code, 0, parent.stderr);
  assert.match(parent.stdout, /^ {2}cluster \[options\] \[name\]/m);
  assert.equal((await k8sup(['get'])).code, 2);
  // A usage error before any dispatch still skips the deferred flags' values in its hint (`--hosts FILE`).
  const bad = await k8sup(['--bogus', 'create', 'cluster', 'x', '--hosts', 'h.yaml']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^hint: see `k8sup create cluster --help`$/m);
  const del = await k8sup(['delete', 'cluster', 'x', '--cloud', 'nowhere']);
  assert.equal(del.code, 2);
  assert.match(del.stderr, /--cloud.*nowhere/);
});
