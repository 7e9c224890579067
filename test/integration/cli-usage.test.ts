// The built CLI as people and pipelines meet it: hints that name real commands, kops habits that must work
// (`~` in a quoted path, `-f -`, `--version`), a name given twice, CIDRs with host bits, suggested commands that keep
// --state, the resume hint after a failed create --yes — and `--progress ndjson` staying pure JSON on failures.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EVENT_CATALOGUE } from '../../src/core/events.js';
import { K8SUP, REPO, k8sup, tempHome, treeDigest, type CliResult } from '../helpers/cli.js';
import { freePort, waitFor } from '../helpers/net.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@example';

/** bin/k8sup with `input` on stdin. */
function k8supWithStdin(args: string[], input: string, env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [K8SUP, ...args], { cwd: REPO, env: { PATH: process.env.PATH, K8SUP_PROGRESS: 'plain', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** Every stderr line parses as an event of the catalogue, and the last is the result with the exit code. */
function ndjson(r: CliResult): Record<string, any>[] {
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.ok(lines.length > 0, 'no events');
  const events = lines.map((l) => {
    try {
      return JSON.parse(l);
    } catch {
      return assert.fail(`not JSON: ${l}\n--- all of stderr:\n${r.stderr}`);
    }
  });
  for (const e of events) {
    assert.equal(e.v, 1);
    assert.ok(Object.hasOwn(EVENT_CATALOGUE, e.code), `unknown code ${e.code}`);
  }
  assert.deepEqual(
    { code: events.at(-1)!.code, exitCode: events.at(-1)!.exitCode },
    { code: 'result', exitCode: r.code },
  );
  return events;
}

test('usage errors: hints name the command words that exist, --version works', async () => {
  const home = tempHome();
  const bogus = await k8sup(['bogus'], { env: { HOME: home } });
  assert.equal(bogus.code, 2);
  assert.match(bogus.stderr, /^hint: see `k8sup --help`$/m);
  const weird = await k8sup(['--progress', 'weird', 'get', 'clusters'], { env: { HOME: home } });
  assert.equal(weird.code, 2);
  assert.match(weird.stderr, /^hint: see `k8sup get clusters --help`$/m);
  const flag = await k8sup(['get', 'clusters', '--bogus-flag'], { env: { HOME: home } });
  assert.match(flag.stderr, /^hint: see `k8sup get clusters --help`$/m);
  // A typo gets commander's suggestion in the hint (the error stays one line).
  const typo = await k8sup(['create', 'cluster', 'a.k8s.local', '--zone', 'us-east-2a'], { env: { HOME: home } });
  assert.equal(typo.code, 2);
  assert.equal(typo.stderr, "error: unknown option '--zone'\nhint: did you mean --zones? see `k8sup create cluster --help`\n");
  // -v and --quiet contradict each other, wherever they stand.
  const both = await k8sup(['--quiet', 'get', 'clusters', '-v'], { env: { HOME: home, K8SUP_NO_NODE_NOTICE: '1' } });
  assert.equal(both.code, 2);
  assert.match(both.stderr, /^error: option '-v, --verbose' cannot be used with option '--quiet'\nhint: give only one of them\n/);
  const word = await k8sup(['get', 'clustrs'], { env: { HOME: home } });
  assert.match(word.stderr, /^hint: did you mean clusters\? see `k8sup get --help`$/m);
  const version = await k8sup(['--version'], { env: { HOME: home } });
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout, `k8sup ${JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version}\n`);
});

test('a cluster named twice, and a CIDR with host bits: exit 2 saying what is wrong, nothing written', async () => {
  const home = tempHome();
  const env = { HOME: home };
  const twice = await k8sup(['create', 'cluster', 'a.k8s.local', '--name', 'b.k8s.local', '--zones', 'us-east-2a'], { env });
  assert.equal(twice.code, 2, twice.stderr);
  assert.match(twice.stderr, /named twice: "a\.k8s\.local" \(argument\) and "b\.k8s\.local" \(--name\)/);
  const bits = await k8sup(['create', 'cluster', 'a.k8s.local', '--zones', 'us-east-2a', '--admin-access', '10.0.0.1/8'], { env });
  assert.equal(bits.code, 2, bits.stderr);
  assert.match(bits.stderr, /"10\.0\.0\.1\/8" has host bits set: the network is 10\.0\.0\.0\/8/);
  assert.doesNotMatch(bits.stderr, /not an IPv4 CIDR/);
  assert.equal(existsSync(join(home, '.k8sup')), false, 'nothing was written');
});

test('duration flags: a bad one is named in the error (exit 2, nothing written); 0 is a duration, as in Go', async () => {
  const home = tempHome();
  const env = { HOME: home };
  const created = await k8sup(['create', 'cluster', 'd.k8s.local', '--zones', 'us-east-2a'], { env });
  assert.equal(created.code, 0, created.stderr);
  const digest = treeDigest(home);
  const cases: [string[], string][] = [
    [['validate', 'cluster', 'd.k8s.local', '--wait', '10q'], '--wait'],
    [['validate', 'cluster', 'd.k8s.local', '--interval', 'abc'], '--interval'],
    [['export', 'kubeconfig', 'd.k8s.local', '--admin', '5z'], '--admin'],
    [['update', 'cluster', 'd.k8s.local', '--yes', '--admin=5z'], '--admin'],
  ];
  for (const [args, flag] of cases) {
    const r = await k8sup(args, { env });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^error: ${flag}: invalid duration "[^"]+"\n^hint: \\S.*\n$`, 'm'), args.join(' '));
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 2, r.stderr);
  }
  const noPause = await k8sup(['validate', 'cluster', 'd.k8s.local', '--interval', '0'], { env });
  assert.equal(noPause.code, 2, noPause.stderr);
  assert.match(noPause.stderr, /^error: --interval: must be more than 0/m);
  assert.equal(treeDigest(home), digest, 'nothing was written');
  // --wait 0 is no wait: the cluster (never applied) is checked once and found not valid.
  const once = await k8sup(['validate', 'cluster', 'd.k8s.local', '--wait', '0', '-o', 'json'], { env });
  assert.equal(once.code, 4, once.stderr);
  assert.equal(JSON.parse(once.stdout).valid, false);
});

test('delete without a state: an unknown --region exits 2 before any cloud call', async () => {
  const home = tempHome();
  // No credentials and no endpoint: a run that got as far as the cloud would fail with exit 1.
  const env = { HOME: home, AWS_EC2_METADATA_DISABLED: 'true' };
  for (const [cloud, region, extra] of [['aws', 'mars-1', []], ['gce', 'us-central9', ['--project', 'p']]] as const) {
    const r = await k8sup(['delete', 'cluster', 'gone.k8s.local', '--cloud', cloud, '--region', region, ...extra], { env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^error: --region: unknown ${cloud} region "${region}"\n^hint: .*--region`, 'm'));
  }
  assert.equal(existsSync(join(home, '.k8sup')), false, 'nothing was written');
});

test('--kubernetes-version v1.34.4 (kubeadm\'s spelling) is stored as 1.34.4, as the spec documents it', async () => {
  const home = tempHome();
  const env = { HOME: home };
  const r = await k8sup(['create', 'cluster', 'v.k8s.local', '--zones', 'us-east-2a', '--kubernetes-version', 'v1.34.4'], { env });
  assert.equal(r.code, 0, r.stderr);
  const spec = JSON.parse((await k8sup(['get', 'cluster', 'v.k8s.local', '-o', 'json'], { env })).stdout);
  assert.equal(spec.spec.kubernetesVersion, '1.34.4');
  const list = JSON.parse((await k8sup(['get', 'clusters', '-o', 'json'], { env })).stdout);
  assert.equal(list[0].kubernetesVersion, '1.34.4');
});

test('a stored revision that input rules added later would refuse still lists, changes and rolls back', async () => {
  const home = tempHome();
  const env = { HOME: home };
  assert.equal((await k8sup(['create', 'cluster', 'old.k8s.local', '--zones', 'us-east-2a'], { env })).code, 0);
  // As an earlier k8sup stored it: an empty adminAccess, which new input may no longer say (rules.ts newInputIssues).
  const revision = join(home, '.k8sup', 'state', 'old.k8s.local', 'revisions', '000001.yaml');
  const stored = readFileSync(revision, 'utf8');
  const old = stored.replace(/adminAccess:\n\s+- 0\.0\.0\.0\/0\n/, 'adminAccess: []\n');
  assert.notEqual(old, stored);
  writeFileSync(revision, old);

  const list = await k8sup(['get', 'clusters', '-o', 'json'], { env });
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(JSON.parse(list.stdout).map((c: { name: string }) => c.name), ['old.k8s.local']);
  // A new revision on top of it: the input is judged, the stored revision it replaces is not.
  const doc = JSON.parse((await k8sup(['get', 'cluster', 'old.k8s.local', '-o', 'json'], { env })).stdout);
  doc.spec.api.adminAccess = ['203.0.113.0/24'];
  writeFileSync(join(home, 'new.json'), JSON.stringify(doc));
  const replaced = await k8sup(['replace', '-f', join(home, 'new.json')], { env });
  assert.equal(replaced.code, 0, replaced.stderr);
  assert.match(replaced.stderr, /spec\.api\.adminAccess: \[\] → \["203\.0\.113\.0\/24"\]/);
  const rolledBack = await k8sup(['rollback', 'cluster', 'old.k8s.local', '--revision', '1', '--yes'], { env });
  assert.equal(rolledBack.code, 0, rolledBack.stderr);
});

test('bare metal: flags about machines the hosts file decides exit 2, nothing written', async () => {
  const home = tempHome();
  const env = { HOME: home };
  writeFileSync(join(home, 'hosts.yaml'), 'hosts:\n- {address: 10.0.0.10, role: control-plane}\n- {address: 10.0.0.20, role: worker}\n');
  for (const flag of [['--node-count', '3'], ['--node-size', 'big'], ['--control-plane-size', 'big'], ['--image', 'ubuntu']]) {
    const r = await k8sup(['create', 'cluster', 'm.k8s.local', '--hosts', join(home, 'hosts.yaml'), ...flag], { env });
    assert.equal(r.code, 2, `${flag[0]}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^error: ${flag[0]}: bare metal clusters have one node per host of the hosts file`, 'm'));
    assert.match(r.stderr, new RegExp(`^hint: drop ${flag[0]}`, 'm'));
  }
  assert.equal(existsSync(join(home, '.k8sup')), false, 'nothing was written');
  // Without them the same hosts make a cluster with one worker node.
  const ok = await k8sup(['create', 'cluster', 'm.k8s.local', '--hosts', join(home, 'hosts.yaml')], { env });
  assert.equal(ok.code, 0, ok.stderr);
});

test('--out-plan into a folder that does not exist exits 2 before the cloud is read', async () => {
  const home = tempHome();
  // No credentials: a run that got as far as the cloud would fail with exit 1.
  const env = { HOME: home, AWS_EC2_METADATA_DISABLED: 'true' };
  assert.equal((await k8sup(['create', 'cluster', 'p.k8s.local', '--zones', 'us-east-2a'], { env })).code, 0);
  const digest = treeDigest(home);
  const r = await k8sup(['update', 'cluster', 'p.k8s.local', '--out-plan', join(home, 'missing', 'plan.json')], { env });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^error: --out-plan: cannot write .*plan\.json: .*missing is not a folder\n^hint: create the folder/m);
  assert.equal(treeDigest(home), digest, 'nothing was written');
});

test('~ in a quoted path flag, and -f - for stdin', async () => {
  const home = tempHome();
  const env = { HOME: home };
  mkdirSync(join(home, '.ssh'));
  writeFileSync(join(home, '.ssh', 'id_rsa.pub'), `${KEY}\n`);
  // No shell between the test and k8sup: the `~` arrives as the user typed it inside quotes.
  const r = await k8sup(['create', 'cluster', 'tilde.k8s.local', '--zones', 'us-east-2a', '--ssh-public-key=~/.ssh/id_rsa.pub'], { env });
  assert.equal(r.code, 0, r.stderr);
  const spec = JSON.parse((await k8sup(['get', 'cluster', 'tilde.k8s.local', '-o', 'json'], { env })).stdout);
  assert.equal(spec.spec.ssh.publicKey, KEY);

  // Another cluster from this document: its identity and revision are tilde's, not the new one's.
  spec.metadata = { name: 'stdin.k8s.local' };
  const fromStdin = await k8supWithStdin(['create', '-f', '-'], JSON.stringify(spec), env);
  assert.equal(fromStdin.code, 0, fromStdin.stderr);
  spec.spec.nodeGroups[0].maxSize = 5;
  const replaced = await k8supWithStdin(['replace', '-f', '-'], JSON.stringify(spec), env);
  assert.equal(replaced.code, 0, replaced.stderr);
  const got = JSON.parse((await k8sup(['get', 'cluster', 'stdin.k8s.local', '-o', 'json'], { env })).stdout);
  assert.equal(got.spec.nodeGroups[0].maxSize, 5);
  const missing = await k8sup(['create', 'cluster', 'x.k8s.local', '--zones', 'us-east-2a', '--ssh-public-key', '~/nope.pub'], { env });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, new RegExp(`--ssh-public-key: cannot read ~/nope\\.pub \\(${home}/nope\\.pub\\): ENOENT`));
});

test('suggested commands keep --state; after a failed create --yes the hint is the resume (update --yes)', { timeout: 120_000 }, async () => {
  const home = tempHome();
  const env = { HOME: home };
  const state = `file://${home}/elsewhere`;
  // A bare-metal host nobody listens on: the spec is stored, then the apply fails.
  writeFileSync(join(home, 'hosts.yaml'), `hosts:\n- {address: 127.0.0.1, port: ${await freePort()}, user: root, role: control-plane}\n`);
  const planned = await k8sup(['create', 'cluster', 'm.k8s.local', '--hosts', join(home, 'hosts.yaml'), '--state', state], { env });
  assert.equal(planned.code, 0, planned.stderr);
  assert.match(planned.stderr, new RegExp(`^Apply with: k8sup update cluster m\\.k8s\\.local --yes --state ${state}$`, 'm'));
  const del = await k8sup(['delete', 'cluster', 'm.k8s.local', '--state', state], { env });
  assert.match(del.stderr, new RegExp(`k8sup delete cluster m\\.k8s\\.local --yes --state ${state}$`, 'm'));
  assert.equal((await k8sup(['delete', 'cluster', 'm.k8s.local', '--state', state, '--yes'], { env })).code, 0);
  // Hints written below the CLI (here the store's "not found") get the --state of the run too.
  const missing = await k8sup(['get', 'cluster', 'm.k8s.local', `--state=${state}`], { env });
  assert.equal(missing.code, 2, 'a cluster the store does not hold is invalid input (CONTRACT exit codes)');
  assert.match(missing.stderr, new RegExp(`^hint: list clusters with \`k8sup get clusters --state ${state}\``, 'm'));

  const failed = await k8sup(['create', 'cluster', 'm.k8s.local', '--hosts', join(home, 'hosts.yaml'), '--state', state, '--yes'], { env });
  assert.equal(failed.code, 1, failed.stderr);
  assert.match(failed.stderr, new RegExp(`^hint: .*resume with \`k8sup update cluster m\\.k8s\\.local --yes --state ${state}\``, 'm'));
  assert.doesNotMatch(failed.stderr, /same command again/);
  // The suggested resume is what the user can run: it finds the stored spec (and fails on the host, not the name).
  const again = await k8sup(['create', 'cluster', 'm.k8s.local', '--hosts', join(home, 'hosts.yaml'), '--state', state, '--yes'], { env });
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /already stored by an earlier run of this create/);
});

test('--progress ndjson: every stderr line is an event, also on exit 2 and exit 3', { timeout: 60_000 }, async () => {
  const home = tempHome();
  const env = { HOME: home, K8SUP_PROGRESS: 'ndjson' };
  const created = await k8sup(['create', 'cluster', 'nd.k8s.local', '--zones', 'us-east-2a'], { env });
  assert.equal(created.code, 0);
  const ev = ndjson(created);
  assert.deepEqual(ev.find((e) => e.code === 'cluster.stored'), { ...ev.find((e) => e.code === 'cluster.stored'), cluster: 'nd.k8s.local', revision: 1 });
  assert.equal(ev.at(-1)!.level, 'info');

  // Another spec under the same name: "already exists" (the same create again would finish the stored one).
  for (const args of [['create', 'cluster', 'nd.k8s.local', '--zones', 'us-east-2b'], ['bogus'], [], ['get', 'clusters', '--state', 'ftp://x'], ['create', 'cluster', 'Bad_Name', '--zones', 'us-east-2a']]) {
    const r = await k8sup(args, { env });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    const last = ndjson(r).at(-1)!;
    assert.equal(typeof last.error, 'string');
    assert.equal(typeof last.hint, 'string');
    assert.equal(last.errorCode, 'InvalidInput');
  }
  // --progress ndjson given as a flag (not the environment) with a flag error.
  const flagged = await k8sup(['--progress', 'ndjson', 'get', 'clusters', '-o', 'xml'], { env: { HOME: home } });
  assert.equal(flagged.code, 2);
  assert.match(ndjson(flagged).at(-1)!.hint, /k8sup get clusters --help/);

  // Exit 3: the cluster is locked by an edit in progress, and this run has a change to write (a no-op takes no lock).
  const spec = JSON.parse((await k8sup(['get', 'cluster', 'nd.k8s.local', '-o', 'json'], { env })).stdout);
  spec.spec.nodeGroups[0].maxSize += 1;
  const specFile = join(home, 'resized.json');
  writeFileSync(specFile, JSON.stringify(spec));
  const started = join(home, 'editor-started');
  const editor = join(home, 'hang.sh');
  writeFileSync(editor, `#!/bin/sh\ntouch '${started}'\nsleep 60\n`);
  chmodSync(editor, 0o755);
  const child = spawn(process.execPath, [K8SUP, 'edit', 'cluster', 'nd.k8s.local'], { env: { PATH: process.env.PATH, HOME: home, EDITOR: editor }, stdio: 'ignore', detached: true });
  try {
    await waitFor(async () => existsSync(started), { timeoutMs: 20_000, what: 'the editor to start' });
    const digest = treeDigest(join(home, '.k8sup'));
    const locked = await k8sup(['replace', '-f', specFile], { env });
    assert.equal(locked.code, 3, locked.stderr);
    const last = ndjson(locked).at(-1)!;
    assert.equal(last.errorCode, 'Conflict');
    const id = /--lock-id (\S+)/.exec(last.hint)?.[1];
    assert.ok(id, last.hint);
    // unlock without --yes shows the holder and releases nothing.
    const preview = await k8sup(['unlock', 'cluster', 'nd.k8s.local', '--lock-id', id], { env });
    assert.equal(preview.code, 0);
    assert.ok(ndjson(preview).some((e) => e.code === 'next' && e.command.endsWith('--yes')));
    assert.equal(treeDigest(join(home, '.k8sup')), digest);
  } finally {
    process.kill(-child.pid!, 'SIGKILL');
  }
});

test('docs/ci.md documents every event code of the catalogue', () => {
  const doc = readFileSync(join(REPO, 'docs', 'ci.md'), 'utf8');
  for (const code of Object.keys(EVENT_CATALOGUE)) assert.ok(doc.includes(`\`${code}\``), `docs/ci.md does not list ${code}`);
});
