// The metal SSH layer against real OpenSSH servers on 127.0.0.1: host-key policy, auth, bastion, exec, upload, retries.

import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { MetalClients } from '../../providers/metal/clients.js';
import type { Cluster } from '../../src/api/types.js';
import { silentIo } from '../../src/core/io.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectSsh, parseBastion, type SshConnectOptions } from '../../providers/metal/ssh.js';
import { OperationError, InvalidInputError } from '../../src/core/errors.js';
import { makeKeyPair, sshKeygenFingerprint, startSshd, type Sshd } from '../helpers/sshd.js';
import { freePort, waitFor } from '../helpers/net.js';

const dir = mkdtempSync(join(tmpdir(), 'k8sup-metal-ssh-'));
const home = join(dir, 'home');
const client = makeKeyPair(dir, 'client');
const stranger = makeKeyPair(dir, 'stranger');
const servers: Sshd[] = [];
let agent: ChildProcess | undefined;
after(async () => {
  for (const s of servers) await s.stop();
  agent?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

async function sshd(opts: Partial<Parameters<typeof startSshd>[0]> = {}): Promise<Sshd> {
  const s = await startSshd({ authorizedKeys: [client.publicKey], ...opts });
  servers.push(s);
  return s;
}

function options(knownHostsPath: string, extra: Partial<SshConnectOptions> = {}): SshConnectOptions {
  return { homeDir: home, privateKeyPath: client.privateKeyPath, hostKeys: { knownHostsPath, acceptNew: false }, attempts: 1, ...extra };
}

let main: Sshd;
before(async () => {
  main = await sshd({ extraConfig: ['LogLevel VERBOSE'] });
});

test('unknown host key: refused before authentication, naming host and fingerprint; nothing recorded', async () => {
  const kh = join(dir, 'kh-unknown');
  const fp = sshKeygenFingerprint(main.hostPublicKeyPaths[0]);
  await assert.rejects(connectSsh({ host: main.host, port: main.port, user: main.user }, options(kh)), (e: unknown) => {
    assert.ok(e instanceof OperationError, String(e));
    assert.equal(e.exitCode, 1);
    assert.equal(e.code, 'SshHostKeyUnknown');
    assert.ok(e.message.includes(`[127.0.0.1]:${main.port}`), e.message);
    assert.ok(e.message.includes(fp), e.message);
    assert.match(e.hint ?? '', /--ssh-accept-new/);
    return true;
  });
  assert.equal(existsSync(kh), false);
  assert.doesNotMatch(main.log(), /Accepted publickey/, 'the client never authenticated');
});

test('--ssh-accept-new records the key; the next connection works without it; exec with stdin', async () => {
  const kh = join(dir, 'kh-accept');
  const conn = await connectSsh({ host: main.host, port: main.port, user: main.user }, options(kh, { hostKeys: { knownHostsPath: kh, acceptNew: true } }));
  conn.close();
  const recorded = readFileSync(kh, 'utf8');
  assert.equal(recorded.trim(), `[127.0.0.1]:${main.port} ${main.hostPublicKeys[0].split(' ').slice(0, 2).join(' ')}`);
  // OpenSSH itself agrees with what we wrote
  assert.match(execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${main.port}`, '-f', kh], { encoding: 'utf8' }), /ssh-ed25519/);

  const again = await connectSsh({ host: main.host, port: main.port, user: main.user }, options(kh));
  assert.match(main.log(), /Accepted publickey/, 'sshd logs authentications (so the refusal test above is meaningful)');
  try {
    const r = await again.exec('tr a-z A-Z; echo err >&2; exit 7', { stdin: 'hello from stdin\n' });
    assert.deepEqual(r, { stdout: 'HELLO FROM STDIN\n', stderr: 'err\n', code: 7, signal: undefined });
    await assert.rejects(again.run('echo boom >&2; false', { what: 'probe' }), /probe failed on .*127\.0\.0\.1.*boom/);
    // a multi-kilobyte script through stdin, the way bootstrap scripts are sent
    const script = `set -eu\n${Array.from({ length: 2000 }, (_, i) => `x${i}=${i}`).join('\n')}\necho "$x1999"\n`;
    assert.equal((await again.run('bash -s', { stdin: script })).stdout, '1999\n');
  } finally {
    again.close();
  }
});

test('upload writes the file with mode 0600 atomically', async () => {
  const kh = join(dir, 'kh-upload');
  const conn = await connectSsh({ host: main.host, port: main.port, user: main.user }, options(kh, { hostKeys: { knownHostsPath: kh, acceptNew: true } }));
  try {
    const target = join(dir, 'remote', 'etc', 'kubernetes', 'pki', 'ca.key');
    const secret = '-----BEGIN PRIVATE KEY-----\nnot-really\n-----END PRIVATE KEY-----\n';
    await conn.upload(target, secret, 0o600);
    assert.equal(readFileSync(target, 'utf8'), secret);
    assert.equal(statSync(target).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'remote', 'etc', 'kubernetes', 'pki')).mode & 0o077, 0, 'created dirs are private');
    assert.equal(existsSync(`${target}.k8sup-tmp`), false);
    await conn.upload(join(dir, 'remote', 'ca.crt'), 'cert\n', 0o644);
    assert.equal(statSync(join(dir, 'remote', 'ca.crt')).mode & 0o777, 0o644);

    // several files in one round trip, binary-safe, each with its own mode
    const binary = Buffer.from(Array.from({ length: 600 }, (_, i) => i % 256));
    const many = [
      { path: join(dir, 'remote', 'many', 'etcd', 'ca.key'), content: secret, mode: 0o600 },
      { path: join(dir, 'remote', 'many', 'sa.pub'), content: "it's public\n", mode: 0o644 },
      { path: join(dir, 'remote', 'many', 'blob'), content: binary, mode: 0o640 },
    ];
    await conn.uploadFiles(many);
    assert.equal(readFileSync(many[0].path, 'utf8'), secret);
    assert.equal(statSync(many[0].path).mode & 0o777, 0o600);
    assert.equal(readFileSync(many[1].path, 'utf8'), "it's public\n");
    assert.equal(statSync(many[1].path).mode & 0o777, 0o644);
    assert.deepEqual(readFileSync(many[2].path), binary);
    assert.equal(statSync(many[2].path).mode & 0o777, 0o640);
  } finally {
    conn.close();
  }
});

test('a changed host key on the same address is refused, naming both fingerprints, even with accept-new', async () => {
  const first = await sshd();
  const kh = join(dir, 'kh-changed');
  (await connectSsh({ host: first.host, port: first.port, user: first.user }, options(kh, { hostKeys: { knownHostsPath: kh, acceptNew: true } }))).close();
  const oldFp = sshKeygenFingerprint(first.hostPublicKeyPaths[0]);
  const port = first.port;
  await first.stop();
  const reinstalled = await sshd({ port });
  const newFp = sshKeygenFingerprint(reinstalled.hostPublicKeyPaths[0]);
  assert.notEqual(oldFp, newFp);
  const before = readFileSync(kh, 'utf8');
  for (const acceptNew of [false, true]) {
    await assert.rejects(
      connectSsh({ host: reinstalled.host, port, user: reinstalled.user }, options(kh, { hostKeys: { knownHostsPath: kh, acceptNew }, attempts: 3 })),
      (e: unknown) => {
        assert.ok(e instanceof OperationError);
        assert.equal(e.exitCode, 1);
        assert.equal(e.code, 'SshHostKeyChanged');
        assert.ok(e.message.includes(oldFp) && e.message.includes(newFp), e.message);
        assert.ok(e.message.includes(`[127.0.0.1]:${port}`));
        return true;
      },
    );
  }
  assert.equal(readFileSync(kh, 'utf8'), before, 'known_hosts unchanged');
});

test('the server is asked for the key type we already know (rsa known, ed25519 also offered)', async () => {
  const multi = await sshd({ hostKeyTypes: ['ed25519', 'rsa'] });
  const kh = join(dir, 'kh-rsa');
  const rsaLine = multi.hostPublicKeys[1].split(' ').slice(0, 2).join(' ');
  execFileSync('sh', ['-c', `printf '%s\\n' "[127.0.0.1]:${multi.port} ${rsaLine}" > ${kh}`]);
  const conn = await connectSsh({ host: multi.host, port: multi.port, user: multi.user }, options(kh));
  conn.close();
});

test('wrong client key: authentication fails clearly and is not retried', async () => {
  const kh = join(dir, 'kh-auth');
  const started = Date.now();
  await assert.rejects(
    connectSsh({ host: main.host, port: main.port, user: main.user }, options(kh, { privateKeyPath: stranger.privateKeyPath, hostKeys: { knownHostsPath: kh, acceptNew: true }, attempts: 3, retryDelayMs: 2000 })),
    (e: unknown) => e instanceof OperationError && e.code === 'SshAuthFailed' && !e.message.includes('PRIVATE'),
  );
  assert.ok(Date.now() - started < 2000, 'no retry delay was spent');
  await assert.rejects(
    connectSsh({ host: main.host, port: main.port, user: main.user }, options(kh, { privateKeyPath: join(dir, 'missing-key') })),
    (e: unknown) => e instanceof OperationError && e.code === 'SshKeyUnreadable',
  );
});

test('an encrypted key needs its passphrase; without it the error says how to give one', async () => {
  const locked = makeKeyPair(dir, 'locked');
  execFileSync('ssh-keygen', ['-p', '-q', '-N', 'sesame', '-f', locked.privateKeyPath], { stdio: 'ignore' });
  const server = await sshd({ authorizedKeys: [locked.publicKey] });
  const kh = join(dir, 'kh-pass');
  const target = { host: server.host, port: server.port, user: server.user };
  await assert.rejects(
    connectSsh(target, options(kh, { privateKeyPath: locked.privateKeyPath, hostKeys: { knownHostsPath: kh, acceptNew: true } })),
    (e: unknown) => e instanceof OperationError && e.code === 'SshKeyUnusable' && /K8SUP_SSH_PASSPHRASE/.test(e.hint ?? ''),
  );
  const conn = await connectSsh(target, options(kh, { privateKeyPath: locked.privateKeyPath, passphrase: 'sesame', hostKeys: { knownHostsPath: kh, acceptNew: true } }));
  assert.equal((await conn.run('echo unlocked')).stdout, 'unlocked\n');
  conn.close();
});

test('ssh-agent authentication', async () => {
  const sock = join(dir, 'agent.sock');
  agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  await waitFor(async () => existsSync(sock), { timeoutMs: 5000, what: 'ssh-agent socket' });
  execFileSync('ssh-add', [client.privateKeyPath], { env: { SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
  const kh = join(dir, 'kh-agent');
  const conn = await connectSsh(
    { host: main.host, port: main.port, user: main.user },
    { homeDir: join(dir, 'no-home'), agentSocket: sock, hostKeys: { knownHostsPath: kh, acceptNew: true }, attempts: 1 },
  );
  assert.equal((await conn.run('echo via-agent')).stdout, 'via-agent\n');
  conn.close();
});

test('bastion hop: both host keys verified, command runs on the target', async () => {
  const bastion = await sshd();
  const target = await sshd();
  const kh = join(dir, 'kh-bastion');
  const jump = parseBastion(`${bastion.user}@127.0.0.1:${bastion.port}`);
  await assert.rejects(
    connectSsh({ host: target.host, port: target.port, user: target.user }, options(kh, { bastion: jump })),
    (e: unknown) => e instanceof OperationError && e.message.includes(`[127.0.0.1]:${bastion.port}`),
    'the bastion key is checked first',
  );
  const conn = await connectSsh({ host: target.host, port: target.port, user: target.user }, options(kh, { bastion: jump, hostKeys: { knownHostsPath: kh, acceptNew: true } }));
  assert.equal((await conn.run('echo "$SSH_CONNECTION"')).stdout.trim().split(' ')[2], '127.0.0.1');
  assert.equal((await conn.run('echo "$SSH_CONNECTION"')).stdout.trim().split(' ')[3], String(target.port));
  conn.close();
  const names = readFileSync(kh, 'utf8').trim().split('\n').map((l) => l.split(' ')[0]);
  assert.deepEqual(names.sort(), [`[127.0.0.1]:${bastion.port}`, `[127.0.0.1]:${target.port}`].sort());
});

test('~/.ssh/config: an alias in the hosts file reaches the host through HostName/Port/IdentityFile/ProxyJump', async () => {
  const bastion = await sshd();
  const target = await sshd();
  const cfgHome = join(dir, 'cfg-home');
  mkdirSync(join(cfgHome, '.ssh'), { recursive: true });
  writeFileSync(
    join(cfgHome, '.ssh', 'config'),
    [
      'Host lab-cp',
      '  HostName 127.0.0.1',
      `  Port ${target.port}`,
      `  IdentityFile ${client.privateKeyPath}`,
      '  ProxyJump lab-jump',
      'Host lab-jump',
      '  HostName 127.0.0.1',
      `  Port ${bastion.port}`,
      `  User ${bastion.user}`,
      '',
    ].join('\n'),
  );
  const cluster = { metadata: { name: 'c' }, spec: { hosts: [{ address: 'lab-cp', port: 22, user: target.user, role: 'control-plane' }] } } as unknown as Cluster;
  const clients = new MetalClients({
    cluster,
    io: silentIo,
    homeDir: cfgHome,
    knownHostsPath: join(cfgHome, '.ssh', 'known_hosts'),
    acceptNew: true,
    remote: { root: '', sudo: 'never' },
    loadPki: async () => [],
    renderBootstrap: () => '',
    stateStoreUrl: 'file:///x',
    idleCloseMs: 50,
  });
  try {
    const ep = await clients.endpoint('lab-cp');
    assert.deepEqual(ep.target, { host: '127.0.0.1', port: target.port, user: target.user });
    assert.equal(ep.bastion, `${bastion.user}@127.0.0.1:${bastion.port}`);
    const r = await clients.run('lab-cp', 'echo "$SSH_CONNECTION"');
    assert.equal(r.stdout.trim().split(' ')[3], String(target.port));
    const names = readFileSync(join(cfgHome, '.ssh', 'known_hosts'), 'utf8').trim().split('\n').map((l) => l.split(' ')[0]);
    assert.deepEqual(names.sort(), [`[127.0.0.1]:${bastion.port}`, `[127.0.0.1]:${target.port}`].sort(), 'both hops verified and recorded');
  } finally {
    clients.close();
  }
});

test('parseBastion validates user@host:port', () => {
  assert.deepEqual(parseBastion('ops@10.0.0.1'), { user: 'ops', host: '10.0.0.1', port: 22 });
  assert.deepEqual(parseBastion('ops@[2001:db8::1]:2200'), { user: 'ops', host: '2001:db8::1', port: 2200 });
  assert.throws(() => parseBastion('10.0.0.1:22'), InvalidInputError);
  assert.throws(() => parseBastion('ops@h:99999'), InvalidInputError);
});

test('connection refused is retried (bounded) and succeeds once the server comes up', async () => {
  const port = await freePort();
  const kh = join(dir, 'kh-retry');
  let retries = 0;
  // The server starts only once the first attempt has been refused, so a retry is certain, not a race.
  let starting: ReturnType<typeof sshd> | undefined;
  const pending = connectSsh(
    { host: '127.0.0.1', port, user: main.user },
    options(kh, {
      hostKeys: { knownHostsPath: kh, acceptNew: true },
      attempts: 9,
      retryDelayMs: 200,
      onRetry: () => {
        retries++;
        starting ??= sshd({ port });
      },
    }),
  );
  const conn = await pending;
  const late = await starting!;
  assert.ok(retries >= 1, 'at least one retry happened');
  assert.equal((await conn.run('echo up')).stdout, 'up\n');
  conn.close();
  // and a port nobody listens on fails after exactly `attempts` tries
  const deadPort = await freePort();
  let tries = 0;
  await assert.rejects(
    connectSsh({ host: '127.0.0.1', port: deadPort, user: late.user }, options(kh, { attempts: 3, retryDelayMs: 10, onRetry: () => tries++ })),
    (e: unknown) => e instanceof OperationError && e.code === 'SshConnectFailed',
  );
  assert.equal(tries, 2);
});

test('a session killed mid-command surfaces as a transient SshConnectionLost', async () => {
  const victim = await sshd();
  const kh = join(dir, 'kh-kill');
  const conn = await connectSsh({ host: victim.host, port: victim.port, user: victim.user }, options(kh, { hostKeys: { knownHostsPath: kh, acceptNew: true } }));
  const running = conn.exec('echo started; sleep 20', { timeoutMs: 15_000 });
  await new Promise((r) => setTimeout(r, 300));
  victim.killSessions();
  await assert.rejects(running, (e: unknown) => e instanceof OperationError && e.code === 'SshConnectionLost');
  conn.close();
});

test('a command past its deadline fails with SshTimeout', async () => {
  const kh = join(dir, 'kh-timeout');
  const conn = await connectSsh({ host: main.host, port: main.port, user: main.user }, options(kh, { hostKeys: { knownHostsPath: kh, acceptNew: true } }));
  await assert.rejects(conn.exec('sleep 5', { timeoutMs: 300 }), (e: unknown) => e instanceof OperationError && e.code === 'SshTimeout');
  conn.close();
});

test('connection retries leave no abort listener behind on the run signal (one shared sleep, listeners removed)', async () => {
  const { EventEmitter } = await import('node:events');
  const port = await freePort();
  const run = new AbortController();
  const retries: number[] = [];
  await assert.rejects(
    connectSsh({ host: '127.0.0.1', port, user: 'root' }, options(join(dir, 'kh-closed'), { attempts: 4, retryDelayMs: 5, signal: run.signal, onRetry: (n) => retries.push(n) })),
    (e: unknown) => e instanceof OperationError && e.code === 'SshConnectFailed',
  );
  assert.deepEqual(retries, [1, 2, 3], 'it did retry');
  assert.equal(EventEmitter.getEventListeners(run.signal, 'abort').length, 0);
});
