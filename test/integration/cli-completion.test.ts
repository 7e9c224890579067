// Help and shell completion of the built CLI. Every command's --help lists the global options and examples. The
// scripts of `k8sup completion bash|zsh|fish` are loaded in the real shells and asked for completions: bash through
// its completion function (COMP_LINE / COMP_WORDS set as bash sets them), zsh through the completion function with
// compadd and _files captured, fish through `complete -C`. Flag values are skipped when finding the command,
// flag values, cluster names from the state store (--state on the line) and file paths are completed.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { K8SUP, REPO, k8sup, tempHome } from '../helpers/cli.js';

let home: string;
let bin: string;
let work: string;
let storeUrl: string;
let scripts: Record<'bash' | 'zsh' | 'fish', string>;

function shellEnv(): NodeJS.ProcessEnv {
  // K8SUP_STATE_STORE is unset on purpose: the store must come from --state on the command line.
  return { PATH: `${bin}:${process.env.PATH}`, HOME: home } as NodeJS.ProcessEnv;
}

function sh(shell: string, args: string[], script: string): string {
  const r = spawnSync(shell, [...args, script], { cwd: work, env: shellEnv(), encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `${shell} failed: ${r.stderr}`);
  return r.stdout;
}

const lines = (s: string) => s.split('\n').filter(Boolean).sort();

/** Completions bash offers for `line` (the cursor at its end), with the words split as bash splits them. */
function bash(line: string): string[] {
  const script = `source ${scripts.bash}
COMP_LINE=${JSON.stringify(line)}; COMP_POINT=\${#COMP_LINE}
read -r -a COMP_WORDS <<< "$COMP_LINE"; [[ "$COMP_LINE" == *' ' ]] && COMP_WORDS+=("")
COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))
_k8sup; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return lines(sh('bash', ['--norc', '-c'], script));
}

/** Completions bash offers from COMP_WORDS / COMP_CWORD alone (no COMP_LINE). */
function bashWords(words: string[]): string[] {
  const script = `source ${scripts.bash}
unset COMP_LINE; COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(' ')}); COMP_CWORD=${words.length - 1}
_k8sup; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return lines(sh('bash', ['--norc', '-c'], script));
}

/** Completions the zsh function adds for `words` (the last is the word being completed). */
function zsh(words: string[]): string[] {
  const script = `autoload -Uz compinit && compinit -u -d ${home}/.zcompdump
source ${scripts.zsh}
compadd() { local i=\${@[(i)--]}; print -rl -- "\${(@)@[i+1,-1]}" }
_files() { print -rl -- "<files>" }
words=(k8sup ${words.map((w) => `'${w}'`).join(' ')}); CURRENT=\${#words}
_k8sup`;
  return lines(sh('zsh', ['-f', '-c'], script));
}

function fish(line: string): string[] {
  return lines(sh('fish', ['--no-config', '-c'], `source ${scripts.fish}; complete -C ${JSON.stringify(line)}`)).map((l) => l.split('\t')[0]);
}

before(async () => {
  home = tempHome();
  bin = join(home, 'bin');
  work = join(home, 'work');
  mkdirSync(bin);
  mkdirSync(work);
  symlinkSync(K8SUP, join(bin, 'k8sup'));
  writeFileSync(join(work, 'cluster.yaml'), '');
  writeFileSync(join(work, 'hosts.yaml'), '');
  writeFileSync(join(work, 'id.pub'), '');
  const store = join(home, 'store');
  storeUrl = `file://${store}`;
  for (const name of ['alpha.k8s.local', 'beta.k8s.local']) {
    const r = await k8sup(['--state', storeUrl, 'create', 'cluster', name, '--zones', 'us-east-2a'], { env: { HOME: home } });
    assert.equal(r.code, 0, r.stderr);
  }
  scripts = {} as typeof scripts;
  for (const shell of ['bash', 'zsh', 'fish'] as const) {
    const r = await k8sup(['completion', shell], { env: { HOME: home } });
    assert.equal(r.code, 0, r.stderr);
    scripts[shell] = join(home, `k8sup.${shell}`);
    writeFileSync(scripts[shell], r.stdout);
  }
});

describe('help', () => {
  it('every command lists the global options and two or three examples', async () => {
    const commands = [
      ['create', 'cluster'], ['create'], ['replace'], ['get', 'clusters'], ['get', 'cluster'], ['edit', 'cluster'], ['update', 'cluster'],
      ['validate', 'cluster'], ['delete', 'cluster'], ['rolling-update', 'cluster'], ['upgrade', 'cluster'], ['export', 'kubeconfig'],
      ['history', 'cluster'], ['rollback', 'cluster'], ['unlock', 'cluster'], ['completion'],
      ['get', 'backups'], ['backup', 'cluster'], ['restore', 'cluster'], ['create', 'secret', 'registry'],
      ['toolbox', 'dump'],
    ];
    for (const words of commands) {
      const r = await k8sup([...words, '--help']);
      assert.equal(r.code, 0, `${words.join(' ')}: ${r.stderr}`);
      const global = r.stdout.slice(r.stdout.indexOf('Global Options:'));
      assert.ok(r.stdout.includes('Global Options:'), `${words.join(' ')} --help shows the global options`);
      for (const flag of ['-y, --yes', '-o, --output <format>', '--state <url>', '--progress <mode>']) assert.ok(global.includes(flag), `${words.join(' ')}: ${flag}`);
      const examples = r.stdout.slice(r.stdout.indexOf('Examples:')).split('\n').filter((l) => l.startsWith('  $ '));
      assert.ok(r.stdout.includes('Examples:') && examples.length >= 2, `${words.join(' ')} --help has two or three examples:\n${r.stdout}`);
    }
    const update = await k8sup(['update', 'cluster', '--help']);
    assert.match(update.stdout, /--out-plan <file>/);
    assert.match(update.stdout, /--admin \[duration\]/);
  });
});

describe('completion', () => {
  it('bash: skips flag values when finding the command, completes flag values, cluster names and files', () => {
    assert.deepEqual(bash('k8sup --state s3://x get '), ['addons', 'assets', 'backups', 'cluster', 'clusters', 'instances']);
    assert.deepEqual(bashWords(['k8sup', '--state', 's3://x', 'get', '']), ['addons', 'assets', 'backups', 'cluster', 'clusters', 'instances']);
    assert.deepEqual(bash('k8sup -o '), ['json', 'name', 'table', 'yaml']);
    assert.deepEqual(bash('k8sup get clusters -o y'), ['yaml']);
    assert.deepEqual(bash('k8sup get clusters --output=j'), ['json'], 'bash completes the part after = only');
    assert.deepEqual(zsh(['get', 'clusters', '--output=j']), ['--output=json']);
    assert.deepEqual(bash('k8sup create cluster x --cloud '), ['aws', 'gce', 'metal']);
    assert.deepEqual(bash('k8sup create cluster x --networking ci'), ['cilium']);
    assert.deepEqual(bash('k8sup update cluster x --target '), ['direct', 'terraform']);
    assert.deepEqual(bash(`k8sup --state ${storeUrl} get cluster `), ['alpha.k8s.local', 'beta.k8s.local']);
    assert.deepEqual(bash(`k8sup delete cluster --state ${storeUrl} b`), ['beta.k8s.local']);
    assert.deepEqual(bash('k8sup create -f '), ['cluster.yaml', 'hosts.yaml', 'id.pub']);
    assert.deepEqual(bash('k8sup create cluster x --hosts ho'), ['hosts.yaml']);
    assert.deepEqual(bash('k8sup create cluster x --ssh-public-key i'), ['id.pub']);
    assert.deepEqual(bash('k8sup completion '), ['bash', 'fish', 'zsh']);
    assert.ok(bash('k8sup update cluster x --').includes('--out-plan'));
    assert.ok(!bash('k8sup ').includes('__complete'), 'the hidden command is not offered');
    assert.ok(bash('k8sup ').includes('toolbox'));
    assert.deepEqual(bash('k8sup toolbox '), ['dump']);
    assert.deepEqual(bash(`k8sup --state ${storeUrl} toolbox dump a`), ['alpha.k8s.local']);
    assert.ok(bash('k8sup toolbox dump x --').includes('--events-since'));
  });

  it('restore cluster --backup: the complete backups of the cluster on the line, in bash, zsh and fish', async () => {
    // Backups as the CLI stores what a control plane brought back (the real writer, the real store layout).
    const { openBlobStore } = await import('../../src/state/open.js');
    const { ClusterStore } = await import('../../src/state/cluster-store.js');
    const { readSpec } = await import('../../src/lifecycle/spec-store.js');
    const { storeSnapshot } = await import('../../src/lifecycle/etcd-backup.js');
    const { createHash } = await import('node:crypto');
    const store = await openBlobStore(storeUrl, { HOME: home }, home);
    const { cluster } = await readSpec(new ClusterStore(store, 'alpha.k8s.local'), 'alpha.k8s.local');
    const quiet = { emit() {} };
    for (const id of ['20261201T010000Z', '20261202T020000Z-0a1b2c3d']) {
      const snapshot = Buffer.from(`etcd snapshot ${id}`);
      const manifest = { id, cluster: 'alpha.k8s.local', node: 'cp-0', member: 'cp-0', time: '2026-12-01T01:00:00Z', etcdVersion: '3.5.21', revision: 7, size: snapshot.length, sha256: createHash('sha256').update(snapshot).digest('hex'), trigger: 'schedule' };
      await storeSnapshot(store, cluster, { manifest, snapshot }, quiet);
    }
    // An upload cut short (a snapshot, no manifest): restore refuses it, so completion does not offer it.
    await store.put('alpha.k8s.local/backups/etcd/20261203T030000Z/snapshot.db', Buffer.from('partial'));
    const ids = ['20261201T010000Z', '20261202T020000Z-0a1b2c3d'];
    assert.deepEqual(bash(`k8sup --state ${storeUrl} restore cluster alpha.k8s.local --backup `), ids);
    assert.deepEqual(bash(`k8sup restore cluster alpha.k8s.local --state ${storeUrl} --backup 20261202`), ['20261202T020000Z-0a1b2c3d']);
    assert.deepEqual(bash(`k8sup --state ${storeUrl} --name alpha.k8s.local restore cluster --backup `), ids, 'the cluster from --name');
    assert.deepEqual(bash(`k8sup --state ${storeUrl} restore cluster alpha.k8s.local --backup=2026120`), ids, 'bash completes the part after = only');
    assert.deepEqual(bash(`k8sup --state ${storeUrl} restore cluster beta.k8s.local --backup `), [], 'another cluster has none');
    assert.deepEqual(zsh(['--state', storeUrl, 'restore', 'cluster', 'alpha.k8s.local', '--backup', '']), ids);
    assert.deepEqual(fish(`k8sup --state ${storeUrl} restore cluster alpha.k8s.local --backup `), ids);
  });

  it('zsh: the same answers through compadd and _files', () => {
    assert.deepEqual(zsh(['--state', 's3://x', 'get', '']), ['addons', 'assets', 'backups', 'cluster', 'clusters', 'instances']);
    assert.deepEqual(zsh(['-o', '']), ['json', 'name', 'table', 'yaml']);
    assert.deepEqual(zsh(['create', 'cluster', 'x', '--cloud', '']), ['aws', 'gce', 'metal']);
    assert.deepEqual(zsh(['--state', storeUrl, 'get', 'cluster', '']), ['alpha.k8s.local', 'beta.k8s.local']);
    assert.deepEqual(zsh(['create', '-f', '']), ['<files>']);
  });

  it('fish: complete -C', () => {
    assert.deepEqual(fish('k8sup get '), ['addons', 'assets', 'backups', 'cluster', 'clusters', 'instances']);
    assert.deepEqual(fish('k8sup --state s3://x get '), ['addons', 'assets', 'backups', 'cluster', 'clusters', 'instances']);
    assert.deepEqual(fish('k8sup -o '), ['json', 'name', 'table', 'yaml']);
    assert.deepEqual(fish('k8sup create cluster x --networking '), ['calico', 'cilium', 'flannel']);
    assert.deepEqual(fish(`k8sup --state ${storeUrl} get cluster `), ['alpha.k8s.local', 'beta.k8s.local']);
    assert.deepEqual(fish('k8sup create -f clu'), ['cluster.yaml']);
  });

  it('cluster names from a file store load no cloud SDK and answer fast', () => {
    const started = performance.now();
    const out = execFileSync(process.execPath, ['--import', join(REPO, 'test/helpers/trace-imports.mjs'), K8SUP, '__complete', '--state', storeUrl, 'get', 'cluster', ''], {
      env: { ...shellEnv(), K8SUP_TRACE_IMPORTS: join(home, 'imports.txt') },
      encoding: 'utf8',
    });
    const ms = performance.now() - started;
    assert.deepEqual(out.split('\n').filter(Boolean), ['alpha.k8s.local', 'beta.k8s.local', ':nofiles']);
    assert.ok(ms < 3000, `took ${ms} ms`);
    const loaded = readFileSync(join(home, 'imports.txt'), 'utf8');
    assert.match(loaded, /dist\/main\.js/, 'the trace saw the imports');
    assert.doesNotMatch(loaded, /@aws-sdk|@google-cloud|ssh2|@kubernetes|listr2|node-forge/);
  });
});
